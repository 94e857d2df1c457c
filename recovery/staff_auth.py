"""Staff logins (dashboard and admin): lockout after repeated wrong passwords, and a second factor.

Lockout is django-axes, per (username, client address) pair; API logins are left to the API's own
per-purpose throttles. The second factor is django-otp: a TOTP authenticator app, with single-use
recovery codes (static tokens) for a lost phone. With STAFF_TWO_FACTOR_REQUIRED (on unless DEBUG),
every login that is not a patient's must pass it before any dashboard, admin or API-docs page, and
for an API token (recovery/services/sessions.py `log_in`, recovery/api/authentication.py).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from recovery.services import audit

# Views a logged-in but not yet verified staff member may reach: logging in and out, the second factor.
OPEN_BEFORE_SECOND_FACTOR = {
    "dashboard:login", "dashboard:logout", "dashboard:two-factor", "dashboard:two-factor-setup",
    "admin:login", "admin:logout",
}
PROTECTED_NAMESPACES = {"dashboard", "admin"}
PROTECTED_VIEWS = {"schema", "swagger-ui"}


def client_ip(request: HttpRequest) -> str | None:
    """django-axes counts failures per this address: the one the API throttles and audit rows use."""
    return audit.client_ip(request.META)


def is_api_request(request: HttpRequest | None, credentials: dict | None = None) -> bool:
    """django-axes whitelist: API token logins are rate limited per purpose, not locked out here."""
    return request is not None and request.path.startswith("/api/")


def client_str(username: str | None, ip_address: str | None, user_agent: str | None, path_info: Any,
               request: HttpRequest | None) -> str:
    """How django-axes names a client in its log lines (settings.AXES_CLIENT_STR_CALLABLE): as django-axes does,
    but without the username of an API login. Axes still sees (and logs) the API's failed logins it does not
    count; those are mostly patients', and a patient's login name in a log says they are a patient here."""
    shown = {} if is_api_request(request) else {"username": username, "user_agent": user_agent}
    shown["ip_address"] = ip_address
    shown["path_info"] = path_info[0] if isinstance(path_info, tuple | list) else path_info
    return "{" + ", ".join(f'{key}: "{value}"' for key, value in shown.items()) + "}"


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, skipped for logins without a request (shell, test client): nothing to lock out."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def needs_second_factor(user: Any) -> bool:
    """Everyone who can see more than their own records: surgeons, care-team staff, admins."""
    return bool(user.is_authenticated and not getattr(user, "is_patient", False))


def second_factor_required(user: Any) -> bool:
    """Must this login pass the second factor now: STAFF_TWO_FACTOR_REQUIRED is on and it is not a patient's."""
    return bool(settings.STAFF_TWO_FACTOR_REQUIRED) and needs_second_factor(user)


class StaffTwoFactorMiddleware:
    """Sends a staff member who has only passed their password to the second-factor page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, _view: Any, _args: Any, _kwargs: Any) -> HttpResponse | None:
        if not settings.STAFF_TWO_FACTOR_REQUIRED:
            return None
        match = request.resolver_match
        if match is None or match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if not (set(match.namespaces) & PROTECTED_NAMESPACES or match.view_name in PROTECTED_VIEWS):
            return None
        user = request.user
        is_verified = getattr(user, "is_verified", None)  # set by django-otp's OTPMiddleware
        if not needs_second_factor(user) or (is_verified is not None and is_verified()):
            return None
        return redirect(f"{reverse('dashboard:two-factor')}?{urlencode({'next': request.get_full_path()})}")
