"""Refill arithmetic of an intrathecal pump: when the reservoir reaches its low-reservoir alarm and when
to refill before it does (shared/API.md, "The pump over its life").

Pure functions over Decimal, no database. The formula of API.md:

    alarm_date       = refill_date + floor((volume_ml - low_reservoir_alarm_ml) * concentration / daily_dose) days
    next_refill_date = alarm_date - 7 days

with concentration and dose first brought to the same drug unit (micrograms). Days are rounded DOWN
(floor): a reservoir that lasts 41.9 days alarms on day 41, so the computed alarm is never later than
the real one. A dose change recomputes both dates from the volume left on the day of the change, that
volume also rounded down (to 0.001 mL) for the same reason.

A short fill: when the reservoir reaches the alarm volume fewer than 7 days after the day the dates are
computed from (a refill or a dose change), `alarm_date - 7` is before that day, in the past: the patient's
refill reminders (7, 3, 1 and 0 days before the date) would never come and the refill safety net would call
the refill overdue at once. The next refill date is then that day itself (`max(alarm_date - 7, start)`):
the refill is due now, which is what the 7-day margin means when there is less than 7 days to keep. The
formula of the contract is unchanged for every fill that lasts 7 days or more. The care team is told
(services.pumps.refill_warning); a refill at or below the alarm volume is refused there as a typing mistake.

Guide: "Have your medicine refilled regularly and on time" (patient-guide-intrathecal-pump.txt).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.db import models

MICROGRAMS_PER_MILLIGRAM = Decimal(1000)
# Refill this many days before the low-reservoir alarm (API.md).
REFILL_MARGIN_DAYS = 7
DEFAULT_LOW_RESERVOIR_ALARM_ML = Decimal("2.0")
VOLUME_QUANTUM = Decimal("0.001")  # mL; volumes left are rounded down to this
# A fill that would last longer than this between refills is a typing mistake, most often a dose in mcg
# given as mg or a concentration in mg given as mcg (a thousand times too long): its alarm would come long
# after the real empty reservoir. Refused, naming the dose; past about 8,000 years the date arithmetic
# overflowed (a 500).
MAX_DAYS_TO_ALARM = 366


class ConcentrationUnit(models.TextChoices):
    MCG_PER_ML = "mcg/mL", "mcg/mL"
    MG_PER_ML = "mg/mL", "mg/mL"


class DoseUnit(models.TextChoices):
    MCG_PER_DAY = "mcg/day", "mcg/day"
    MG_PER_DAY = "mg/day", "mg/day"


def concentration_mcg_per_ml(concentration: Decimal, unit: str) -> Decimal:
    """The concentration in micrograms per millilitre."""
    if unit == ConcentrationUnit.MG_PER_ML:
        return concentration * MICROGRAMS_PER_MILLIGRAM
    if unit == ConcentrationUnit.MCG_PER_ML:
        return concentration
    raise ValueError(f"unknown concentration unit {unit!r}")


def dose_mcg_per_day(daily_dose: Decimal, unit: str) -> Decimal:
    """The daily dose in micrograms per day."""
    if unit == DoseUnit.MG_PER_DAY:
        return daily_dose * MICROGRAMS_PER_MILLIGRAM
    if unit == DoseUnit.MCG_PER_DAY:
        return daily_dose
    raise ValueError(f"unknown dose unit {unit!r}")


@dataclass(frozen=True)
class Dosing:
    """What the reservoir holds and how fast it is used: concentration and daily dose with their units."""

    concentration: Decimal
    concentration_unit: str
    daily_dose: Decimal
    dose_unit: str

    @property
    def ml_per_day(self) -> Decimal:
        """Reservoir volume used per day (mL/day), exact."""
        return dose_mcg_per_day(self.daily_dose, self.dose_unit) / concentration_mcg_per_ml(
            self.concentration, self.concentration_unit
        )


@dataclass(frozen=True)
class RefillSchedule:
    alarm_date: date
    next_refill_date: date
    days_to_alarm: int


def margin_short(alarm_date: date | None, next_refill_date: date | None) -> bool:
    """Stored dates with less than the 7-day margin between refill and alarm: a short fill (or a dose change
    that left the reservoir short), whose next refill date is the day the dates start from."""
    if alarm_date is None or next_refill_date is None:
        return False
    return (alarm_date - next_refill_date).days < REFILL_MARGIN_DAYS


def days_until_alarm(volume_ml: Decimal, low_reservoir_alarm_ml: Decimal, dosing: Dosing) -> int:
    """Whole days until the reservoir falls to the alarm volume, rounded down (0 if already at or below it)."""
    usable_ml = volume_ml - low_reservoir_alarm_ml
    if usable_ml <= 0:
        return 0
    drug_mcg = usable_ml * concentration_mcg_per_ml(dosing.concentration, dosing.concentration_unit)
    days = drug_mcg / dose_mcg_per_day(dosing.daily_dose, dosing.dose_unit)
    return int(days.to_integral_value(rounding=ROUND_FLOOR))


def implausible_schedule(volume_ml: Decimal, low_reservoir_alarm_ml: Decimal, dosing: Dosing) -> str | None:
    """Why a reservoir holding `volume_ml` at this dosing cannot be right, or None when it can."""
    days = days_until_alarm(volume_ml, low_reservoir_alarm_ml, dosing)
    if days <= MAX_DAYS_TO_ALARM:
        return None
    return (f"At this dose and concentration {volume_ml} mL would last {days} days, more than {MAX_DAYS_TO_ALARM} "
            "between refills: check the daily dose, the concentration and their units (mcg or mg).")


def schedule_from(start: date, volume_ml: Decimal, low_reservoir_alarm_ml: Decimal, dosing: Dosing) -> RefillSchedule:
    """Alarm and next refill date for a reservoir holding `volume_ml` on `start` (a refill or a dose change).

    The next refill date is never before `start`: a fill that alarms within the margin is due for refill on
    `start` (module docstring)."""
    days = days_until_alarm(volume_ml, low_reservoir_alarm_ml, dosing)
    alarm = start + timedelta(days=days)
    return RefillSchedule(alarm_date=alarm, next_refill_date=max(alarm - timedelta(days=REFILL_MARGIN_DAYS), start),
                          days_to_alarm=days)


def volume_left_on(day: date, start: date, volume_ml: Decimal, dosing: Dosing) -> Decimal:
    """The volume left on `day` of a reservoir holding `volume_ml` on `start` at this dosing, rounded down
    to 0.001 mL and never below zero."""
    used_ml = max((day - start).days, 0) * dosing.ml_per_day
    left = (volume_ml - used_ml).quantize(VOLUME_QUANTUM, rounding=ROUND_FLOOR)
    return max(left, Decimal(0))
