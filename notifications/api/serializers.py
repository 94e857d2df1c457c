"""Devices API payloads (shared/API.md: POST /api/v1/devices/)."""
from __future__ import annotations

from django.utils.translation import gettext
from rest_framework import serializers

from notifications.models import Device


class DeviceRegistrationSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=4096, trim_whitespace=True,
                                  help_text="The push token (FCM registration token or APNs device token); no '/'.")
    platform = serializers.ChoiceField(choices=Device.Platform.choices)

    def validate_token(self, token: str) -> str:
        """A token is one segment of DELETE /api/v1/devices/{token}/ (and of the answer's `Location`): a '/' in it
        could never be unregistered, and the `Location` of it could not be written (a 500 after the row was stored).
        FCM and APNs tokens never hold one."""
        if "/" in token:
            raise serializers.ValidationError(gettext("A push token cannot contain “/”."))
        if token in {".", ".."}:  # as a path segment, clients resolve it away: DELETE would reach another path
            raise serializers.ValidationError(gettext("This is not a push token."))
        return token


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "token", "platform", "created_at", "last_seen_at"]
        read_only_fields = fields
