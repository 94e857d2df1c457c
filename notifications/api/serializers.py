"""Devices API payloads (shared/API.md: POST /api/v1/devices/)."""
from __future__ import annotations

from rest_framework import serializers

from notifications.models import Device


class DeviceRegistrationSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=4096, trim_whitespace=True)
    platform = serializers.ChoiceField(choices=Device.Platform.choices)


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "token", "platform", "created_at", "last_seen_at"]
        read_only_fields = fields
