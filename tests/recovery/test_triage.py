"""The triage table (recovery/triage.py): every symptom code alone, fever boundaries in F and C,
combinations, and the three-day pain rule. Pure function: no database."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from recovery import triage
from recovery.triage import PatientContext, Report

EMERGENCY_CODES = {"difficulty_breathing", "shortness_of_breath", "overdose_signs", "withdrawal_signs"}
URGENT_CODES = {
    "fever", "difficulty_walking", "balance_problems", "limb_numbness", "limb_tingling", "limb_weakness",
    "limb_pain", "incision_pain", "incision_redness", "incision_bleeding", "incision_drainage",
    "incision_swelling", "severe_pain_uncontrolled", "headache_upright", "pump_alarm",
}
API_MD_CODES = EMERGENCY_CODES | URGENT_CODES  # the symptom codes listed in shared/API.md

TODAY = date(2026, 3, 10)


def run(**report) -> triage.TriageResult:
    context = report.pop("context", None)
    return triage.triage(Report(**report), context)


def test_the_rules_know_exactly_the_symptom_codes_of_the_api_contract():
    assert set(triage.SYMPTOM_CODES) == API_MD_CODES
    assert len(triage.SYMPTOM_CODES) == len(set(triage.SYMPTOM_CODES))


def test_every_rule_names_its_source():
    rules: list[Any] = [*triage.SYMPTOM_RULES, triage.FEVER_RULE, triage.PAIN_STREAK_RULE]
    assert all(rule.source.startswith("Guide line") for rule in rules)


@pytest.mark.parametrize("code", sorted(EMERGENCY_CODES))
def test_each_emergency_sign_alone_is_emergency_and_says_call_911_now(code):
    result = run(symptoms=(code,))
    assert result.level == "emergency"
    assert result.reasons == (code,)
    assert result.advice.startswith("Call 911 now.")


@pytest.mark.parametrize("code", sorted(URGENT_CODES))
def test_each_urgent_sign_alone_is_urgent_and_says_the_care_team_was_alerted(code):
    result = run(symptoms=(code,))
    assert result.level == "urgent"
    assert result.reasons == (code,)
    assert "care team has been alerted" in result.advice
    assert "Call 911 now" not in result.advice


def test_no_signs_is_routine_with_reassuring_advice_that_says_when_to_call():
    result = run(symptoms=(), pain_score=4, temperature=Decimal("98.6"))
    assert result.level == "routine"
    assert result.reasons == ()
    assert "nothing in it needs your care team right now" in result.advice
    assert "Call your surgeon if" in result.advice and "Call 911 for trouble breathing" in result.advice


@pytest.mark.parametrize(
    ("temperature", "unit", "fever"),
    [
        ("100.0", "F", False),  # "more than 100.0°F": exactly 100.0 is not
        ("100.1", "F", True),
        ("99.9", "F", False),
        ("103.5", "F", True),
        ("37.7", "C", False),  # 99.86 °F
        ("37.8", "C", True),  # 100.04 °F
        ("37.0", "C", False),
        ("39.0", "C", True),
    ],
)
def test_fever_is_strictly_above_100_point_0_fahrenheit(temperature, unit, fever):
    result = run(temperature=Decimal(temperature), temperature_unit=unit)
    assert (result.level, result.reasons) == (("urgent", ("fever",)) if fever else ("routine", ()))


def test_celsius_is_converted_exactly_without_binary_floating_point():
    assert triage.to_fahrenheit(Decimal("37.8"), "C") == Decimal("100.04")
    assert triage.to_fahrenheit(Decimal("37.7"), "C") == Decimal("99.86")


def test_a_measured_fever_and_a_reported_fever_give_one_reason():
    result = run(symptoms=("fever",), temperature=Decimal("101.2"))
    assert result.reasons == ("fever",)


def test_several_signs_report_every_reason_and_the_most_severe_level_wins():
    result = run(symptoms=("incision_redness", "withdrawal_signs", "limb_numbness"), temperature=Decimal("38.5"),
                 temperature_unit="C")
    assert result.level == "emergency"
    assert set(result.reasons) == {"incision_redness", "withdrawal_signs", "limb_numbness", "fever"}
    assert result.reasons[0] == "withdrawal_signs"  # most severe first
    assert "Call 911 now" in result.advice


def test_several_urgent_signs_stay_urgent_with_all_reasons():
    result = run(symptoms=("pump_alarm", "headache_upright"))
    assert result.level == "urgent"
    assert result.reasons == ("headache_upright", "pump_alarm")


def test_advice_names_what_was_reported_in_plain_words():
    result = run(symptoms=("headache_upright", "incision_drainage"))
    assert "drainage from an incision" in result.advice
    assert "a headache when you sit or stand up" in result.advice


def pain_history(*scores_from_yesterday_back: int) -> PatientContext:
    return PatientContext(
        pain_by_date={TODAY - timedelta(days=back): score for back, score in enumerate(scores_from_yesterday_back, 1)}
    )


def test_pain_8_or_more_on_three_consecutive_days_is_urgent():
    result = run(pain_score=8, local_date=TODAY, context=pain_history(9, 8))
    assert (result.level, result.reasons) == ("urgent", ("severe_pain_3_days",))


@pytest.mark.parametrize(
    ("today", "history"),
    [
        (7, (9, 9)),  # today below 8
        (9, (7, 9)),  # yesterday below 8
        (9, (9, 7)),  # the day before below 8
        (9, (9,)),  # only two days of check-ins
        (9, ()),
    ],
)
def test_pain_rule_needs_all_three_days_at_8_or_more(today, history):
    assert run(pain_score=today, local_date=TODAY, context=pain_history(*history)).level == "routine"


def test_pain_rule_needs_consecutive_local_dates_not_three_check_ins():
    gap = PatientContext(pain_by_date={TODAY - timedelta(days=1): 9, TODAY - timedelta(days=3): 9})
    assert run(pain_score=9, local_date=TODAY, context=gap).level == "routine"


def test_pain_rule_combines_with_other_signs():
    result = run(pain_score=10, local_date=TODAY, symptoms=("difficulty_breathing",), context=pain_history(8, 8))
    assert result.level == "emergency"
    assert result.reasons == ("difficulty_breathing", "severe_pain_3_days")


def test_incision_check_booleans_map_to_incision_signs():
    assert triage.incision_symptoms(redness=True, pain=True, swelling=False) == ("incision_pain", "incision_redness")
    assert triage.incision_symptoms() == ()
