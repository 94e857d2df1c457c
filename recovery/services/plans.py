"""The recovery plan of one patient: milestones and restrictions built from `recovery.plan` and the
surgery date."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from recovery import plan
from recovery.models import AuditEvent, Milestone, Patient, Restriction
from recovery.services import audit


def create_recovery_plan(patient: Patient) -> None:
    """(Re)build the patient's milestones and restrictions from their surgery date and `recovery.plan`.

    Milestones already completed keep their completion; rows are replaced, never duplicated.
    """
    completed = dict(
        Milestone.objects.filter(patient=patient, completed_at__isnull=False).values_list("key", "completed_at")
    )
    existing_keys = frozenset(Milestone.objects.filter(patient=patient).values_list("key", flat=True))
    templates = plan.milestone_templates(
        surgery_date=patient.surgery_date, today=patient.local_date(),
        binder_prescribed=patient.binder_prescribed, kept_keys=existing_keys,
    )
    Milestone.objects.filter(patient=patient).delete()
    Restriction.objects.filter(patient=patient).delete()
    Milestone.objects.bulk_create(
        Milestone(
            patient=patient,
            key=template.key,
            title=plan.english(template.title),
            due_date=plan.day_to_date(patient.surgery_date, template.day),
            window_days=template.window_days,
            completed_at=completed.get(template.key),
        )
        for template in templates
    )
    Restriction.objects.bulk_create(
        Restriction(
            patient=patient,
            key=template.key,
            title=plan.english(template.title),
            instructions=plan.english(template.instructions),
            starts_on=plan.day_to_date(patient.surgery_date, template.starts_day),
            ends_on=None if template.ends_day is None else plan.day_to_date(patient.surgery_date, template.ends_day),
        )
        for template in plan.RESTRICTIONS
        if patient.binder_prescribed or template.key != "wear_binder"
    )


class NotPatientsToTick(Exception):
    """The milestone is the care team's to mark done (e.g. the wound check visit), not the patient's."""


class StepAfterSurgery(Exception):
    """A step of the recovery after surgery, ticked off while the patient's surgery date is still ahead."""

    def __init__(self, milestone: Milestone) -> None:
        super().__init__(milestone.key)
        self.milestone = milestone


def complete_own_milestone(patient: Patient, key: str, *, at: datetime | None = None) -> Milestone:
    """The patient ticks off one of their own milestones (a preparation step, physical therapy started).

    Idempotent: the first completion time is kept. Raises Milestone.DoesNotExist for a key the patient
    does not have, NotPatientsToTick for one the care team marks, StepAfterSurgery for a recovery step
    before the surgery date (in the patient's zone): only the preparation checklist can be done then.
    """
    milestone = Milestone.objects.get(patient=patient, key=key)
    if plan.done_by(key) != plan.DoneBy.PATIENT:
        raise NotPatientsToTick(key)
    if _before_its_surgery(key, patient, at):
        raise StepAfterSurgery(milestone)
    return complete_milestone(milestone, at=at)


class NotCareTeamsToTick(Exception):
    """The milestone is the patient's to tick off in the app (physical therapy started), not the clinic's."""


def complete_clinic_milestone(milestone: Milestone, *, by: Any, at: datetime | None = None) -> Milestone:
    """The care team marks one of the clinic's milestones done (the pre-operative visit, the wound check),
    audited. Raises NotCareTeamsToTick for a step the patient marks, StepAfterSurgery for a recovery step
    before the surgery date (in the patient's zone), as for the patient's own steps."""
    if plan.done_by(milestone.key) != plan.DoneBy.CLINIC:
        raise NotCareTeamsToTick(milestone.key)
    if _before_its_surgery(milestone.key, milestone.patient, at):
        raise StepAfterSurgery(milestone)
    return complete_milestone(milestone, by=by, at=at)


def _before_its_surgery(key: str, patient: Patient, at: datetime | None) -> bool:
    """A recovery step (not a preparation item) while the surgery date is still ahead in the patient's zone."""
    return key not in plan.PREOP_KEYS and patient.local_date(at) < patient.surgery_date


def complete_milestone(milestone: Milestone, *, by: Any = None, at: datetime | None = None) -> Milestone:
    """Mark a milestone done (e.g. the surgeon confirms the wound check). Idempotent: the first time is
    kept. Audited when staff (`by`) does it."""
    with transaction.atomic():
        Milestone.objects.filter(pk=milestone.pk, completed_at__isnull=True).update(completed_at=at or timezone.now())
        milestone.refresh_from_db(fields=["completed_at"])
        if by is not None:
            audit.record(actor=by, action=AuditEvent.Action.UPDATE, patient=milestone.patient, obj=milestone)
    return milestone
