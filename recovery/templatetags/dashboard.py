"""Template filters of the surgeon dashboard."""
from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from recovery import access, phones
from recovery.models import Patient, User
from recovery.services.pumps import battery_replacement_soon
from recovery.triage import REASON_WORDS

register = template.Library()


@register.filter
def reason_words(codes: Iterable[str]) -> str:
    """Triage reason codes in plain words for a clinician ("numbness in arms or legs")."""
    words = [str(REASON_WORDS.get(code, code.replace("_", " "))).replace("your ", "") for code in codes]
    return "; ".join(word[0].upper() + word[1:] for word in words if word)


@register.filter
def age(moment: datetime | None) -> str:
    """How long ago something happened, in words a busy clinician scans ("just now", "12 minutes ago")."""
    if moment is None:
        return "—"
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, depth=1)} ago"


@register.filter
def record_name(object_type: str) -> str:
    """An audit event's model label in plain words ("recovery.IncisionCheck" -> "incision check")."""
    model = object_type.rsplit(".", 1)[-1]
    return "".join(f" {c.lower()}" if c.isupper() else c for c in model).strip()


@register.filter
def staff_name(user: User | None) -> str:
    """A surgeon's or nurse's display name, else the account's username (admins, support staff)."""
    return "—" if user is None else user.shown_name


@register.filter
def phone(e164: str) -> str:
    """A stored E.164 number in international format for reading."""
    return phones.display_phone(e164)


@register.filter
def clinic_time(moment: datetime | None) -> str:
    """A moment in the clinic's zone (the dashboard activates settings.CLINIC_TIME_ZONE), labelled with
    the zone's abbreviation, e.g. "Nov 25 07:56 EST"."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return f"{local:%b} {local.day} {local:%H:%M} {local.tzname()}"


@register.filter
def patient_time(moment: datetime | None, zone_name: str) -> str:
    """A moment in the patient's own zone, labelled ("Nov 24 21:56 PST")."""
    if moment is None:
        return "—"
    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    return f"{local:%b} {local.day} {local:%H:%M} {local.tzname()}"


@register.filter
def is_care_team(user: User | None) -> bool:
    """A surgeon or nurse login (recovery.access): the dashboard's navigation is theirs."""
    return access.is_care_team_member(user)


@register.filter
def battery_soon(patient: Patient) -> bool:
    """The patient's pump battery replacement is due within the notice period, on their own today."""
    pump = getattr(patient, "pump", None)
    return pump is not None and battery_replacement_soon(pump, patient.local_date())


@register.filter
def plain_number(value: Decimal | str | None) -> str:
    """A stored decimal without trailing zeros ("4.8000" -> "4.8", "20.00" -> "20")."""
    if value is None:
        return "—"
    text = format(Decimal(value).normalize(), "f")
    return text


@register.filter
def time_left(deadline: datetime | None) -> str:
    """The time left before an unacknowledged case is passed on ("passes on in 12 minutes")."""
    if deadline is None:
        return "—"
    left = deadline - timezone.now()
    if left <= timedelta(0):
        return "pass-on due now"
    return f"passes on in {timeuntil(deadline, depth=1)}"


REPORT_KINDS = {"checkin": "check-in", "incision_check": "incision check", "warning_report": "warning report"}


@register.filter
def report_kind(kind: str) -> str:
    return REPORT_KINDS.get(kind, kind)
