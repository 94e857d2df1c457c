"""API sessions: refresh-token rotation that cannot fork, logout, and revoking all of a user's tokens.

Access tokens carry simplejwt's `hash_password` claim (CHECK_REVOKE_TOKEN): a password change makes
every earlier access token fail at once; deactivation does too (CHECK_USER_IS_ACTIVE). Refresh tokens
are rows in simplejwt's OutstandingToken table; using one locks its row, so of N concurrent refreshes
of one token exactly one wins and the others see it blacklisted (401).

Staff logins (recovery.staff_auth.second_factor_required) also pass a second factor, a TOTP or recovery
code checked by django-otp, before they get tokens; those tokens carry the SECOND_FACTOR_CLAIM, which a
refresh keeps, and recovery/api/authentication.py refuses a staff access token without it.
"""
from __future__ import annotations

import time
from typing import Any

import django_otp
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from recovery import staff_auth

# Claim of tokens issued after a passed second factor; simplejwt copies it from a refresh token to its access token.
SECOND_FACTOR_CLAIM = "otp"
SECOND_FACTOR_FIELD = "otp_token"


class SessionError(Exception):
    """The refresh token is unusable: forged, expired, already used or logged out, or its user is gone."""


class SecondFactorError(Exception):
    """A staff login without a valid second factor; `errors` names `otp_token` (the API answers 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.errors = {SECOND_FACTOR_FIELD: [message]}


def token_pair(user: Any, *, second_factor: bool | int = False) -> dict[str, str]:
    """A fresh access + refresh token pair (the refresh token is recorded as outstanding); `second_factor`
    marks both as issued after a second factor passed now (True) or at that Unix time (a refresh keeps it)."""
    refresh = RefreshToken.for_user(user)
    if second_factor is True:
        refresh[SECOND_FACTOR_CLAIM] = int(time.time())
    elif second_factor:
        refresh[SECOND_FACTOR_CLAIM] = int(second_factor)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def second_factor_at(claims: Any) -> int | None:
    """When the token's second factor was passed (Unix time), or None."""
    value = claims.get(SECOND_FACTOR_CLAIM)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def has_second_factor(user: Any, claims: Any) -> bool:
    """Does a token with these claims pass for this user: a patient's always, a staff member's only when issued
    after a second factor passed at most SESSION_COOKIE_AGE ago while STAFF_TWO_FACTOR_REQUIRED is on. Refreshing
    keeps the time it was passed: like a dashboard session, a staff API session ends after that age however often
    it is refreshed, and a deleted authenticator ends it sooner (recovery.signals)."""
    if not staff_auth.second_factor_required(user):
        return True
    passed_at = second_factor_at(claims)
    return passed_at is not None and 0 <= time.time() - passed_at <= settings.SESSION_COOKIE_AGE


def log_in(user: Any, *, otp_token: str | None) -> dict[str, str]:
    """Tokens for a login whose password was checked; a staff login must also pass its second factor."""
    second_factor = staff_auth.second_factor_required(user)
    if second_factor:
        verify_second_factor(user, otp_token)
    if api_settings.UPDATE_LAST_LOGIN:
        update_last_login(type(user), user)
    return token_pair(user, second_factor=second_factor)


def verify_second_factor(user: Any, otp_token: str | None) -> None:
    """A current TOTP code or an unused recovery code of the user's confirmed django-otp devices, matched and
    throttled by django-otp as the dashboard's two-factor page does (a recovery code is used up)."""
    if not django_otp.user_has_device(user):
        raise SecondFactorError("Two-factor is not set up for this account: log in to the dashboard once and set "
                                "it up there (an authenticator app), then send its code as otp_token.")
    code = (otp_token or "").replace(" ", "")
    if not code:
        raise SecondFactorError("Staff logins need a second factor: the current code of the authenticator app, "
                                "or a recovery code.")
    wait = _throttled_seconds(user)
    if wait:
        raise SecondFactorError(f"Too many wrong codes: try again in {wait} second{'s' if wait > 1 else ''}.")
    if django_otp.match_token(user, code) is None:
        raise SecondFactorError("That code is not valid (or was already used). Try the current one.")


def _throttled_seconds(user: Any) -> int:
    """Seconds until django-otp lets any of the user's devices verify again after wrong codes (0: now)."""
    waits = []
    for device in django_otp.devices_for_user(user):
        allowed, data = device.verify_is_allowed()
        if allowed:
            return 0
        locked_until = (data or {}).get("locked_until")
        waits.append(max(1, int((locked_until - timezone.now()).total_seconds()) + 1) if locked_until else 1)
    return min(waits, default=0)


def _decode(raw: str, *, allow_blacklisted: bool = False) -> RefreshToken:
    """Signature, expiry, type (and a first blacklist look; the one that counts is under the row lock)."""
    try:
        return RefreshToken(raw)  # type: ignore[arg-type]  # the stubs say Token; simplejwt takes str
    except TokenError as exc:
        if allow_blacklisted:
            try:
                payload = token_backend.decode(raw, verify=True)  # type: ignore[arg-type]  # signature, expiry
            except TokenBackendError:
                raise SessionError(str(exc)) from exc
            if payload.get(api_settings.TOKEN_TYPE_CLAIM) == RefreshToken.token_type:
                return RefreshToken(raw, verify=False)  # type: ignore[arg-type]
        raise SessionError(str(exc)) from exc


def _locked_outstanding(token: RefreshToken) -> OutstandingToken:
    outstanding = (
        OutstandingToken.objects.select_for_update().filter(jti=token[api_settings.JTI_CLAIM]).first()
    )
    if outstanding is None:
        raise SessionError(gettext("Unknown refresh token."))
    return outstanding


def rotate_refresh_token(raw: str) -> dict[str, str]:
    """Blacklist this refresh token and answer a new pair; one winner among concurrent callers."""
    token = _decode(raw)
    with transaction.atomic():
        outstanding = _locked_outstanding(token)
        if BlacklistedToken.objects.filter(token=outstanding).exists():
            raise SessionError(gettext("Refresh token already used or logged out."))
        user = get_user_model().objects.filter(
            **{api_settings.USER_ID_FIELD: token.get(api_settings.USER_ID_CLAIM)}
        ).first()
        if user is None or not user.is_active:
            raise SessionError(gettext("No active account for this token."))
        if token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise SessionError(gettext("The password was changed since this token was issued."))
        if not has_second_factor(user, token):
            raise SessionError("This session was opened without the second factor: log in again with otp_token.")
        BlacklistedToken.objects.create(token=outstanding)
        return token_pair(user, second_factor=second_factor_at(token) or False)


def revoke_refresh_token(raw: str) -> None:
    """Logout: this refresh token stops working. Logging out twice is not an error."""
    token = _decode(raw, allow_blacklisted=True)
    with transaction.atomic():
        outstanding = _locked_outstanding(token)
        BlacklistedToken.objects.get_or_create(token=outstanding)


def revoke_all_tokens(user_id: int) -> int:
    """Blacklist every outstanding refresh token of a user (password change, deactivation)."""
    pending = OutstandingToken.objects.filter(user_id=user_id, blacklistedtoken__isnull=True)
    rows = [BlacklistedToken(token_id=pk) for pk in pending.values_list("pk", flat=True)]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
