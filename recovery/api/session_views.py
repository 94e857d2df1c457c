"""Token refresh and logout (shared/API.md "Session and service"); thin views over recovery.services.sessions."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken

from recovery.api.languages import PhoneLanguageView
from recovery.api.serializers import TokenPairSerializer
from recovery.api.throttling import LOGOUT_THROTTLES, REFRESH_THROTTLES
from recovery.services import sessions as tokens

ERROR_400 = OpenApiResponse(description='`{"refresh": ["This field is required."]}`.')
ERROR_429 = OpenApiResponse(description="Too many attempts; retry after the `Retry-After` header's seconds.")


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class SessionView(PhoneLanguageView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'  # so a refused token is 401, as on every other endpoint

    def refresh_token(self, request: Request) -> str:
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["refresh"]


class RefreshView(SessionView):
    throttle_classes = REFRESH_THROTTLES

    @extend_schema(
        tags=["auth"], request=RefreshInputSerializer,
        responses={200: TokenPairSerializer, 400: ERROR_400,
                   401: OpenApiResponse(description="Refresh token invalid, expired, already used, logged out, "
                                        "or its user's password changed or account is gone."),
                   429: ERROR_429},
        description="A new access token and a new refresh token; the refresh token sent stops working "
        "(rotation). Of concurrent refreshes with one token exactly one succeeds; the others answer 401.",
    )
    def post(self, request: Request) -> Response:
        raw = self.refresh_token(request)
        try:
            return Response(tokens.rotate_refresh_token(raw))
        except tokens.SessionError as exc:
            raise InvalidToken(str(exc)) from exc


class LogoutView(SessionView):
    throttle_classes = LOGOUT_THROTTLES

    @extend_schema(
        tags=["auth"], request=RefreshInputSerializer,
        responses={205: None, 400: ERROR_400,
                   401: OpenApiResponse(description="Not a valid refresh token (forged or expired)."),
                   429: ERROR_429},
        description="Log out: the refresh token sent no longer works (its access token expires within "
        "15 minutes). Logging out again with the same token also answers 205.",
    )
    def post(self, request: Request) -> Response:
        raw = self.refresh_token(request)
        try:
            tokens.revoke_refresh_token(raw)
        except tokens.SessionError as exc:
            raise InvalidToken(str(exc)) from exc
        return Response(status=status.HTTP_205_RESET_CONTENT)
