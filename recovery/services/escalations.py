"""Escalations: opened by triage, acknowledged by the care team, passed on when nobody does."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from recovery import triage
from recovery.models import AuditEvent, CheckIn, Escalation, IncisionCheck, PatientMessage, Surgeon, WarningReport
from recovery.services import audit, pushes

logger = logging.getLogger(__name__)

# The Escalation foreign key that points at each kind of report (exactly one is set).
ESCALATION_SOURCE_FIELD: dict[type[models.Model], str] = {
    CheckIn: "checkin",
    IncisionCheck: "incision_check",
    WarningReport: "warning_report",
}
TRIAGE_MESSAGE_TITLE = "About the report you just sent"


def open_escalation(record: CheckIn | IncisionCheck | WarningReport, result: triage.TriageResult,
                    now: datetime) -> Escalation:
    """The Escalation for the patient's surgeon, the advice message, and the pushes announcing both.
    Called inside the report's transaction."""
    patient = record.patient
    escalation = Escalation.objects.create(
        patient=patient,
        level=result.level,
        reasons=list(result.reasons),
        assigned_surgeon=patient.surgeon,
        created_at=now,
        ack_due_at=now + settings.ESCALATION_ACK_DEADLINES[result.level],
        **{ESCALATION_SOURCE_FIELD[type(record)]: record},
    )
    PatientMessage.objects.create(
        patient=patient, kind=PatientMessage.Kind.TRIAGE_ADVICE, title=TRIAGE_MESSAGE_TITLE,
        body=result.advice, escalation=escalation, created_at=now,
    )
    pushes.queue_escalation_pushes(escalation)
    return escalation


def acknowledge_escalation(escalation: Escalation, user: Any) -> Escalation:
    """Mark an escalation seen, audited. Idempotent: the first acknowledgement is the one kept."""
    with transaction.atomic():
        Escalation.objects.filter(pk=escalation.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=user
        )
        escalation.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
        audit.record(actor=user, action=AuditEvent.Action.ACKNOWLEDGE, patient=escalation.patient, obj=escalation)
    return escalation


def pass_on_target(escalation: Escalation, on_call: list[Surgeon]) -> Surgeon | None:
    """Who an unacknowledged escalation goes to: the assignee's backup, else the first on-call
    surgeon (settings.ON_CALL_SURGEONS order) who is not the assignee."""
    assignee = escalation.assigned_surgeon
    if assignee.backup_id is not None:
        return assignee.backup
    return next((surgeon for surgeon in on_call if surgeon.pk != assignee.pk), None)


def pass_on_overdue_escalations(*, limit: int = 100, now: datetime | None = None) -> list[Escalation]:
    """Pass escalations nobody acknowledged by `ack_due_at` on to a backup or on-call surgeon, once.

    Rows are locked SKIP LOCKED so two runs never pass one escalation on twice. After the pass-on the
    escalation stays open in both surgeons' inboxes and is not passed on again: the patient has
    already been told to call 911 (emergency) or that the team was alerted (urgent).
    """
    now = now or timezone.now()
    by_username = {
        surgeon.user.username: surgeon
        for surgeon in Surgeon.objects.filter(user__username__in=settings.ON_CALL_SURGEONS).select_related("user")
    }
    on_call = [by_username[name] for name in settings.ON_CALL_SURGEONS if name in by_username]
    overdue = Escalation.objects.filter(acknowledged_at__isnull=True, escalated_to__isnull=True, ack_due_at__lte=now)
    # Only escalations someone can take are fetched, so those nobody can take never fill the batch
    # and hold back the ones behind them (the same rule as pass_on_target, in SQL).
    passable = Q(assigned_surgeon__backup__isnull=False)
    if len(on_call) > 1:
        passable = Q()
    elif on_call:
        passable |= ~Q(assigned_surgeon=on_call[0])
    stranded = overdue.exclude(passable).count()
    if stranded:
        logger.warning("%s overdue escalation(s) have no backup or on-call surgeon to pass them on to", stranded)
    passed_on = []
    with transaction.atomic():
        batch = (
            overdue.filter(passable)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("assigned_surgeon__backup", "patient")
            .order_by("ack_due_at", "id")[:limit]
        )
        for escalation in batch:
            target = pass_on_target(escalation, on_call)
            if target is None:  # cannot happen while `passable` mirrors pass_on_target
                continue
            escalation.escalated_to, escalation.escalated_at = target, now
            escalation.save(update_fields=["escalated_to", "escalated_at"])
            pushes.queue_pass_on_pushes(escalation)
            passed_on.append(escalation)
    return passed_on
