"""Staff edits in the admin of records that have no richer service (pumps, milestones, messages ...):
saved or deleted together with their audit row, in one transaction."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.db.models import Q

from recovery.models import (
    AuditEvent,
    Escalation,
    EscalationReport,
    Patient,
    User,
)
from recovery.services import audit
from recovery.services.escalations import ESCALATION_SOURCE_FIELD


class DeletionRefused(Exception):
    """A staff deletion that would lose an escalation case or an auditor's identity; `reasons` say why."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def save_record(obj: models.Model, *, by: Any, created: bool) -> models.Model:
    """Store a staff-made or staff-changed record and audit it."""
    with transaction.atomic():
        obj.save()
        action = AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE
        audit.record(actor=by, action=action, patient=audit.patient_of(obj), obj=obj)
    return obj


def deletion_refusals(objs: Iterable[models.Model]) -> list[str]:
    """Why these records may not be deleted, empty if they may. No escalation is ever lost: cases and
    their reports are never deleted, and neither is a patient with an unresolved case nor a report in
    one (the database would cascade the case, or its link to the report, away with them)."""
    objs = list(objs)
    refusals = [f"{obj._meta.verbose_name} “{obj}”: escalation cases and their reports are kept, never deleted"
                for obj in objs if isinstance(obj, (Escalation, EscalationReport))]
    holds = Q()
    for obj in objs:
        if isinstance(obj, Patient):
            holds |= Q(patient=obj)
        elif (field := ESCALATION_SOURCE_FIELD.get(type(obj))) is not None:  # a phone report a case can hold
            holds |= Q(**{field: obj}) | Q(**{f"case_reports__{field}": obj})
    if holds:
        open_cases = (Escalation.objects.filter(holds, resolved_at__isnull=True).distinct()
                      .select_related("patient").order_by("pk"))
        refusals += [f"open escalation case “{case}” (#{case.pk}): resolve it before deleting its patient or reports"
                     for case in open_cases]
    return refusals


def delete_records(objs: list[models.Model], *, by: Any) -> None:
    """Delete records and audit each, or raise DeletionRefused (deleting nothing) if deletion_refusals
    has a reason. A deleted patient's audit events keep its id (AuditEvent.patient), this deletion's too."""
    with transaction.atomic():
        # The report services open or join a case under this lock (services.escalations): no case can
        # open for these patients between the check and the delete.
        patient_ids = sorted({patient.pk for obj in objs if (patient := audit.patient_of(obj)) is not None})
        list(Patient.objects.select_for_update(no_key=True).filter(pk__in=patient_ids).values_list("pk", flat=True))
        if refusals := deletion_refusals(objs):
            raise DeletionRefused(refusals)
        for obj in objs:
            audit.record(actor=by, action=AuditEvent.Action.DELETE, patient=audit.patient_of(obj), obj=obj)
            obj.delete()


def user_deletion_refusals(users: Iterable[User]) -> list[str]:
    """Why these logins may not be deleted: one that read or changed patient records stays, so the audit
    trail keeps naming who did it (deactivate it instead)."""
    users = list(users)
    audited = set(AuditEvent.objects.filter(actor__in=users).values_list("actor_id", flat=True).distinct())
    return [f"user “{user}” is named in the audit trail: deactivate the login (untick “Active”) instead"
            for user in users if user.pk in audited]


def delete_users(users: list[User]) -> None:
    """Delete logins, or raise DeletionRefused (deleting nothing) if user_deletion_refusals has a reason."""
    with transaction.atomic():
        if refusals := user_deletion_refusals(users):
            raise DeletionRefused(refusals)
        for user in users:
            user.delete()
