"""Who may see what: the one place that decides it. DRF permissions, dashboard mixins, the login form
and the device API ask these; queries of a care-team member start from their querysets, so anything
else is a 404."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet

from recovery.models import Escalation, Patient, Surgeon, User


def _profile(user: Any, name: str) -> Any:
    try:
        return getattr(user, name, None)
    except ObjectDoesNotExist:
        return None


def is_patient(user: Any) -> bool:
    """An activated patient login: role patient, linked to its Patient."""
    return bool(user and user.is_authenticated and user.role == User.Role.PATIENT
                and _profile(user, "patient") is not None)


def is_care_team_member(user: Any) -> bool:
    """A surgeon login with its clinical profile (the care team of the dashboard and surgeon API)."""
    return bool(user and user.is_authenticated and user.role == User.Role.SURGEON
                and _profile(user, "surgeon") is not None)


def may_own_devices(user: Any) -> bool:
    """Push tokens belong to the app's two roles; staff logins have no devices (settings.PUSH_DEVICE_OWNER_CHECK)."""
    return bool(user and user.is_authenticated and user.role in (User.Role.PATIENT, User.Role.SURGEON))


def may_take_over_device(new_owner: Any, old_owner: Any, *, old_device_active: bool) -> bool:
    """May `new_owner` register a push token that `old_owner` registered (settings.PUSH_DEVICE_TAKEOVER_CHECK)?

    A token is a secret of one app install, so whoever registers it holds that phone: it moves to them
    (a shared or handed-on phone, a new login on it). One exception: a care-team member's enabled
    device never moves to a patient, so a patient can never receive escalation pushes meant for a
    surgeon by accident, nor silence a surgeon's phone by registering its token. Once the surgeon
    unregisters it (logs out of the app) or FCM disables it, it may move.
    """
    old_is_care_team = old_owner.role != User.Role.PATIENT
    return not (old_device_active and old_is_care_team and new_owner.role == User.Role.PATIENT)


def care_team_patients(surgeon: Surgeon) -> QuerySet[Patient]:
    """The surgeon's own patients and those whose escalation was passed on to them as backup."""
    return Patient.objects.filter(Q(surgeon=surgeon) | Q(escalations__escalated_to=surgeon)).distinct()


def care_team_escalations(surgeon: Surgeon) -> QuerySet[Escalation]:
    """Escalations assigned to the surgeon or passed on to them."""
    return Escalation.objects.filter(Q(assigned_surgeon=surgeon) | Q(escalated_to=surgeon))


def own_patients(surgeon: Surgeon) -> QuerySet[Patient]:
    """The patients enrolled under the surgeon (only they may get new activation codes)."""
    return Patient.objects.filter(surgeon=surgeon)
