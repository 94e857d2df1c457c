"""Per-request context the services need without views passing it along."""
from __future__ import annotations

from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from recovery.services import audit


class RequestOriginMiddleware:
    """Sets where the request came from (path, address, user agent) for the audit rows services write, and
    the address for the request's log lines: the same trusted-proxy rule as audit rows, throttles and
    django-axes (django-structlog's own lookup, python-ipware, believes any X-Forwarded-For and cost a tenth
    of a check-in POST's CPU)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        origin = audit.origin_of(request)
        with audit.request_origin(origin), structlog.contextvars.bound_contextvars(ip=origin.ip_address):
            return self.get_response(request)


class DefaultTimeZoneMiddleware:
    """Every request ends in the default time zone (UTC), whatever a view activated.

    The dashboard shows times in the clinic's zone (dashboard.views.CareTeamRequiredMixin activates it, and its
    templates render after the view returns, so it cannot be undone inside the view). Django keeps the active
    zone per thread across requests: without this, the API answers a sync worker served after a dashboard page
    gave their times in the clinic's zone, where shared/API.md says UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
