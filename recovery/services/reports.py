"""Reports from the phone (check-ins, incision checks, warning reports): stored once per client_id,
triaged, and escalated in the same transaction."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from recovery import triage
from recovery.compiled_query import CompiledInsert
from recovery.i18n import patient_language
from recovery.models import CheckIn, Escalation, IncisionCheck, Patient, WarningReport
from recovery.services import escalations
from recovery.services.idempotency import IdempotencyConflict, payload_fingerprint
from recovery.services.photos import file_sha256, without_metadata
from recovery.triage_context import triage_context

PhoneReport = CheckIn | IncisionCheck | WarningReport
ReportT = TypeVar("ReportT", CheckIn, IncisionCheck, WarningReport)


@dataclass(frozen=True)
class Submission:
    record: PhoneReport
    created: bool  # False: the same client_id and body were stored before; `record` is that first one
    escalation: Escalation | None = None


def submit_checkin(patient: Patient, data: dict[str, Any], *, now: datetime | None = None) -> Submission:
    """Store a daily check-in (idempotent by client_id), triage it with the patient's recent pain, escalate."""
    return _submit_report(
        CheckIn, patient, data, now=now,
        to_report=lambda record: triage.Report(
            symptoms=tuple(record.symptoms), temperature=record.temperature,
            temperature_unit=record.temperature_unit, pain_score=record.pain_score, local_date=record.local_date,
            note=record.note, kind="checkin",
        ),
    )


def submit_incision_check(
    patient: Patient, data: dict[str, Any], *, photo: File | None = None, now: datetime | None = None
) -> Submission:
    """Store an incision check and its optional photo (idempotent by client_id), triage it, escalate."""
    return _submit_report(
        IncisionCheck, patient, data, photo=photo, now=now,
        to_report=lambda record: triage.Report(
            symptoms=triage.incision_symptoms(
                pain=record.pain, redness=record.redness, bleeding=record.bleeding,
                drainage=record.drainage, swelling=record.swelling,
            ),
            local_date=record.local_date, note=record.note, kind="incision_check",
        ),
    )


def submit_warning_report(patient: Patient, data: dict[str, Any], *, now: datetime | None = None) -> Submission:
    """Store a warning-sign report (idempotent by client_id), triage it, escalate."""
    return _submit_report(
        WarningReport, patient, data, now=now,
        to_report=lambda record: triage.Report(
            symptoms=tuple(record.symptoms), local_date=record.local_date, note=record.note, kind="warning_report",
        ),
    )


def _delete_stored_photo(record: PhoneReport) -> None:
    stored_photo = getattr(record, "photo", None)
    if stored_photo:
        stored_photo.delete(save=False)


# One compiled INSERT per kind of phone report (recovery/compiled_query.py).
_INSERTS: dict[type[Any], CompiledInsert[Any]] = {
    model: CompiledInsert(model) for model in (CheckIn, IncisionCheck, WarningReport)
}


def _insert(record: PhoneReport) -> None:
    """The report's one-row INSERT, compiled once and bound by PostgreSQL, so kept prepared on the connection (the
    same text for every report of a kind): no compiling, parsing and planning per report, and psycopg quotes no
    values into the text."""
    _INSERTS[type(record)].insert(record, using=transaction.get_connection().alias)


def _replay(existing: PhoneReport, fingerprint: str) -> Submission:
    if existing.payload_fingerprint != fingerprint:
        raise IdempotencyConflict(existing)
    return Submission(record=existing, created=False)


def _submit_report(
    model: type[ReportT],
    patient: Patient,
    data: dict[str, Any],
    *,
    to_report: Callable[[ReportT], triage.Report],
    photo: File | None = None,
    now: datetime | None = None,
) -> Submission:
    """The one write path of phone reports: store, triage and escalate in one transaction.

    A second request with the same client_id returns the first record (or raises IdempotencyConflict
    if its body differs), also when both arrive at once: the unique (patient, client_id) constraint
    decides, and the loser re-reads the winner's row (a retry is triaged again, but writes nothing).
    """
    now = now or timezone.now()
    fingerprint = payload_fingerprint(data, file_digest=file_sha256(photo) if photo is not None else "")
    local_date = patient.local_date(now)
    record = model(patient=patient, payload_fingerprint=fingerprint, local_date=local_date, created_at=now, **data)
    report = to_report(record)
    with patient_language(patient.text_language):  # the advice is written in the patient's language
        result = triage.triage(report, triage_context(patient, local_date, now, report))
    record.triage_level, record.triage_reasons, record.triage_advice = result.level, list(result.reasons), result.advice
    # The unique (patient, client_id) constraint tells a retry from a new report: the INSERT is tried
    # first (no look-up before it), and a report with nothing else to write is that one statement on its
    # own (atomic by itself: no BEGIN/COMMIT round trips), the common routine check-in.
    alone = photo is None and not result.escalates and not transaction.get_connection().in_atomic_block
    escalation = None
    try:
        if alone:
            _insert(record)
        else:
            with transaction.atomic():
                _insert(record)
                if photo is not None and isinstance(record, IncisionCheck):
                    record.photo.save(f"{uuid.uuid4().hex}.jpg", without_metadata(photo), save=False)
                    record.save(update_fields=["photo"])
                escalation = escalations.open_escalation(record, result, now) if result.escalates else None
    except IntegrityError:
        # Rolled back whole. Only a row with this client_id that is there now makes it a retry; any
        # other integrity error is a real one.
        _delete_stored_photo(record)
        existing = model.objects.filter(patient=patient, client_id=data["client_id"]).first()
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    except BaseException:
        _delete_stored_photo(record)  # the row is gone with the transaction; so goes the file
        raise
    return Submission(record=record, created=True, escalation=escalation)
