"""Request-level policies: responses with health data are never cached (NoStoreMiddleware), a database
that cannot be reached answers 503, not 500 (DatabaseUnavailableMiddleware), an unknown path under
/api/ answers JSON even in DEBUG (ApiNotFoundMiddleware), a write under /api/ is never redirected to
its trailing slash (CommonMiddleware), the Content-Security-Policy of settings is built once per
process (ContentSecurityPolicyMiddleware), and the browser's middlewares (session, login, flash messages)
leave the bearer-token API alone (BrowserOnly)."""
from __future__ import annotations

import http
import logging
from collections.abc import Callable
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.messages import middleware as messages_middleware
from django.contrib.sessions import middleware as sessions_middleware
from django.core.signals import setting_changed
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware import common
from django.utils.cache import add_never_cache_headers

from backend import api_errors

logger = logging.getLogger(__name__)

# What a view or decorator sets to give its response a policy of its own (django-csp's decorators).
OWN_POLICY_ATTRIBUTES = ("_csp_exempt", "_csp_exempt_ro", "_csp_config", "_csp_update", "_csp_replace",
                         "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
# (header, value) pairs built from the settings; replaced whole, never changed in place (threads may read it).
_settings_policy: tuple[tuple[str, str], ...] | None = None


@receiver(setting_changed)
def _forget_settings_policy(*, setting: str, **_kwargs: Any) -> None:
    global _settings_policy  # noqa: PLW0603 - a per-process cache of the settings
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policy = None


def settings_policy() -> tuple[tuple[str, str], ...]:
    """The CSP headers the settings give a response of no policy of its own, built once per process."""
    global _settings_policy  # noqa: PLW0603 - a per-process cache of the settings
    policy = _settings_policy
    if policy is None:
        built = ((HEADER, build_policy()), (HEADER_REPORT_ONLY, build_policy(report_only=True)))
        policy = _settings_policy = tuple((header, value) for header, value in built if value)
    return policy


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, except that a response with no policy of its own (no nonce used, no
    csp_update/replace/exempt decorator, as every API answer) gets headers built once per process from the
    settings: django-csp rebuilds both policies for every response (`dataclasses.asdict` deep-copies them),
    about a twentieth of a check-in POST's CPU. Anything else is django-csp's own code path."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not self._takes_settings_policy(request, response):
            return super().process_response(request, response)
        for header, policy in settings_policy():
            if header not in response:
                response[header] = policy
        # As django-csp: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    @staticmethod
    def _takes_settings_policy(request: HttpRequest, response: HttpResponseBase) -> bool:
        if getattr(request, "_csp_nonce", None) is not None:
            return False
        if any(hasattr(response, name) for name in OWN_POLICY_ATTRIBUTES):
            return False
        debug_page = response.status_code in (http.HTTPStatus.INTERNAL_SERVER_ERROR, http.HTTPStatus.NOT_FOUND)
        if settings.DEBUG and debug_page:
            return False  # django-csp leaves Django's debug pages alone
        policies = (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {},
                    getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {})
        return not any(policy.get("EXCLUDE_URL_PREFIXES") for policy in policies)


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
        if api_errors.is_api(request):
            response: HttpResponse = JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503)
        else:
            response = HttpResponse(DATABASE_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response


class CommonMiddleware(common.CommonMiddleware):
    """Django's, except that under /api/ only a GET or HEAD missing its trailing slash is redirected to it.

    A POST, PATCH or DELETE to /api/v1/checkins was answered 301 (an empty HTML body): phone HTTP clients
    follow a 301 with a GET, so a check-in or warning report was silently lost behind a 200 list of
    check-ins, and in DEBUG Django raised instead (a 500 HTML page). It now answers the API's JSON 404.
    """

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        if api_errors.is_api(request) and request.method not in ("GET", "HEAD"):
            return False
        return super().should_redirect_with_slash(request)


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


# The phone and partner API: every caller authenticates each request with a bearer token (DRF,
# recovery/api/authentication.py), never with a session cookie. /api/schema/ and /api/docs/ are not in it:
# staff open them logged in to the dashboard.
PHONE_AND_PARTNER_API_PREFIX = "/api/v1/"


class BrowserOnly:
    """For a Django MiddlewareMixin class that serves browser pages only: a request to the token API passes
    straight through. Its session, the session's user and the flash messages did nothing for such a request
    but cost CPU on every phone call (bench/README.md, "Eleventh pass")."""

    get_response: Any  # set by the Django middleware it is mixed into

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(PHONE_AND_PARTNER_API_PREFIX):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]  # the Django middleware it is mixed into


class SessionMiddleware(BrowserOnly, sessions_middleware.SessionMiddleware):
    """Django's, for the dashboard, admin and API docs only."""


class AuthenticationMiddleware(BrowserOnly, auth_middleware.AuthenticationMiddleware):
    """Django's, for the dashboard, admin and API docs only: under /api/v1/ DRF sets `request.user` from
    the token (django-otp's middleware then has no user to wrap, and django-structlog binds the token's)."""


class MessageMiddleware(BrowserOnly, messages_middleware.MessageMiddleware):
    """Django's, for the dashboard, admin and API docs only."""
