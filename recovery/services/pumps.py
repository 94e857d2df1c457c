"""Writes of the pump over its life: enrollment checks, refills, dose changes, the battery notice.

Refills and dose changes are recorded by the care team, idempotent by client_id (a retry stores
nothing new; the same id with another body is refused) and audited in the same transaction. The
dates come from recovery.refills (Decimal, days rounded down). A refill closes the missed-refill
alerts of services.refill_safety_net.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from recovery import refills
from recovery.models import AuditEvent, Patient, Pump, PumpDoseChange, PumpRefill, User
from recovery.services import audit
from recovery.services.idempotency import IdempotencyConflict, payload_fingerprint

# Pumps whose drug makes a missed refill dangerous: they must come with a refill date or refill data.
REFILL_REQUIRED_DRUGS = (Pump.Drug.BACLOFEN, Pump.Drug.MORPHINE, Pump.Drug.OTHER_OPIOID)


# The care team is shown a battery replacement this many days ahead; it takes a surgery to book.
# Guide line 167: "Because the pump is battery-operated, you will need another surgery to replace the battery."
BATTERY_NOTICE_DAYS = 90


def battery_replacement_soon(pump: Pump, today: date | None = None) -> bool:
    """The battery replacement is due within BATTERY_NOTICE_DAYS of the patient's today (or overdue)."""
    if pump.battery_replacement_due is None:
        return False
    today = today or pump.patient.local_date()
    return pump.battery_replacement_due <= today + timedelta(days=BATTERY_NOTICE_DAYS)


class PumpInputError(Exception):
    """Refused pump input; `errors` maps each offending field to its messages (the API answers 400)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class PumpWrite:
    pump: Pump
    created: bool  # False: a retry of a record already stored, nothing new


# --- Enrollment ---------------------------------------------------------------------------------

def enrollment_pump_errors(pump: Mapping[str, Any], *, surgery_date: date, today: date) -> dict[str, list[str]]:
    """What is wrong with the pump given at enrollment; `today` is the patient's local date.

    A refill date before the surgery or in the past cannot be right; a baclofen or opioid pump must come
    with a refill date or the data of its first fill, or nothing would remind anyone to refill it (guide:
    "Have your medicine refilled regularly and on time").
    """
    errors: dict[str, list[str]] = {}
    next_refill = pump.get("next_refill_date")
    first_fill = pump.get("refill")
    if next_refill is not None:
        if next_refill < surgery_date:
            errors["next_refill_date"] = [f"The next refill date cannot be before the surgery date ({surgery_date})."]
        elif next_refill < today:
            errors["next_refill_date"] = [f"The next refill date cannot be in the past (today is {today})."]
        if first_fill:
            errors.setdefault("next_refill_date", []).append(
                "Give either next_refill_date or refill data, not both: the date is computed from the refill."
            )
    if first_fill:
        fill_date = first_fill.get("refill_date") or surgery_date
        if fill_date < surgery_date:
            errors["refill"] = [f"The first fill cannot be before the surgery date ({surgery_date})."]
        elif fill_date > max(today, surgery_date):
            errors["refill"] = ["The first fill date cannot be in the future."]
        else:
            errors.update(_volume_errors(first_fill["volume_ml"], pump))
        if not errors.get("volume_ml") and not errors.get("refill"):
            problem = refills.implausible_schedule(first_fill["volume_ml"], _low_alarm_of(pump), _dosing_of(first_fill))
            if problem:
                errors["refill"] = [problem]
    if pump.get("drug") in REFILL_REQUIRED_DRUGS and next_refill is None and not first_fill:
        errors["next_refill_date"] = [
            "A baclofen or opioid pump needs a next refill date or refill data (refill: volume_ml, concentration, "
            "daily_dose): a missed refill can cause withdrawal."
        ]
    return errors


def _low_alarm_of(pump: Mapping[str, Any]) -> Decimal:
    low = pump.get("low_reservoir_alarm_ml")
    return refills.DEFAULT_LOW_RESERVOIR_ALARM_ML if low is None else low


def _dosing_of(fill: Mapping[str, Any]) -> refills.Dosing:
    return refills.Dosing(fill["concentration"], fill["concentration_unit"], fill["daily_dose"], fill["dose_unit"])


def _volume_errors(volume_ml: Decimal, pump: Mapping[str, Any]) -> dict[str, list[str]]:
    """A fill more than the reservoir holds, or not above its low-reservoir alarm volume, is refused (400 naming
    volume_ml): a pump filled to its alarm volume would be alarming as the patient leaves the clinic, so that
    number is a typing mistake (a fill that lasts only a few days is accepted with a warning: refill_warning)."""
    capacity = pump.get("reservoir_volume_ml")
    low = _low_alarm_of(pump)
    if capacity is not None and volume_ml > capacity:
        return {"volume_ml": [f"More than the reservoir holds ({capacity} mL)."]}
    if volume_ml <= low:
        return {"volume_ml": [f"Must be more than the low-reservoir alarm volume ({low} mL)."]}
    return {}


def create_pump(patient: Patient, pump_data: Mapping[str, Any], *, by: User | None = None) -> Pump:
    """The pump of a newly enrolled patient; its first fill, if given, is stored as its first refill.

    Inside the enrollment transaction; input already checked by enrollment_pump_errors.
    """
    data = dict(pump_data)
    first_fill = data.pop("refill", None)
    pump = Pump(patient=patient, **data)
    if pump.next_refill_date is not None:
        pump.alarm_date = pump.next_refill_date + timedelta(days=refills.REFILL_MARGIN_DAYS)
    pump.save()
    if first_fill:
        fill = {**first_fill, "refill_date": first_fill.get("refill_date") or patient.surgery_date}
        _store_refill(pump, {"client_id": uuid.uuid4(), **fill}, by=by, fingerprint="")
    return pump


def refill_margin_short(pump: Pump) -> bool:
    """The pump's dates, computed from a refill or dose change, keep less than the 7-day margin before the alarm
    (a date given by hand has its alarm 7 days after it by definition)."""
    return pump.schedule_start_date is not None and refills.margin_short(pump.alarm_date, pump.next_refill_date)


def refill_warning(pump: Pump) -> str | None:
    """What the care team must be told about the pump's computed dates, or None when they keep the 7-day margin.

    A short fill, or a dose change that leaves the reservoir short, is accepted rather than refused: the record
    has to say what is in the pump, and refusing it would keep the old dates and their reminders. Its next
    refill date is the day the dates start from (recovery.refills), so the refill is due now: on the worklist,
    in the patient's reminder of the day, raised as overdue by the safety net the day after if none is recorded.
    This says why, in the answer to the write and on the pump card. Guide line 84: "Have your medicine refilled
    regularly and on time"; line 80: a pump increases the "risk of medicine overdose or withdrawal".
    """
    alarm, refill = pump.alarm_date, pump.next_refill_date
    if alarm is None or refill is None or not refill_margin_short(pump):
        return None
    if alarm <= refill:
        return (f"The reservoir is at or below its low-reservoir alarm volume ({pump.low_reservoir_alarm_ml} mL) on "
                f"{alarm}: the pump may be alarming. Refill it now.")
    return (f"The reservoir reaches its low-reservoir alarm volume on {alarm}, less than "
            f"{refills.REFILL_MARGIN_DAYS} days after {refill}: the next refill is due now, before {alarm}.")


# --- Refills --------------------------------------------------------------------------------------

def record_refill(pump: Pump, data: Mapping[str, Any], *, by: User, now: datetime | None = None) -> PumpWrite:
    """Record a refill (idempotent by client_id), recompute the dates, close the missed-refill alerts."""
    fingerprint = payload_fingerprint(dict(data))
    existing = PumpRefill.objects.filter(pump=pump, client_id=data["client_id"]).first()
    if existing is not None:
        return _replay(pump, existing, fingerprint)
    today = pump.patient.local_date(now)
    try:
        with transaction.atomic():
            # Checked on the locked row: a dose change committed meanwhile moves the date a refill may have.
            locked = Pump.objects.select_for_update().select_related("patient").get(pk=pump.pk)
            errors = _refill_errors(locked, data, today)
            if errors:
                raise PumpInputError(errors)
            refill = _store_refill(locked, data, by=by, fingerprint=fingerprint)
            audit.record(actor=by, action=AuditEvent.Action.CREATE, patient=locked.patient, obj=refill)
    except IntegrityError:
        existing = PumpRefill.objects.filter(pump=pump, client_id=data["client_id"]).first()
        if existing is None:
            raise
        return _replay(pump, existing, fingerprint)
    return PumpWrite(pump=locked, created=True)


def _refill_errors(pump: Pump, data: Mapping[str, Any], today: date) -> dict[str, list[str]]:
    errors = _volume_errors(data["volume_ml"], {"reservoir_volume_ml": pump.reservoir_volume_ml,
                                                 "low_reservoir_alarm_ml": pump.low_reservoir_alarm_ml})
    if data["refill_date"] > today:
        errors["refill_date"] = [f"A refill cannot be recorded in the future (today is {today})."]
    elif data["refill_date"] < pump.patient.surgery_date:
        errors["refill_date"] = [f"A refill cannot be before the surgery date ({pump.patient.surgery_date})."]
    elif pump.last_refill_date is not None and data["refill_date"] < pump.last_refill_date:
        errors["refill_date"] = [f"Earlier than the last refill recorded ({pump.last_refill_date})."]
    elif pump.schedule_start_date is not None and data["refill_date"] < pump.schedule_start_date:
        # The dates run from the last refill or dose change: a refill entered late, dated before a dose
        # change, would put the old dose back and move the alarm weeks past the real empty reservoir.
        errors["refill_date"] = [
            f"Earlier than the last dose change recorded ({pump.schedule_start_date}); the dates start from there."
        ]
    if "volume_ml" not in errors:
        problem = refills.implausible_schedule(data["volume_ml"], pump.low_reservoir_alarm_ml, _dosing_of(data))
        if problem:
            errors["daily_dose"] = [problem]
    return errors


def _replay(pump: Pump, existing: PumpRefill | PumpDoseChange, fingerprint: str) -> PumpWrite:
    if existing.payload_fingerprint != fingerprint:
        raise IdempotencyConflict(existing)
    pump.refresh_from_db()
    return PumpWrite(pump=pump, created=False)


def _store_refill(pump: Pump, data: Mapping[str, Any], *, by: User | None, fingerprint: str) -> PumpRefill:
    schedule = refills.schedule_from(data["refill_date"], data["volume_ml"], pump.low_reservoir_alarm_ml,
                                     _dosing_of(data))
    refill = PumpRefill.objects.create(
        pump=pump, client_id=data["client_id"], payload_fingerprint=fingerprint, refill_date=data["refill_date"],
        volume_ml=data["volume_ml"], concentration=data["concentration"],
        concentration_unit=data["concentration_unit"], daily_dose=data["daily_dose"], dose_unit=data["dose_unit"],
        alarm_date=schedule.alarm_date, next_refill_date=schedule.next_refill_date, recorded_by=by,
    )
    pump.concentration, pump.concentration_unit = data["concentration"], data["concentration_unit"]
    pump.daily_dose, pump.dose_unit = data["daily_dose"], data["dose_unit"]
    pump.last_refill_date = data["refill_date"]
    pump.schedule_start_date, pump.schedule_start_volume_ml = data["refill_date"], data["volume_ml"]
    pump.alarm_date, pump.next_refill_date = schedule.alarm_date, schedule.next_refill_date
    pump.save()
    from recovery.services.refill_safety_net import close_refill_alerts

    close_refill_alerts(pump, refill, by=by)
    return refill


# --- Changing the pump record and the dose ------------------------------------------------------------

DESCRIPTIVE_FIELDS = ("model", "serial_number", "reservoir_volume_ml", "battery_replacement_due")


def update_pump(pump: Pump, data: Mapping[str, Any], *, by: User, now: datetime | None = None) -> PumpWrite:
    """Change the pump's record (PATCH): descriptive fields, the alarm volume, a manual refill date when no
    refill data exists, or the daily dose (a dose change recomputes the dates from the volume left that day)."""
    today = pump.patient.local_date(now)
    client_id = data.get("client_id")
    dose_change = "daily_dose" in data
    if dose_change and client_id is not None:
        existing = PumpDoseChange.objects.filter(pump=pump, client_id=client_id).first()
        if existing is not None:
            return _replay(pump, existing, payload_fingerprint(dict(data)))
    created = False
    try:
        with transaction.atomic():
            locked = Pump.objects.select_for_update().select_related("patient").get(pk=pump.pk)
            errors = _update_errors(locked, data, today)  # on the locked row, as a refill's
            if errors:
                raise PumpInputError(errors)
            for field in DESCRIPTIVE_FIELDS:
                if field in data:
                    setattr(locked, field, data[field])
            if "next_refill_date" in data:
                locked.next_refill_date = data["next_refill_date"]
                locked.alarm_date = (None if data["next_refill_date"] is None
                                     else data["next_refill_date"] + timedelta(days=refills.REFILL_MARGIN_DAYS))
            if "low_reservoir_alarm_ml" in data:
                locked.low_reservoir_alarm_ml = data["low_reservoir_alarm_ml"]
                _recompute(locked, locked.schedule_start_date, locked.schedule_start_volume_ml)
            if dose_change:
                change = _change_dose(locked, data, today, by=by,
                                      fingerprint=payload_fingerprint(dict(data)) if client_id else "")
                audit.record(actor=by, action=AuditEvent.Action.CREATE, patient=locked.patient, obj=change)
                created = True
            locked.save()
            audit.record(actor=by, action=AuditEvent.Action.UPDATE, patient=locked.patient, obj=locked)
    except IntegrityError:
        existing = PumpDoseChange.objects.filter(pump=pump, client_id=client_id).first() if client_id else None
        if existing is None:
            raise
        return _replay(pump, existing, payload_fingerprint(dict(data)))
    return PumpWrite(pump=locked, created=created)


def _update_errors(pump: Pump, data: Mapping[str, Any], today: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "next_refill_date" in data:
        if pump.schedule_start_date is not None:
            errors["next_refill_date"] = ["Computed from the refills recorded: record a refill or change the dose."]
        elif data["next_refill_date"] is not None and data["next_refill_date"] < today:
            errors["next_refill_date"] = [f"The next refill date cannot be in the past (today is {today})."]
        elif data["next_refill_date"] is None and pump.drug in REFILL_REQUIRED_DRUGS:
            errors["next_refill_date"] = ["A baclofen or opioid pump needs a next refill date."]
    if "low_reservoir_alarm_ml" in data:
        errors.update(_alarm_volume_errors(pump, data["low_reservoir_alarm_ml"]))
    if "daily_dose" in data:
        effective = data.get("effective_date") or today
        if "dose_unit" not in data:
            errors["dose_unit"] = ["Give the unit of the new daily dose (mcg/day or mg/day)."]
        if effective > today:
            errors["effective_date"] = [f"A dose change cannot start in the future (today is {today})."]
        elif pump.schedule_start_date is not None and effective < pump.schedule_start_date:
            errors["effective_date"] = [
                f"Before the last refill or dose change ({pump.schedule_start_date}); the dates start from there."
            ]
    return errors or _recomputed_schedule_errors(pump, data, today)


def _alarm_volume_errors(pump: Pump, low_reservoir_alarm_ml: Decimal) -> dict[str, list[str]]:
    """An alarm volume at or above what the last refill put in is refused, as a refill not above the alarm
    volume is (_volume_errors): the pump would have alarmed as it was filled. After a dose change the volume
    left may be low for real, and a short schedule is then accepted with refill_warning."""
    volume = pump.schedule_start_volume_ml
    if volume is None or pump.schedule_start_date != pump.last_refill_date or low_reservoir_alarm_ml < volume:
        return {}
    return {"low_reservoir_alarm_ml": [
        f"Must be less than the volume of the last refill ({volume} mL on {pump.last_refill_date})."
    ]}


def _recomputed_schedule_errors(pump: Pump, data: Mapping[str, Any], today: date) -> dict[str, list[str]]:
    """The schedule a new dose or alarm volume would give, checked before anything is written
    (refills.implausible_schedule): a dose mistyped a thousand times too small is refused, not stored."""
    start, volume, dosing = pump.schedule_start_date, pump.schedule_start_volume_ml, pump.dosing
    if start is None or volume is None or dosing is None:
        return {}
    if "daily_dose" in data:
        volume = refills.volume_left_on(data.get("effective_date") or today, start, volume, dosing)
        dosing = replace(dosing, daily_dose=data["daily_dose"], dose_unit=data["dose_unit"])
        field = "daily_dose"
    elif "low_reservoir_alarm_ml" in data:
        field = "low_reservoir_alarm_ml"
    else:
        return {}
    problem = refills.implausible_schedule(volume, data.get("low_reservoir_alarm_ml", pump.low_reservoir_alarm_ml),
                                           dosing)
    return {field: [problem]} if problem else {}


def _change_dose(pump: Pump, data: Mapping[str, Any], today: date, *, by: User, fingerprint: str) -> PumpDoseChange:
    effective = data.get("effective_date") or today
    old = pump.dosing
    volume_left = None
    if old is not None and pump.schedule_start_date is not None and pump.schedule_start_volume_ml is not None:
        volume_left = refills.volume_left_on(effective, pump.schedule_start_date, pump.schedule_start_volume_ml, old)
    previous_dose, previous_unit = pump.daily_dose, pump.dose_unit if pump.daily_dose is not None else ""
    pump.daily_dose, pump.dose_unit = data["daily_dose"], data["dose_unit"]
    if volume_left is not None:
        _recompute(pump, effective, volume_left)
    return PumpDoseChange.objects.create(
        pump=pump, client_id=data.get("client_id") or uuid.uuid4(), payload_fingerprint=fingerprint,
        effective_date=effective, daily_dose=data["daily_dose"], dose_unit=data["dose_unit"],
        previous_daily_dose=previous_dose, previous_dose_unit=previous_unit, volume_left_ml=volume_left,
        alarm_date=pump.alarm_date if volume_left is not None else None,
        next_refill_date=pump.next_refill_date if volume_left is not None else None, recorded_by=by,
    )


def _recompute(pump: Pump, start: date | None, volume_ml: Decimal | None) -> None:
    """Set the computed dates from a reservoir holding `volume_ml` on `start` at the pump's dosing."""
    dosing = pump.dosing
    if start is None or volume_ml is None or dosing is None:
        return
    schedule = refills.schedule_from(start, volume_ml, pump.low_reservoir_alarm_ml, dosing)
    pump.schedule_start_date, pump.schedule_start_volume_ml = start, volume_ml
    pump.alarm_date, pump.next_refill_date = schedule.alarm_date, schedule.next_refill_date
