"""Optional error reporting to Sentry, on when SENTRY_DSN is set, without personal or health data.

`send_default_pii` stays off (no user, cookies, IP); on top of that `scrub_event` drops request
bodies, cookies, headers and query strings, and scrubs push tokens out of URLs, messages and
breadcrumbs (backend/logs.py's rule). Local variables are not sent.
"""
from __future__ import annotations

from typing import Any

from backend.logs import DATABASE_ERROR_MODULES, WITHHELD, scrub_text


def _scrub_value(value: Any) -> Any:
    return scrub_text(value) if isinstance(value, str) else value


def scrub_event(event: Any, _hint: Any = None) -> Any:
    """Sentry `before_send`: keep what locates the error, drop what could hold health data."""
    request = event.get("request")
    if isinstance(request, dict):
        event["request"] = {
            "method": request.get("method"),
            "url": _scrub_value(request.get("url", "")).split("?")[0],
        }
    event.pop("user", None)
    for key in ("transaction", "message"):
        event[key] = _scrub_value(event.get(key))
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry["message"] = _scrub_value(logentry.get("message"))
        logentry.pop("params", None)
        logentry["formatted"] = _scrub_value(logentry.get("formatted"))
    exceptions = (event.get("exception") or {}).get("values", []) or []
    chain_has_database_error = any(str(e.get("module") or "").startswith(DATABASE_ERROR_MODULES) for e in exceptions)
    for exception in exceptions:
        exception["value"] = WITHHELD if chain_has_database_error else _scrub_value(exception.get("value"))
        for frame in (exception.get("stacktrace") or {}).get("frames", []) or []:
            frame.pop("vars", None)
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict):
        for crumb in breadcrumbs.get("values", []) or []:
            crumb["message"] = _scrub_value(crumb.get("message"))
            crumb.pop("data", None)
    return {key: value for key, value in event.items() if value is not None}


def init_sentry(dsn: str, *, environment: str, traces_sample_rate: float) -> bool:
    """Start the Sentry SDK if a DSN is configured; False (and nothing imported) otherwise."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )
    return True
