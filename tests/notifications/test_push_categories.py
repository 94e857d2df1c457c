"""Escalations, messages and reminders look different on the phone (channel, interruption level,
priority, expiry, collapsing), as FCM receives them; the text stays neutral."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from notifications.services import delivery
from recovery.services import pushes
from tests.factories import DeviceFactory, EscalationFactory, PatientFactory, SurgeonFactory

pytestmark = pytest.mark.django_db


def sent_to(standin, token: str) -> dict:
    [message] = [m for m in standin.sent_messages() if m["token"] == token]
    return message


@pytest.fixture
def escalation_pushes(fcm_standin):
    """An escalation of each level announced to its surgeon (and the advice message to its patient)."""
    devices = {}
    for level in ("emergency", "urgent"):
        surgeon = SurgeonFactory()
        devices[level] = DeviceFactory(user=surgeon.user)
        patient = PatientFactory(surgeon=surgeon)
        devices[f"{level}-patient"] = DeviceFactory(user=patient.user)
        with transaction.atomic():
            pushes.queue_escalation_pushes(EscalationFactory(patient=patient, level=level))
    delivery.deliver_due()
    return devices


@pytest.mark.parametrize("level", ["emergency", "urgent"])
def test_escalations_use_their_own_android_channel_and_ios_time_sensitive(fcm_standin, escalation_pushes, level):
    message = sent_to(fcm_standin, escalation_pushes[level].token)
    assert message["android"]["notification"]["channel_id"] == f"escalations_{level}"
    assert message["android"]["priority"] == "high"
    assert "ttl" not in message["android"] and "collapse_key" not in message["android"]
    assert message["apns"]["headers"]["apns-priority"] == "10"
    assert message["apns"]["payload"]["aps"]["interruption-level"] == "time-sensitive"
    assert "apns-expiration" not in message["apns"]["headers"]


def test_critical_alerts_are_not_requested(fcm_standin, escalation_pushes):
    aps = sent_to(fcm_standin, escalation_pushes["emergency"].token)["apns"]["payload"]["aps"]
    assert aps["sound"] == "default"  # a plain sound, not {"critical": 1, ...}


def test_the_patients_advice_push_is_a_message_not_an_escalation(fcm_standin, escalation_pushes):
    message = sent_to(fcm_standin, escalation_pushes["emergency-patient"].token)
    assert message["android"]["notification"]["channel_id"] == "messages"
    assert message["apns"]["payload"]["aps"]["interruption-level"] == "active"
    assert message["notification"] == {"title": "New message from your care team", "body": "Open the app to read it."}


def test_reminders_have_their_channel_a_ttl_and_collapse_per_kind(fcm_standin):
    patient = PatientFactory()
    device = DeviceFactory(user=patient.user)
    pushes.queue_reminder_pushes(timezone.now().date(), [(patient.pk, patient.user.pk, "en", ("checkin_prompt",))])
    delivery.deliver_due()
    message = sent_to(fcm_standin, device.token)
    assert message["android"]["notification"]["channel_id"] == "reminders"
    assert message["android"]["priority"] == "normal"
    assert 43000 < float(message["android"]["ttl"].rstrip("s")) <= 43200
    assert message["android"]["collapse_key"] == "checkin_prompt"
    assert message["apns"]["headers"]["apns-collapse-id"] == "checkin_prompt"
    assert int(message["apns"]["headers"]["apns-expiration"]) > timezone.now().timestamp()
    assert message["apns"]["payload"]["aps"]["interruption-level"] == "active"


def test_each_category_has_a_distinct_android_channel():
    from notifications.push_categories import PRESENTATION

    channels = [look.android_channel_id for look in PRESENTATION.values()]
    assert len(set(channels)) == len(channels) == 4


def test_a_reminder_past_its_ttl_is_not_sent(fcm_standin):
    patient = PatientFactory()
    device = DeviceFactory(user=patient.user)
    pushes.queue_reminder_pushes(timezone.now().date(), [(patient.pk, patient.user.pk, "en", ("checkin_missing",))])
    with time_machine.travel(timezone.now() + timedelta(hours=6)):
        delivery.deliver_due()
    row = Notification.objects.get(device=device)
    assert row.status == Notification.Status.DEAD and row.last_error.startswith("expired")
    assert fcm_standin.received() == []
