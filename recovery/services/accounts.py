"""Logins: surgeons, patients' one-time activation codes, activation and the patient's own settings."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from recovery.models import ActivationCode, AuditEvent, Nurse, Patient, Surgeon, User
from recovery.services import audit

# No 0/O, 1/I/L: the code is read off paper and typed on a phone.
ACTIVATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ACTIVATION_CODE_LENGTH = 10
# Written in the language of the request when the error is answered (the phone's, at activation).
INVALID_ACTIVATION_CODE = gettext_lazy("This activation code is not valid: it is unknown, already used or expired.")
USERNAME_TAKEN = gettext_lazy("A user with that username already exists.")
# How long after an activation the same activation sent again (its answer lost on the way) answers tokens.
ACTIVATION_RETRY_WINDOW = timedelta(minutes=10)


class ActivationError(Exception):
    """Activation refused; `errors` maps each offending field to its messages (the API answers 400)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def create_surgeon(
    *, username: str, password: str, email: str = "", display_name: str = "", backup: Surgeon | None = None
) -> Surgeon:
    """A surgeon login with its clinical profile."""
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, email=email, role=User.Role.SURGEON)
        return Surgeon.objects.create(user=user, display_name=display_name or f"Dr. {username}", backup=backup)


def create_nurse(*, username: str, password: str, teams: list[Surgeon], email: str = "",
                 display_name: str = "") -> Nurse:
    """A nurse login in the teams of `teams` (at least one surgeon): they see those surgeons' patients."""
    if not teams:
        raise ValueError("a nurse works in at least one surgeon's team")
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, email=email, role=User.Role.NURSE)
        nurse = Nurse.objects.create(user=user, display_name=display_name or username)
        nurse.teams.set(teams)
    return nurse


def hash_activation_code(code: str) -> str:
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


def format_activation_code(raw: str) -> str:
    return "-".join(raw[i : i + 5] for i in range(0, len(raw), 5))


def issue_activation_code(patient: Patient, *, by: Any = None) -> str:
    """A fresh one-time code for `patient`; earlier unused codes stop working. Audited when staff (`by`) asks."""
    now = timezone.now()
    with transaction.atomic():
        ActivationCode.objects.filter(patient=patient, used_at__isnull=True).update(expires_at=now)
        raw = "".join(secrets.choice(ACTIVATION_ALPHABET) for _ in range(ACTIVATION_CODE_LENGTH))
        ActivationCode.objects.create(
            patient=patient, code_hash=hash_activation_code(raw), expires_at=now + settings.ACTIVATION_CODE_TTL
        )
        if by is not None:
            audit.record(actor=by, action=AuditEvent.Action.UPDATE, patient=patient, obj=patient)
    return format_activation_code(raw)


def activate_patient(
    *, code: str, username: str, password: str, language: str | None = None, now: datetime | None = None
) -> User:
    """Create the enrolled patient's login with their one-time code and mark the code used.

    `language` (from the phone's Accept-Language) becomes the patient's language unless the care team
    chose one at enrollment.

    The same activation sent again within ACTIVATION_RETRY_WINDOW (same code, username and password: the phone
    lost the answer) returns the login it made and changes nothing. Any other problem (unknown, used or expired
    code; username taken; weak password) raises ActivationError and stores nothing. The code is checked first
    and alone: without a usable code the answer says nothing about the username, or it would tell anyone which
    usernames (staff ones too) exist.
    """
    now = now or timezone.now()
    with transaction.atomic():
        activation = (
            ActivationCode.objects.select_for_update(of=("self",))
            .select_related("patient")
            .filter(code_hash=hash_activation_code(code))
            .first()
        )
        if activation is not None and _is_retry_of(activation, username, password, now):
            return activation.patient.user  # type: ignore[return-value]  # _is_retry_of checked it is there
        if activation is None or not activation.is_usable(now) or activation.patient.user_id is not None:
            raise ActivationError({"code": [str(INVALID_ACTIVATION_CODE)]})
        errors: dict[str, list[str]] = {}
        if User.objects.filter(username__iexact=username).exists():
            errors["username"] = [str(USERNAME_TAKEN)]
        try:
            password_validation.validate_password(password, user=User(username=username, role=User.Role.PATIENT))
        except DjangoValidationError as exc:
            errors["password"] = list(exc.messages)
        if errors:
            raise ActivationError(errors)
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=username, password=password, role=User.Role.PATIENT)
        except IntegrityError as exc:
            raise ActivationError({"username": [str(USERNAME_TAKEN)]}) from exc
        patient = activation.patient
        patient.user = user
        if not patient.language:
            patient.language = language or settings.LANGUAGE_CODE
        patient.save(update_fields=["user", "language", "updated_at"])
        activation.used_at = now
        activation.save(update_fields=["used_at"])
    return user


def _is_retry_of(activation: ActivationCode, username: str, password: str, now: datetime) -> bool:
    """The activation this code made moments ago, sent again with the same username and password (the phone
    never got the answer): the login it made, still active, is answered again instead of "code already used"."""
    if activation.used_at is None or now - activation.used_at > ACTIVATION_RETRY_WINDOW:
        return False
    user = activation.patient.user
    return (user is not None and user.is_active and user.username.lower() == username.lower()
            and user.check_password(password))


def update_patient_settings(patient: Patient, *, timezone_name: str | None = None,
                            checkin_time: time | None = None, language: str | None = None,
                            country: str | None = None) -> Patient:
    """Change the patient's own zone, daily check-in time, language and country (what they may change
    from the app). `country=""` goes back to the country of the time zone.
    """
    fields = []
    if language is not None:
        patient.language = language
        fields.append("language")
    if country is not None:
        patient.country = country
        fields.append("country")
    if timezone_name is not None:
        patient.timezone = timezone_name
        fields.append("timezone")
    if checkin_time is not None:
        patient.checkin_time = checkin_time
        fields.append("checkin_time")
    if fields:
        patient.save(update_fields=[*fields, "updated_at"])
    return patient
