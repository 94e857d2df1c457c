"""Rate limits of the API, one bucket per purpose.

A login is counted per username and per client address, a refresh per refresh token, an activation
per code and per client address. So ten wrong logins from a hospital's shared Wi-Fi neither block
another patient's token refresh nor another user's login, and one patient's typos lock out nobody else.

The counters live in the cache (Redis in production). If the cache fails, a throttle lets the request
through and logs it: a patient must still be able to log in and refresh while Redis is down.
"""
from __future__ import annotations

import hashlib
from typing import Any

import structlog
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from recovery.services.audit import client_ip as _client_ip

logger = structlog.get_logger(__name__)


def _digest(value: str) -> str:
    """Keys never hold a username, code or token in clear (cache dumps, Redis MONITOR)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class PurposeThrottle(SimpleRateThrottle):
    """A SimpleRateThrottle keyed by `key_for(request)`; no key (field missing) means not counted here.

    Rates are read from the live settings (DRF copies them at import), so an override applies.
    """

    scope: str = ""

    def __init__(self) -> None:  # DRF reads the rate in __init__; ours is read per request.
        pass

    def key_for(self, request: Request) -> str | None:
        raise NotImplementedError

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        key = self.key_for(request)
        if key is None:
            return None
        return f"throttle:{self.scope}:{_digest(key)}"

    def allow_request(self, request: Request, view: APIView) -> bool:
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        self.rate = rates.get(self.scope)
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        # The key first, outside the fail-open below: it may read the body, and a body that is not JSON (or too
        # large, or too deep) is the client's 400 or 413, not a cache failure to log and let through.
        if self.get_cache_key(request, view) is None:
            return True
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - any cache failure: fail open, never a 500 on login
            logger.warning("throttle_cache_unavailable", scope=self.scope)
            return True


def client_ip(request: Request) -> str | None:
    """The address audit rows record (X-Forwarded-For only behind DJANGO_NUM_PROXIES proxies)."""
    return _client_ip(request.META)


def _field(request: Request, name: str) -> str | None:
    data: Any = request.data
    value = data.get(name) if hasattr(data, "get") else None
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


class LoginUsernameThrottle(PurposeThrottle):
    """Counted per username in any case (casefold), as the login finds it (selectors.username_as_stored)."""

    scope = "login_username"

    def key_for(self, request: Request) -> str | None:
        username = _field(request, "username")
        return username.casefold() if username else None


class ClientIPThrottle(PurposeThrottle):
    """Counted per client address; subclasses name the purpose (scope)."""

    def key_for(self, request: Request) -> str | None:
        return client_ip(request)


class LoginIPThrottle(ClientIPThrottle):
    scope = "login_ip"


class RefreshTokenThrottle(PurposeThrottle):
    scope = "refresh_token"

    def key_for(self, request: Request) -> str | None:
        data: Any = request.data
        value = data.get("refresh") if hasattr(data, "get") else None
        return value if isinstance(value, str) and value else None


class ActivationCodeThrottle(PurposeThrottle):
    scope = "activation_code"

    def key_for(self, request: Request) -> str | None:
        code = _field(request, "code")
        # The code is accepted in any case and with or without dashes: count its variants as one.
        return code.replace("-", "").replace(" ", "") if code else None


class ActivationIPThrottle(ClientIPThrottle):
    scope = "activation_ip"


class LogoutIPThrottle(ClientIPThrottle):
    scope = "logout_ip"


LOGIN_THROTTLES = [LoginUsernameThrottle, LoginIPThrottle]
REFRESH_THROTTLES = [RefreshTokenThrottle]
ACTIVATION_THROTTLES = [ActivationCodeThrottle, ActivationIPThrottle]
LOGOUT_THROTTLES = [LogoutIPThrottle]
