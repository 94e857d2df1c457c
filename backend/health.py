"""`GET /healthz` (shared/API.md): 200 when the database and the broker answer, 503 otherwise.

For load balancers and orchestrators: no login, JSON, never cached, no detail beyond ok/error
(the error class, not its message, which could name hosts).
"""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from kombu import Connection


def database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def broker_answers() -> None:
    timeout = settings.HEALTHZ_BROKER_TIMEOUT
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout,
                    transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout}) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)


CHECKS: dict[str, Callable[[], None]] = {"database": database_answers, "broker": broker_answers}


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", never a 500
            results[name] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **results}, status=200 if healthy else 503)
