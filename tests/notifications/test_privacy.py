"""Push payloads carry no health information: neutral title and body, ids only in data."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.services import delivery
from recovery.models import SEVERITY
from recovery.plan import RESTRICTIONS
from recovery.services import messages, pushes, reminders
from recovery.services.escalations import acknowledge_escalation, pass_on_overdue_escalations
from tests.factories import (
    CheckInFactory,
    DeviceFactory,
    EscalationFactory,
    PatientFactory,
    SurgeonFactory,
    WarningReportFactory,
)

pytestmark = pytest.mark.django_db

SYMPTOM_WORDS = [
    "fever", "breathing", "breath", "walking", "balance", "numb", "tingl", "weak", "pain", "incision",
    "redness", "bleed", "drainage", "swell", "headache", "withdrawal", "overdose", "alarm", "pump",
    "binder", "refill", "morphine", "opioid", "baclofen", "emergency", "urgent", "911",
]
ALLOWED_DATA_KEYS = {"kind", "escalation_id", "patient_id", "local_date", "message_id"}


def every_kind_of_push(fcm_standin) -> tuple[list[Notification], list[str]]:
    """Produce one push of every kind for a patient whose records are full of health details."""
    backup = SurgeonFactory(display_name="Dr. Backup Person")
    patient = PatientFactory(enrolled=True, display_name="Jane Q. Sensitive", surgeon=SurgeonFactory(backup=backup),
                             timezone="UTC", surgery_date=date(2026, 1, 1), checkin_time=time(9, 0),
                             pump__next_refill_date=date(2026, 1, 12),
                             pump__battery_replacement_due=date(2026, 4, 5))
    for user in (patient.user, patient.surgeon.user, backup.user):
        DeviceFactory(user=user)
    CheckInFactory(patient=patient, pain_score=9, note="pus on my back scar", local_date=date(2025, 12, 31))
    report = WarningReportFactory(patient=patient, symptoms=["difficulty_breathing", "overdose_signs"],
                                  note="I feel very drowsy and my lips are blue")
    escalation = EscalationFactory(warning_report=report, reasons=["difficulty_breathing", "overdose_signs"],
                                   ack_due_at=timezone.now() - timedelta(minutes=1))
    pushes.queue_escalation_pushes(escalation)
    pass_on_overdue_escalations()
    acknowledge_escalation(escalation, backup.user)
    pushes.queue_case_report_added_push(escalation)  # a later report joined the case the backup took
    for rule in reminders.REMINDER_RULES:  # each kind on its own
        reminders.dispatch_reminder(rule, now=datetime(2026, 1, 5, 20, 0, tzinfo=UTC))
    # and several due at once, combined into one push
    reminders.dispatch_reminders(now=datetime(2026, 1, 6, 20, 0, tzinfo=UTC))
    messages.send_patient_message(patient, client_id=uuid.uuid4(), body="Jane here: pus on my back scar, pain 9/10")
    messages.send_care_team_message(patient, body="Jane, keep the binder on; we will call about the pus.",
                                    by=patient.surgeon.user)
    delivery.deliver_due()
    secrets = [patient.display_name, "Jane", "Sensitive", patient.surgeon.display_name, backup.display_name,
               "pus", "drowsy", "lips", "9/10", *SEVERITY, *report.symptoms, *SYMPTOM_WORDS,
               *(r.title for r in RESTRICTIONS)]
    return list(Notification.objects.all()), secrets


def test_every_kind_of_push_was_produced(fcm_standin):
    rows, _ = every_kind_of_push(fcm_standin)
    assert {row.kind for row in rows} == set(pushes.PushKind.values)


def test_no_name_symptom_note_or_score_in_any_push_title_or_body(fcm_standin):
    _, secrets = every_kind_of_push(fcm_standin)
    sent = fcm_standin.sent_messages()
    assert sent, "nothing reached the stand-in"
    for message in sent:
        text = f"{message['notification']['title']} {message['notification']['body']}".lower()
        for secret in secrets:
            assert secret.lower() not in text, (secret, text)
        assert not re.search(r"\d", text), text


def test_push_data_holds_only_ids_and_kind(fcm_standin):
    every_kind_of_push(fcm_standin)
    for message in fcm_standin.sent_messages():
        assert set(message["data"]) <= ALLOWED_DATA_KEYS
        assert all(re.fullmatch(r"[a-z_]+|\d+|\d{4}-\d\d-\d\d", value) for value in message["data"].values())


def test_lock_screen_text_is_fixed_neutral_text_for_each_kind():
    for kind, (title, body) in pushes.NEUTRAL_TEXT.items():
        for secret in SYMPTOM_WORDS:
            assert secret not in f"{title} {body}".lower(), (kind, secret)
