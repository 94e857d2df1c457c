"""Responses with health data must not be kept by browsers, proxies or the phone's HTTP cache."""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


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
