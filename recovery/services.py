"""Writes of the clinical domain. Views, admin, commands and tasks call these; they hold the rules."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone
from PIL import Image, ImageOps

from recovery import plan, triage
from recovery.models import (
    ActivationCode,
    AuditEvent,
    CheckIn,
    Escalation,
    IncisionCheck,
    Milestone,
    Patient,
    PatientMessage,
    Pump,
    Restriction,
    Surgeon,
    User,
    WarningReport,
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


def complete_milestone(milestone: Milestone, *, at: datetime | None = None) -> Milestone:
    """Mark a milestone done (e.g. the surgeon confirms the wound check). Idempotent: the first time is kept."""
    Milestone.objects.filter(pk=milestone.pk, completed_at__isnull=True).update(completed_at=at or timezone.now())
    milestone.refresh_from_db(fields=["completed_at"])
    return milestone


def acknowledge_escalation(escalation: Escalation, user: User) -> Escalation:
    """Mark an escalation seen. Idempotent: the first acknowledgement is the one kept."""
    Escalation.objects.filter(pk=escalation.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=user
    )
    escalation.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    return escalation


def client_ip(meta: dict[str, str]) -> str | None:
    """The caller's address: X-Forwarded-For only as far as DJANGO_NUM_PROXIES trusted proxies vouch for it."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return meta.get("REMOTE_ADDR") or None


def request_origin(request: HttpRequest | None) -> dict[str, Any]:
    """Where an audited request came from: its path, the caller's address and user agent."""
    if request is None:
        return {"path": "", "ip_address": None, "user_agent": ""}
    return {
        "path": request.get_full_path()[:512],
        "ip_address": client_ip(request.META),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:256],
    }


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
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        patient=patient,
        object_type=object_type or (obj._meta.label if obj is not None else "recovery.Patient"),
        object_id=str(obj.pk) if obj is not None else (str(patient.pk) if patient else ""),
        **request_origin(request),
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
        logging.getLogger(__name__).warning(
            "%s overdue escalation(s) have no backup or on-call surgeon to pass them on to", stranded
        )
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
            queue_pass_on_pushes(escalation)
            passed_on.append(escalation)
    return passed_on


# --- Reports from the phone: check-ins, incision checks, warning reports ----------------------

PhoneReport = CheckIn | IncisionCheck | WarningReport

# The Escalation foreign key that points at each kind of report (exactly one is set).
ESCALATION_SOURCE_FIELD: dict[type[models.Model], str] = {
    CheckIn: "checkin",
    IncisionCheck: "incision_check",
    WarningReport: "warning_report",
}
TRIAGE_MESSAGE_TITLE = "About the report you just sent"


class IdempotencyConflict(Exception):
    """The report's client_id was already used for a different body (the API answers 409)."""

    def __init__(self, record: PhoneReport) -> None:
        super().__init__(f"client_id {record.client_id} was already used with a different body")
        self.record = record


@dataclass(frozen=True)
class Submission:
    record: PhoneReport
    created: bool  # False: the same client_id and body were stored before; `record` is that first one
    escalation: Escalation | None = None


def _canonical(value: Any) -> str:
    if isinstance(value, (uuid.UUID, Decimal, date, time, datetime)):
        return str(value)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def payload_fingerprint(data: dict[str, Any], *, file_digest: str = "") -> str:
    """sha256 of the validated body as canonical JSON (plus the photo's sha256), to tell a retry from a reuse."""
    body = dict(data)
    if file_digest:
        body["photo_sha256"] = file_digest
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_canonical)
    return hashlib.sha256(canonical.encode()).hexdigest()


def without_metadata(upload: File) -> ContentFile:
    """The photo re-encoded as JPEG with no EXIF (GPS position, camera, time): only the pixels are kept.

    Phones write where a photo was taken into it; for a photo taken at home that is the patient's address.
    """
    upload.seek(0)
    with Image.open(upload) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    buffer = io.BytesIO()
    upright.save(buffer, format="JPEG", quality=90)
    upload.seek(0)
    return ContentFile(buffer.getvalue())


def file_sha256(upload: File) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def recent_pain_context(patient: Patient, local_date: date) -> triage.PatientContext:
    """The highest pain score of each of the local days before `local_date` that triage looks back over."""
    rows = (
        CheckIn.objects.filter(
            patient=patient,
            local_date__gte=local_date - timedelta(days=triage.CONTEXT_DAYS),
            local_date__lt=local_date,
        )
        .order_by()
        .values("local_date")
        .annotate(worst=Max("pain_score"))
    )
    return triage.PatientContext(pain_by_date={row["local_date"]: row["worst"] for row in rows})


def submit_checkin(patient: Patient, data: dict[str, Any], *, now: datetime | None = None) -> Submission:
    """Store a daily check-in (idempotent by client_id), triage it with the patient's recent pain, escalate."""
    return _submit_report(
        CheckIn, patient, data, now=now,
        to_report=lambda record: triage.Report(
            symptoms=tuple(record.symptoms), temperature=record.temperature,
            temperature_unit=record.temperature_unit, pain_score=record.pain_score, local_date=record.local_date,
        ),
        context=recent_pain_context,
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
            local_date=record.local_date,
        ),
    )


def submit_warning_report(patient: Patient, data: dict[str, Any], *, now: datetime | None = None) -> Submission:
    """Store a warning-sign report (idempotent by client_id), triage it, escalate."""
    return _submit_report(
        WarningReport, patient, data, now=now,
        to_report=lambda record: triage.Report(symptoms=tuple(record.symptoms), local_date=record.local_date),
    )


def _replay(existing: PhoneReport, fingerprint: str) -> Submission:
    if existing.payload_fingerprint != fingerprint:
        raise IdempotencyConflict(existing)
    return Submission(record=existing, created=False)


def _submit_report(
    model: type[PhoneReport],
    patient: Patient,
    data: dict[str, Any],
    *,
    to_report: Callable[[PhoneReport], triage.Report],
    context: Callable[[Patient, date], triage.PatientContext] | None = None,
    photo: File | None = None,
    now: datetime | None = None,
) -> Submission:
    """The one write path of phone reports: store, triage and escalate in one transaction.

    A second request with the same client_id returns the first record (or raises IdempotencyConflict
    if its body differs), also when both arrive at once: the unique (patient, client_id) constraint
    decides, and the loser re-reads the winner's row.
    """
    now = now or timezone.now()
    fingerprint = payload_fingerprint(data, file_digest=file_sha256(photo) if photo is not None else "")
    existing = model.objects.filter(patient=patient, client_id=data["client_id"]).first()
    if existing is not None:
        return _replay(existing, fingerprint)

    local_date = patient.local_date(now)
    record = model(patient=patient, payload_fingerprint=fingerprint, local_date=local_date, created_at=now, **data)
    result = triage.triage(to_report(record), context(patient, local_date) if context else None)
    record.triage_level, record.triage_reasons, record.triage_advice = result.level, list(result.reasons), result.advice
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record.save(force_insert=True)
            except IntegrityError:
                existing = model.objects.filter(patient=patient, client_id=data["client_id"]).first()
                if existing is None:
                    raise
                return _replay(existing, fingerprint)
            if photo is not None:
                record.photo.save(f"{uuid.uuid4().hex}.jpg", without_metadata(photo), save=False)
                record.save(update_fields=["photo"])
            escalation = _escalate(record, result, now) if result.escalates else None
    except BaseException:
        stored_photo = getattr(record, "photo", None)
        if stored_photo:
            stored_photo.delete(save=False)  # the row is gone with the transaction; so goes the file
        raise
    return Submission(record=record, created=True, escalation=escalation)


def _escalate(record: PhoneReport, result: triage.TriageResult, now: datetime) -> Escalation:
    """The Escalation for the patient's surgeon, the advice message, and the pushes announcing both."""
    from notifications.services import queue_escalation_pushes

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
    queue_escalation_pushes(escalation)
    return escalation


# --- Patient accounts -----------------------------------------------------------------------

class ActivationError(Exception):
    """Activation refused; `errors` maps each offending field to its messages (the API answers 400)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


INVALID_ACTIVATION_CODE = "This activation code is not valid: it is unknown, already used or expired."
USERNAME_TAKEN = "A user with that username already exists."


def activate_patient(*, code: str, username: str, password: str, now: datetime | None = None) -> User:
    """Create the enrolled patient's login with their one-time code and mark the code used.

    Any problem (unknown, used or expired code; username taken; weak password) raises ActivationError
    and stores nothing.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = [USERNAME_TAKEN]
    try:
        password_validation.validate_password(password, user=User(username=username, role=User.Role.PATIENT))
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    with transaction.atomic():
        activation = (
            ActivationCode.objects.select_for_update(of=("self",))
            .select_related("patient")
            .filter(code_hash=hash_activation_code(code))
            .first()
        )
        if activation is None or not activation.is_usable(now) or activation.patient.user_id is not None:
            errors["code"] = [INVALID_ACTIVATION_CODE]
        if errors:
            raise ActivationError(errors)
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=username, password=password, role=User.Role.PATIENT)
        except IntegrityError as exc:
            raise ActivationError({"username": [USERNAME_TAKEN]}) from exc
        patient = activation.patient
        patient.user = user
        patient.save(update_fields=["user", "updated_at"])
        activation.used_at = now
        activation.save(update_fields=["used_at"])
    return user


def update_patient_settings(patient: Patient, *, timezone_name: str | None = None,
                            checkin_time: time | None = None) -> Patient:
    """Change the patient's own zone and daily check-in time (what they may change from the app)."""
    fields = []
    if timezone_name is not None:
        patient.timezone = timezone_name
        fields.append("timezone")
    if checkin_time is not None:
        patient.checkin_time = checkin_time
        fields.append("checkin_time")
    if fields:
        patient.save(update_fields=[*fields, "updated_at"])
    return patient


def record_audit_events(
    *, actor: User, action: str, patients: Iterable[Patient], object_type: str = "recovery.Patient",
    request: HttpRequest | None = None,
) -> None:
    """Audit one read of several patients' records (a list page) in a single insert."""
    origin = request_origin(request)
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor, action=action, patient=patient, object_type=object_type, object_id=str(patient.pk),
            at=now, **origin,
        )
        for patient in patients
    )
