"""Request-level policies: responses with health data are never cached (NoStoreMiddleware), a database
that cannot be reached answers 503, not 500 (DatabaseUnavailableMiddleware), and an unknown path under
/api/ answers JSON even in DEBUG (ApiNotFoundMiddleware)."""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from backend import api_errors

logger = logging.getLogger(__name__)


class NoStoreMiddleware:
    """`Cache-Control: no-store` (and no-cache, private) on every response Django renders: every API
    answer, every dashboard and admin page. Static files are answered by WhiteNoise before this runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):  # a view's own no-store policy stands
            add_never_cache_headers(response)
        return response


# Seconds a client is asked to wait before retrying while the database is unreachable: a PostgreSQL
# restart or failover takes seconds, and phones retry reports with the same client_id (no duplicates).
DATABASE_RETRY_AFTER = 5
DATABASE_UNAVAILABLE = "The service is briefly unavailable. Please try again in a few seconds."


class DatabaseUnavailableMiddleware:
    """A view that fails because the database is unreachable (connection refused, dropped, restarting)
    answers 503 with Retry-After instead of 500: JSON under /api/, a short page elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        # The exception's type only: its message can quote SQL parameters, which may be health data.
        logger.error("Database unavailable (%s); answered 503", type(exception).__name__)
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503)
        else:
            response = HttpResponse(DATABASE_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response


class ApiNotFoundMiddleware:
    """A URL nothing matches answers handler404 (JSON under /api/, backend/api_errors.py) only while DEBUG is
    off: in DEBUG Django answers its technical 404 page instead, which a phone client cannot parse. Any 404
    under /api/ that is not JSON is answered as handler404 would. Placed inside CommonMiddleware, so a
    missing trailing slash is still redirected."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (response.status_code == 404 and api_errors.is_api(request)
                and not response.get("Content-Type", "").startswith("application/json")):
            return api_errors.not_found(request, Http404())
        return response
