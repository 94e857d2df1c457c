"""Factories for the notification outbox (shared ones live in tests/factories.py)."""
from __future__ import annotations

import factory

from notifications.models import Notification
from tests.factories import DeviceFactory, ModelFactory


class NotificationFactory(ModelFactory[Notification]):
    class Meta:
        model = Notification

    device = factory.SubFactory(DeviceFactory)
    recipient = factory.SelfAttribute("device.user")
    kind = "checkin_prompt"
    title = "Time for your daily check-in"
    body = "Open the app to check in."
    data = factory.LazyFunction(lambda: {"kind": "checkin_prompt"})
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")
