"""Staff reads of patient records, audited in the same transaction as the read. Views and the admin
ask for what they show through these; they never write audit rows themselves."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

from recovery import access, fhir, selectors
from recovery.models import AuditEvent, Patient, User
from recovery.services import audit, messages


def patient_record(member: access.CareTeamMember, pk: int, *, actor: Any,
                   shows_thread: bool = False) -> selectors.PatientRecord:
    """One patient's record for a care-team member (404 outside their patients), audited. A page that
    `shows_thread` (the dashboard's patient page) also marks the patient's messages read."""
    with transaction.atomic():
        record = selectors.patient_record_for(member, pk)
        audit.record(actor=actor, action=AuditEvent.Action.VIEW, patient=record.patient, obj=record.patient)
        if shows_thread:
            messages.mark_read(record.patient)
    return record


def fhir_export(member: access.CareTeamMember, pk: int, *, actor: Any) -> dict[str, Any]:
    """One patient's record as a FHIR Bundle for a care-team member (404 outside their patients), audited
    as a read of the record."""
    with transaction.atomic():
        patient, checkins, escalations = selectors.export_records_for(member, pk)
        bundle = fhir.patient_bundle(patient, checkins, escalations)
        audit.record(actor=actor, action=AuditEvent.Action.VIEW, patient=patient, obj=patient)
    return bundle


def shown(actor: Any, obj: models.Model) -> None:
    """Audit that `actor` was shown this record (a detail page, a photo, an admin page of it)."""
    patient = audit.patient_of(obj)
    if patient is not None:
        audit.record(actor=actor, action=AuditEvent.Action.VIEW, patient=patient, obj=obj)


def shown_list(actor: Any, objs: Iterable[models.Model], object_type: str) -> None:
    """Audit one view per patient whose records are on a list page, in one insert."""
    patients: list[Patient] = [p for obj in objs if (p := audit.patient_of(obj)) is not None]
    audit.record_views(actor=actor, patients=patients, object_type=object_type)


def shown_logins(actor: Any, users: Iterable[User]) -> None:
    """Audit one view per patient whose login is on a list page (the admin's users): that someone is a
    patient of this clinic is itself health information. Staff, surgeon and nurse logins are not audited."""
    patient_logins = [user.pk for user in users if user.role == User.Role.PATIENT]
    if patient_logins:
        shown_patients(actor, selectors.patient_ids_of_logins(patient_logins), User._meta.label)


def shown_audit_events(actor: Any, events: Iterable[AuditEvent]) -> None:
    """Audit one view per patient the audit trail's rows on a page name, by the id each row keeps: also of a
    patient since deleted, whose events the trail still shows."""
    shown_patients(actor, [event.patient_id for event in events if event.patient_id is not None],
                   AuditEvent._meta.label)


def shown_patients(actor: Any, patient_ids: Iterable[int], object_type: str) -> None:
    """shown_list by the ids of the patients on the page (a page answered from recovery.api.inbox_pages)."""
    audit.record_views_of(actor=actor, patient_ids=patient_ids, object_type=object_type)
