"""Writes of the clinical domain. Views, admin, commands and tasks call these; they hold the rules."""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from recovery import plan
from recovery.models import (
    ActivationCode,
    AuditEvent,
    Escalation,
    Milestone,
    Patient,
    Pump,
    Restriction,
    Surgeon,
    User,
)

# No 0/O, 1/I/L: the code is read off paper and typed on a phone.
ACTIVATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ACTIVATION_CODE_LENGTH = 10


@dataclass(frozen=True)
class Enrollment:
    patient: Patient
    activation_code: str  # plain text, shown once; only its hash is stored


def create_surgeon(
    *, username: str, password: str, email: str = "", display_name: str = "", backup: Surgeon | None = None
) -> Surgeon:
    """A surgeon login with its clinical profile."""
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, email=email, role=User.Role.SURGEON)
        return Surgeon.objects.create(user=user, display_name=display_name or f"Dr. {username}", backup=backup)


def hash_activation_code(code: str) -> str:
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


def format_activation_code(raw: str) -> str:
    return "-".join(raw[i : i + 5] for i in range(0, len(raw), 5))


def issue_activation_code(patient: Patient) -> str:
    """A fresh one-time code for `patient`; earlier unused codes stop working."""
    now = timezone.now()
    ActivationCode.objects.filter(patient=patient, used_at__isnull=True).update(expires_at=now)
    raw = "".join(secrets.choice(ACTIVATION_ALPHABET) for _ in range(ACTIVATION_CODE_LENGTH))
    ActivationCode.objects.create(
        patient=patient, code_hash=hash_activation_code(raw), expires_at=now + settings.ACTIVATION_CODE_TTL
    )
    return format_activation_code(raw)


def create_recovery_plan(patient: Patient) -> None:
    """(Re)build the patient's milestones and restrictions from their surgery date and `recovery.plan`.

    Milestones already completed keep their completion; rows are replaced, never duplicated.
    """
    completed = dict(
        Milestone.objects.filter(patient=patient, completed_at__isnull=False).values_list("key", "completed_at")
    )
    Milestone.objects.filter(patient=patient).delete()
    Restriction.objects.filter(patient=patient).delete()
    Milestone.objects.bulk_create(
        Milestone(
            patient=patient,
            key=template.key,
            title=template.title,
            due_date=plan.day_to_date(patient.surgery_date, template.day),
            window_days=template.window_days,
            completed_at=completed.get(template.key),
        )
        for template in plan.MILESTONES
        if patient.binder_prescribed or template.key != "binder_period_end"
    )
    Restriction.objects.bulk_create(
        Restriction(
            patient=patient,
            key=template.key,
            title=template.title,
            instructions=template.instructions,
            starts_on=plan.day_to_date(patient.surgery_date, template.starts_day),
            ends_on=None if template.ends_day is None else plan.day_to_date(patient.surgery_date, template.ends_day),
        )
        for template in plan.RESTRICTIONS
        if patient.binder_prescribed or template.key != "wear_binder"
    )


def enroll_patient(
    *,
    surgeon: Surgeon,
    display_name: str,
    surgery_date: date,
    timezone_name: str,
    pump: dict[str, Any],
    checkin_time: time | None = None,
    binder_prescribed: bool = True,
) -> Enrollment:
    """Create a patient under `surgeon` with pump, recovery plan and a one-time activation code."""
    with transaction.atomic():
        patient = Patient.objects.create(
            surgeon=surgeon,
            display_name=display_name,
            surgery_date=surgery_date,
            timezone=timezone_name,
            checkin_time=checkin_time or time(9, 0),
            binder_prescribed=binder_prescribed,
        )
        Pump.objects.create(patient=patient, **pump)
        create_recovery_plan(patient)
        code = issue_activation_code(patient)
    return Enrollment(patient=patient, activation_code=code)


def acknowledge_escalation(escalation: Escalation, user: User) -> Escalation:
    """Mark an escalation seen. Idempotent: the first acknowledgement is the one kept."""
    Escalation.objects.filter(pk=escalation.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=user
    )
    escalation.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    return escalation


def record_audit_event(
    *,
    actor: User,
    action: str,
    patient: Patient | None,
    obj: models.Model | None = None,
    object_type: str = "",
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Write who read or changed which patient record, when and from where (health-data audit trail)."""
    meta = request.META if request is not None else {}
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    ip = (forwarded.split(",")[0].strip() if forwarded else meta.get("REMOTE_ADDR")) or None
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        patient=patient,
        object_type=object_type or (obj._meta.label if obj is not None else "recovery.Patient"),
        object_id=str(obj.pk) if obj is not None else (str(patient.pk) if patient else ""),
        path=(request.get_full_path()[:512] if request is not None else ""),
        ip_address=ip,
        user_agent=meta.get("HTTP_USER_AGENT", "")[:256],
    )


def pass_on_target(escalation: Escalation, on_call: list[Surgeon]) -> Surgeon | None:
    """Who an unacknowledged escalation goes to: the assignee's backup, else the first on-call
    surgeon (settings.ON_CALL_SURGEONS order) who is not the assignee."""
    assignee = escalation.assigned_surgeon
    if assignee.backup_id is not None:
        return assignee.backup
    return next((surgeon for surgeon in on_call if surgeon.pk != assignee.pk), None)


def pass_on_overdue_escalations(*, limit: int = 100) -> list[Escalation]:
    """Pass escalations nobody acknowledged by `ack_due_at` on to a backup or on-call surgeon, once.

    Rows are locked SKIP LOCKED so two runs never pass one escalation on twice. After the pass-on the
    escalation stays open in both surgeons' inboxes and is not passed on again: the patient has
    already been told to call 911 (emergency) or that the team was alerted (urgent).
    """
    from notifications.services import queue_pass_on_pushes

    now = timezone.now()
    by_username = {
        surgeon.user.username: surgeon
        for surgeon in Surgeon.objects.filter(user__username__in=settings.ON_CALL_SURGEONS).select_related("user")
    }
    on_call = [by_username[name] for name in settings.ON_CALL_SURGEONS if name in by_username]
    passed_on = []
    with transaction.atomic():
        overdue = (
            Escalation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("assigned_surgeon__backup", "patient")
            .filter(acknowledged_at__isnull=True, escalated_to__isnull=True, ack_due_at__lte=now)
            .order_by("ack_due_at", "id")[:limit]
        )
        for escalation in overdue:
            target = pass_on_target(escalation, on_call)
            if target is None:
                logging.getLogger(__name__).warning("Escalation %s is overdue and there is no backup or on-call surgeon", escalation.pk)
                continue
            escalation.escalated_to, escalation.escalated_at = target, now
            escalation.save(update_fields=["escalated_to", "escalated_at"])
            queue_pass_on_pushes(escalation)
            passed_on.append(escalation)
    return passed_on
