"""Push-token registration for patients and surgeons; thin views over notifications.services.devices."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from notifications.api.serializers import DeviceRegistrationSerializer, DeviceSerializer
from notifications.services import devices


class MayOwnDevices(BasePermission):
    """Who may register push tokens is the product's decision: settings.PUSH_DEVICE_OWNER_CHECK names a
    function user -> bool (this app knows nothing of roles)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and import_string(settings.PUSH_DEVICE_OWNER_CHECK)(user))


class DeviceView(APIView):
    """Answers in the caller's language, as settings.PUSH_DEVICE_OWNER_LANGUAGE (user -> code or None) says
    (reset after the request by the product's middleware)."""

    permission_classes = [IsAuthenticated, MayOwnDevices]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """A refused token in the phone's language (Accept-Language); after it, in the owner's, if the product
        says (settings.PUSH_DEVICE_OWNER_LANGUAGE)."""
        translation.activate(translation.get_language_from_request(request))
        super().initial(request, *args, **kwargs)
        language = import_string(settings.PUSH_DEVICE_OWNER_LANGUAGE)(request.user)
        translation.activate(language or settings.LANGUAGE_CODE)


class DeviceListView(DeviceView):

    @extend_schema(
        operation_id="devices_register",
        tags=["devices"],
        request=DeviceRegistrationSerializer,
        responses={
            201: DeviceSerializer,
            200: OpenApiResponse(DeviceSerializer, description="The caller had already registered this token: "
                                 "re-enabled, nothing new stored."),
            400: OpenApiResponse(description="`{field: [message]}` for a missing token or unknown platform."),
            409: OpenApiResponse(description='`{"token": [message]}`: the token is a care-team member\'s enabled '
                                 "device, which never moves to a patient; nothing changed."),
        },
        description="Register a push token (idempotent). A token another user registered moves to the caller "
        "as a fresh record (201): nothing of the earlier owner's is kept and their queued pushes are dropped.",
    )
    def post(self, request: Request) -> Response:
        serializer = DeviceRegistrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            device, created = devices.register_device(user=request.user, **serializer.validated_data)
        except devices.LoginInactive as inactive:
            raise exceptions.AuthenticationFailed(gettext("This account is no longer active."),
                                                  code="user_inactive") from inactive
        except devices.DeviceTakeoverRefused:
            refused = gettext("This push token is registered to another account on this phone. Log that account "
                              "out first.")
            return Response({"token": [refused]}, status=status.HTTP_409_CONFLICT)
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        location = reverse("notifications_api:device-detail", kwargs={"token": device.token}, request=request)
        return Response(DeviceSerializer(device).data, status=answer, headers={"Location": location})


class DeviceDetailView(DeviceView):

    @extend_schema(
        operation_id="devices_unregister",
        tags=["devices"],
        responses={204: None, 404: OpenApiResponse(description="No such token registered by the caller.")},
        description="Unregister a push token: it receives nothing more.",
    )
    def delete(self, request: Request, token: str) -> Response:
        if not devices.unregister_device(user=request.user, token=token):
            return Response({"detail": gettext("Not found.")}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)
