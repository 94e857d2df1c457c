"""Enrolling a patient (pump, recovery plan, one-time code) and staff changes to a patient's record."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.db import IntegrityError, transaction

from recovery.models import AuditEvent, Patient, Surgeon
from recovery.services import audit
from recovery.services.accounts import issue_activation_code
from recovery.services.idempotency import IdempotencyConflict
from recovery.services.plans import create_recovery_plan
from recovery.services.pumps import create_pump

# A change to any of these moves the plan: milestones, restrictions and the binder reminder.
PLAN_FIELDS = frozenset({"surgery_date", "binder_prescribed"})
# How the care team reaches the patient; entered at enrollment, editable by the care team.
CONTACT_FIELDS = ("phone", "emergency_contact_name", "emergency_contact_phone", "preferred_contact_time")
# What the care team may change of a patient on the dashboard or by PATCH.
EDITABLE_FIELDS = frozenset({"display_name", "surgery_date", "timezone", "checkin_time", "binder_prescribed",
                             *CONTACT_FIELDS})


@dataclass(frozen=True)
class Enrollment:
    patient: Patient
    activation_code: str | None  # plain text, shown once (only its hash is stored); None on a replay
    created: bool = True  # False: this submission key enrolled `patient` before


def enroll_patient(
    *,
    surgeon: Surgeon,
    display_name: str,
    surgery_date: date,
    timezone_name: str,
    pump: dict[str, Any],
    checkin_time: time | None = None,
    binder_prescribed: bool = True,
    by: Any = None,
    submission_key: uuid.UUID | None = None,
    language: str = "",
    country: str = "",
    contact: dict[str, str] | None = None,
) -> Enrollment:
    """Create a patient under `surgeon` with pump, recovery plan and a one-time activation code.

    `by` is the staff login doing it (audited in the same transaction; default the surgeon).
    `contact`: phone, emergency_contact_name, emergency_contact_phone, preferred_contact_time (phones
    already normalized, recovery.phones).
    `submission_key` (the dashboard form's hidden id, the API's optional client_id) makes it idempotent: it
    is stored with the patient, and the same key again answers the patient it made, without a code (only its
    hash is stored), also when two requests race: the unique constraint decides. The key reused for another
    patient raises IdempotencyConflict (_replay).
    """
    actor = by if by is not None else surgeon.user
    asked = (display_name, surgery_date, timezone_name)
    if submission_key is not None:
        existing = Patient.objects.filter(surgeon=surgeon, enrollment_key=submission_key).first()
        if existing is not None:
            return _replay(existing, asked, submission_key)
    try:
        with transaction.atomic():
            patient = Patient.objects.create(
                surgeon=surgeon,
                display_name=display_name,
                surgery_date=surgery_date,
                timezone=timezone_name,
                checkin_time=checkin_time or time(9, 0),
                binder_prescribed=binder_prescribed,
                enrollment_key=submission_key,
                language=language,
                country=country,
                **{field: value for field, value in (contact or {}).items() if field in CONTACT_FIELDS},
            )
            create_pump(patient, pump, by=actor)
            create_recovery_plan(patient)
            code = issue_activation_code(patient)
            audit.record(actor=actor, action=AuditEvent.Action.CREATE, patient=patient, obj=patient)
    except IntegrityError:
        existing = (
            Patient.objects.filter(surgeon=surgeon, enrollment_key=submission_key).first()
            if submission_key is not None else None
        )
        if existing is None:
            raise
        return _replay(existing, asked, submission_key)
    return Enrollment(patient=patient, activation_code=code)


def _replay(existing: Patient, asked: tuple[str, date, str], submission_key: Any) -> Enrollment:
    """The patient an earlier request with this key enrolled, unless this one asks for another patient: the
    name, surgery date and zone are compared (what says who is enrolled and when; no fingerprint of the body
    is stored with the patient), so a key reused for someone else is refused rather than answered with them."""
    if (existing.display_name, existing.surgery_date, existing.timezone) != asked:
        raise IdempotencyConflict(existing, client_id=submission_key)
    return Enrollment(patient=existing, activation_code=None, created=False)


def update_patient(patient: Patient, changes: dict[str, Any], *, by: Any) -> Patient:
    """The care team changes a patient's details (EDITABLE_FIELDS only); only fields whose value changed
    are written, and a new surgery date or binder prescription rebuilds the plan (save_patient_changes)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    changed = [field for field, value in changes.items() if getattr(patient, field) != value]
    for field in changed:
        setattr(patient, field, changes[field])
    if not changed:
        return patient
    return save_patient_changes(patient, changed, by=by)


def save_patient_changes(patient: Patient, changed: Iterable[str], *, by: Any) -> Patient:
    """Store staff edits of a patient (already set on `patient`); a new surgery date or binder
    prescription rebuilds the plan, so milestones, restrictions and reminders move with it. Only the `changed`
    columns are written: one the patient changed in the app meanwhile keeps its value."""
    changed = set(changed)
    with transaction.atomic():
        patient.save(update_fields=sorted(changed | {"updated_at"}))
        if changed & PLAN_FIELDS:
            create_recovery_plan(patient)
        audit.record(actor=by, action=AuditEvent.Action.UPDATE, patient=patient, obj=patient)
    return patient
