"""The refill formula of shared/API.md: units made consistent, days rounded down, dose changes mid-cycle."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from recovery.refills import Dosing, days_until_alarm, margin_short, schedule_from, volume_left_on

REFILL = date(2027, 1, 4)
LOW = D("2.0")


@pytest.mark.parametrize(
    ("dosing", "days"),
    [
        # 18 mL usable x 500 mcg/mL = 9000 mcg, at 200 mcg/day: 45 days, in every combination of units.
        (Dosing(D("500"), "mcg/mL", D("200"), "mcg/day"), 45),
        (Dosing(D("0.5"), "mg/mL", D("0.2"), "mg/day"), 45),
        (Dosing(D("0.5"), "mg/mL", D("200"), "mcg/day"), 45),
        (Dosing(D("500"), "mcg/mL", D("0.2"), "mg/day"), 45),
        # Morphine 25 mg/mL at 4.8 mg/day: 18 x 25 / 4.8 = 93.75 days -> 93.
        (Dosing(D("25"), "mg/mL", D("4.8"), "mg/day"), 93),
        # Baclofen 2000 mcg/mL at 0.5 mg/day: 36000 mcg / 500 mcg = 72 days.
        (Dosing(D("2000"), "mcg/mL", D("0.5"), "mg/day"), 72),
    ],
)
def test_days_to_the_alarm_with_units_made_consistent(dosing, days):
    assert days_until_alarm(D("20"), LOW, dosing) == days


def test_alarm_date_and_next_refill_date_follow_the_formula():
    schedule = schedule_from(REFILL, D("20"), LOW, Dosing(D("500"), "mcg/mL", D("200"), "mcg/day"))
    assert schedule.alarm_date == REFILL + timedelta(days=45)
    assert schedule.next_refill_date == REFILL + timedelta(days=38)


@pytest.mark.parametrize(
    ("daily_dose", "days"),
    [
        (D("214.8"), 41),  # 41.899... days: rounded down, the alarm is never later than computed
        (D("225"), 40),  # exactly 40.0 stays 40
        (D("225.0001"), 39),  # a hair over the dose that gives 40 days: 39.9999... -> 39
    ],
)
def test_days_are_rounded_down(daily_dose, days):
    assert days_until_alarm(D("20"), LOW, Dosing(D("500"), "mcg/mL", daily_dose, "mcg/day")) == days


def test_a_reservoir_at_or_below_the_alarm_volume_alarms_and_is_due_for_refill_the_same_day():
    dosing = Dosing(D("500"), "mcg/mL", D("200"), "mcg/day")
    assert days_until_alarm(D("2.0"), LOW, dosing) == 0
    schedule = schedule_from(REFILL, D("1.5"), LOW, dosing)
    assert (schedule.alarm_date, schedule.next_refill_date) == (REFILL, REFILL)
    assert margin_short(schedule.alarm_date, schedule.next_refill_date)


def test_a_fill_that_alarms_within_seven_days_is_due_for_refill_on_its_own_day_not_before():
    # 2 usable mL x 500 / 200 = 5 days: alarm_date - 7 would be two days before the refill.
    schedule = schedule_from(REFILL, D("4"), LOW, Dosing(D("500"), "mcg/mL", D("200"), "mcg/day"))
    assert schedule.alarm_date == REFILL + timedelta(days=5)
    assert schedule.next_refill_date == REFILL
    assert margin_short(schedule.alarm_date, schedule.next_refill_date)


@pytest.mark.parametrize(("volume", "days", "next_refill_in"), [(D("4.8"), 7, 0), (D("5.2"), 8, 1), (D("20"), 45, 38)])
def test_a_fill_of_seven_days_or_more_keeps_the_contracts_formula(volume, days, next_refill_in):
    schedule = schedule_from(REFILL, volume, LOW, Dosing(D("500"), "mcg/mL", D("200"), "mcg/day"))
    assert schedule.alarm_date == REFILL + timedelta(days=days)
    assert schedule.next_refill_date == schedule.alarm_date - timedelta(days=7)
    assert schedule.next_refill_date == REFILL + timedelta(days=next_refill_in)
    assert not margin_short(schedule.alarm_date, schedule.next_refill_date)


def test_a_dose_change_mid_cycle_recomputes_from_the_volume_left_that_day():
    before = Dosing(D("500"), "mcg/mL", D("200"), "mcg/day")  # 0.4 mL a day
    change_day = REFILL + timedelta(days=10)
    left = volume_left_on(change_day, REFILL, D("20"), before)
    assert left == D("16.000")
    after = Dosing(D("500"), "mcg/mL", D("0.4"), "mg/day")  # doubled, given in mg: 0.8 mL a day
    schedule = schedule_from(change_day, left, LOW, after)
    # 14 mL usable x 500 / 400 = 17.5 days -> 17
    assert schedule.alarm_date == change_day + timedelta(days=17) == date(2027, 1, 31)
    assert schedule.next_refill_date == date(2027, 1, 24)
    # Without the change the alarm would have been 45 days after the refill.
    assert schedule_from(REFILL, D("20"), LOW, before).alarm_date == date(2027, 2, 18)


def test_the_volume_left_is_rounded_down_and_never_negative():
    dosing = Dosing(D("900"), "mcg/mL", D("300"), "mcg/day")  # a third of a mL a day
    assert volume_left_on(REFILL + timedelta(days=1), REFILL, D("20"), dosing) == D("19.666")
    assert volume_left_on(REFILL + timedelta(days=400), REFILL, D("20"), dosing) == D("0")
    assert volume_left_on(REFILL - timedelta(days=3), REFILL, D("20"), dosing) == D("20.000")
