"""Two-way messages between a patient and their care team.

A patient's message is a conversation, never a report: it is not triaged and opens no escalation.
So that nobody waits on a message for something urgent, the system answers the first message of each
of the patient's days with how to report warning signs (the app's warning-report screen, or the local
emergency number), and the API answers every message with that notice.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recovery.i18n import patient_language
from recovery.models import AuditEvent, Patient, PatientMessage
from recovery.services import audit, pushes
from recovery.services.idempotency import IdempotencyConflict, payload_fingerprint

# Titles of the messages written to the patient, rendered in the patient's language when stored.
AUTO_REPLY_TITLE = _("Your message was sent")
CARE_TEAM_MESSAGE_TITLE = _("Message from your care team")


def warning_signs_notice(patient: Patient) -> str:
    """How to report warning signs, in the patient's language: messages are read in clinic hours only."""
    number = getattr(patient, "emergency_number", "") or "911"
    with patient_language(patient.text_language):
        return gettext(
            "Your care team reads messages during clinic hours, so a message is not the way to report a "
            "warning sign. If you have fever, new numbness or weakness, trouble walking, redness or drainage "
            "at an incision, or a pump alarm, use \u201cReport warning signs\u201d in the app now. If you "
            "have trouble breathing, chest pain, a seizure, or feel very drowsy or confused, call %(number)s now."
        ) % {"number": number}


@dataclass(frozen=True)
class MessageSubmission:
    message: PatientMessage
    created: bool  # False: the same client_id and body were stored before; `message` is that first one


def _replay(existing: PatientMessage, fingerprint: str) -> MessageSubmission:
    if existing.payload_fingerprint != fingerprint:
        raise IdempotencyConflict(existing)
    return MessageSubmission(message=existing, created=False)


def _store_once(patient: Patient, client_id: Any, fingerprint: str,
                write: Callable[[], PatientMessage]) -> MessageSubmission:
    """Run `write` (the message and what goes with it) in one transaction, once per client_id of the patient's
    thread: a retry returns the first message, the same id with another fingerprint raises IdempotencyConflict,
    also when both arrive at once (the unique (patient, client_id) constraint decides). Without a client_id
    every call writes."""
    if client_id is not None:
        existing = PatientMessage.objects.filter(patient=patient, client_id=client_id).first()
        if existing is not None:
            return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            message = write()
    except IntegrityError:
        existing = (PatientMessage.objects.filter(patient=patient, client_id=client_id).first()
                    if client_id is not None else None)
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    return MessageSubmission(message=message, created=True)


def send_patient_message(patient: Patient, *, client_id: Any, body: str,
                         now: datetime | None = None) -> MessageSubmission:
    """Store the patient's message once per client_id, answer it automatically once a day, and push the
    care team (surgeon and nurses), in one transaction. A retry returns the first message; the same
    client_id with another body raises IdempotencyConflict."""
    now = now or timezone.now()
    fingerprint = payload_fingerprint({"client_id": client_id, "body": body})

    def write() -> PatientMessage:
        message = PatientMessage.objects.create(
            patient=patient, kind=PatientMessage.Kind.PATIENT, body=body, client_id=client_id,
            payload_fingerprint=fingerprint, sender=patient.user, created_at=now,
        )
        _auto_reply_once_a_day(patient, now)
        pushes.queue_message_pushes(message)
        return message

    return _store_once(patient, client_id, fingerprint, write)


def _auto_reply_once_a_day(patient: Patient, now: datetime) -> None:
    local_day = patient.local_date(now)
    start_of_day = datetime.combine(local_day, datetime.min.time(), tzinfo=patient.zone)
    if PatientMessage.objects.filter(
        patient=patient, kind=PatientMessage.Kind.AUTO_REPLY, created_at__gte=start_of_day
    ).exists():
        return
    with patient_language(patient.text_language):
        title = str(AUTO_REPLY_TITLE)
    # Written a moment after the patient's message so that it sorts above it, newest first.
    PatientMessage.objects.create(
        patient=patient, kind=PatientMessage.Kind.AUTO_REPLY, title=title,
        body=warning_signs_notice(patient), created_at=now + timedelta(microseconds=1),
    )


def send_care_team_message(patient: Patient, *, body: str, by: Any, client_id: Any = None) -> MessageSubmission:
    """A care-team member's message to the patient: stored, audited and pushed to the patient's devices
    in one transaction. Replying also marks the patient's messages read.

    With a `client_id` (the API's optional one, the dashboard form's hidden one) it is stored once, by the
    phone records' rule (shared/API.md, General rules): a retried request or a double-submitted form returns
    the first message and sends no second push; the same id with another body, or from another member,
    raises IdempotencyConflict."""
    with patient_language(patient.text_language):
        title = str(CARE_TEAM_MESSAGE_TITLE)
    fingerprint = (payload_fingerprint({"client_id": client_id, "body": body, "sender": getattr(by, "pk", None)})
                   if client_id is not None else "")

    def write() -> PatientMessage:
        message = PatientMessage.objects.create(
            patient=patient, kind=PatientMessage.Kind.CARE_TEAM, body=body, sender=by, title=title,
            client_id=client_id, payload_fingerprint=fingerprint,
        )
        mark_read(patient)
        audit.record(actor=by, action=AuditEvent.Action.CREATE, patient=patient, obj=message)
        pushes.queue_message_pushes(message)
        return message

    return _store_once(patient, client_id, fingerprint, write)


def open_thread(patient: Patient, *, by: Any) -> None:
    """The care team opened the patient's thread: their messages count as read; audited as a view."""
    with transaction.atomic():
        mark_read(patient)
        audit.record(actor=by, action=AuditEvent.Action.VIEW, patient=patient, object_type="recovery.PatientMessage")


def mark_read(patient: Patient) -> int:
    """The care team has seen the patient's messages (call inside the audited read or write that shows them)."""
    return PatientMessage.objects.filter(
        patient=patient, kind=PatientMessage.Kind.PATIENT, read_at__isnull=True
    ).update(read_at=timezone.now())
