"""Bearer-token authentication of the phone API and the surgeon API (settings.REST_FRAMEWORK)."""
from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import Token

from recovery.compiled_query import CompiledLookup
from recovery.models import User
from recovery.services import sessions


class _UsersWithProfile:
    """The user model as simplejwt looks users up (`user_model.objects.get(id=...)`), fetching the patient
    profile with its pump, or the surgeon profile, in the same query: every patient and surgeon
    endpoint reads the profile right after authentication (access.is_patient / is_care_team_member).
    The join is compiled to SQL once per process: compiling it on every request cost more than running it."""

    DoesNotExist = User.DoesNotExist
    objects = CompiledLookup(User.objects.select_related("patient__pump", "surgeon"), "id")


class ProfileJWTAuthentication(JWTAuthentication):
    """simplejwt's JWTAuthentication (same token checks, same errors), one query instead of two or three; and
    with STAFF_TWO_FACTOR_REQUIRED, a staff token counts only if issued after the second factor (a 401 for one
    minted before the requirement or by any path that skipped it)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user_model = _UsersWithProfile  # type: ignore[assignment]

    def get_user(self, validated_token: Token) -> Any:
        user = super().get_user(validated_token)
        if not sessions.has_second_factor(user, validated_token):
            raise AuthenticationFailed("This token was issued without the second factor: log in again with "
                                       "otp_token.", code="second_factor_missing")
        return user


class ProfileJWTScheme(SimpleJWTScheme):
    """The OpenAPI schema names it as simplejwt's bearer scheme (jwtAuth)."""

    target_class = "recovery.api.authentication.ProfileJWTAuthentication"
