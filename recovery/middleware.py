"""Per-request context the services need without views passing it along."""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from recovery.services import audit


class RequestOriginMiddleware:
    """Sets where the request came from (path, address, user agent) for the audit rows services write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit.request_origin(audit.origin_of(request)):
            return self.get_response(request)
