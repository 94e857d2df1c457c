"""API sessions: refresh-token rotation that cannot fork, logout, and revoking all of a user's tokens.

Access tokens carry simplejwt's `hash_password` claim (CHECK_REVOKE_TOKEN): a password change makes
every earlier access token fail at once; deactivation does too (CHECK_USER_IS_ACTIVE). Refresh tokens
are rows in simplejwt's OutstandingToken table; using one locks its row, so of N concurrent refreshes
of one token exactly one wins and the others see it blacklisted (401).
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password


class SessionError(Exception):
    """The refresh token is unusable: forged, expired, already used or logged out, or its user is gone."""


def token_pair(user: Any) -> dict[str, str]:
    """A fresh access + refresh token pair (the refresh token is recorded as outstanding)."""
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


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
        raise SessionError("Unknown refresh token.")
    return outstanding


def rotate_refresh_token(raw: str) -> dict[str, str]:
    """Blacklist this refresh token and answer a new pair; one winner among concurrent callers."""
    token = _decode(raw)
    with transaction.atomic():
        outstanding = _locked_outstanding(token)
        if BlacklistedToken.objects.filter(token=outstanding).exists():
            raise SessionError("Refresh token already used or logged out.")
        user = get_user_model().objects.filter(
            **{api_settings.USER_ID_FIELD: token.get(api_settings.USER_ID_CLAIM)}
        ).first()
        if user is None or not user.is_active:
            raise SessionError("No active account for this token.")
        if token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise SessionError("The password was changed since this token was issued.")
        BlacklistedToken.objects.create(token=outstanding)
        return token_pair(user)


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
