"""The triage table (recovery/triage.py) as a case table: one row per rule and per boundary, in both
units, per pump drug. Each row prints the source (guide line or named clinical source) of every rule it
fires; a final test checks that every rule of the table is exercised by some row. Pure function: no
database.

Expected levels are written here from shared/API.md and issue 9, not read from the rules."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from recovery import triage
from recovery.triage import PatientContext, Report

# shared/API.md: the symptom codes a phone may send, and the level each gives alone (issue 9).
EMERGENCY_CODES = {
    "difficulty_breathing", "shortness_of_breath", "overdose_signs", "withdrawal_signs", "chest_pain", "seizure",
    "bowel_bladder_changes", "confusion", "extreme_drowsiness",
}
URGENT_CODES = {
    "fever", "difficulty_walking", "balance_problems", "limb_numbness", "limb_tingling", "limb_weakness",
    "limb_pain", "incision_pain", "incision_redness", "incision_bleeding", "incision_drainage",
    "incision_swelling", "severe_pain_uncontrolled", "headache_upright", "pump_alarm", "increased_spasticity",
    "itching", "stiff_neck",
}
API_MD_CODES = EMERGENCY_CODES | URGENT_CODES
DRUGS = ("morphine", "other_opioid", "baclofen", "other", "")  # "" = no pump recorded
TODAY = date(2026, 3, 10)
NOTHING_NEEDED = "nothing in it needs your care team right now"


@dataclass(frozen=True)
class Case:
    name: str
    report: Report
    level: str
    reasons: tuple[str, ...] = ()  # each must be among the result's reasons
    absent: tuple[str, ...] = ()  # none of these may be
    drug: str = "morphine"
    day: int | None = 5
    pain_by_date: dict = field(default_factory=dict)
    recent: frozenset = frozenset()  # signs of the patient's reports of the last 24 hours
    refill_missed: bool = False  # the pump is past its alarm date with no refill recorded


def t(value: str, unit: str = "F", **report: Any) -> Report:
    return Report(temperature=Decimal(value), temperature_unit=unit, **report)


def sx(*codes: str, **report: Any) -> Report:
    return Report(symptoms=codes, **report)


def streak(*scores_from_yesterday_back: int) -> dict:
    return {TODAY - timedelta(days=back): score for back, score in enumerate(scores_from_yesterday_back, 1)}


CASES: list[Case] = [
    # --- every symptom code alone, for every drug -------------------------------------------
    *(
        Case(f"{code} alone [{drug or 'no pump'}]", sx(code), "emergency" if code in EMERGENCY_CODES else "urgent",
             (code,), drug=drug)
        for code in sorted(API_MD_CODES) for drug in DRUGS
    ),
    # --- fever: strictly above 100.0 °F, both units -------------------------------------------
    Case("100.0 F is not a fever", t("100.0"), "routine", absent=("fever",)),
    Case("100.1 F is a fever", t("100.1"), "urgent", ("fever",)),
    Case("37.7 C (99.86 F) is not a fever", t("37.7", "C"), "routine", absent=("fever",)),
    Case("37.8 C (100.04 F) is a fever", t("37.8", "C"), "urgent", ("fever",)),
    # --- low temperature: at or below 95.0 °F / 35.0 °C, both units, per drug -----------------
    *(
        case
        for drug in ("morphine", "baclofen", "other")
        for case in (
            Case(f"95.0 F is low [{drug}]", t("95.0"), "urgent", ("low_temperature",), drug=drug),
            Case(f"95.1 F is not low [{drug}]", t("95.1"), "routine", absent=("low_temperature",), drug=drug),
            Case(f"35.0 C is low [{drug}]", t("35.0", "C"), "urgent", ("low_temperature",), drug=drug),
            Case(f"35.1 C (95.18 F) is not low [{drug}]", t("35.1", "C"), "routine", absent=("low_temperature",),
                 drug=drug),
        )
    ),
    Case("33.0 C is low", t("33.0", "C"), "urgent", ("low_temperature",)),
    # --- fever with a new neurological deficit: spinal epidural abscess ------------------------
    *(
        Case(f"fever + {deficit}", sx("fever", deficit), "emergency", ("fever_with_neuro_deficit", "fever", deficit))
        for deficit in ("limb_weakness", "limb_numbness", "difficulty_walking", "bowel_bladder_changes")
    ),
    Case("100.1 F + limb_weakness", t("100.1", symptoms=("limb_weakness",)), "emergency",
         ("fever_with_neuro_deficit",)),
    Case("37.8 C + difficulty_walking", t("37.8", "C", symptoms=("difficulty_walking",)), "emergency",
         ("fever_with_neuro_deficit",)),
    Case("100.0 F + limb_weakness stays urgent", t("100.0", symptoms=("limb_weakness",)), "urgent",
         ("limb_weakness",), absent=("fever_with_neuro_deficit", "fever")),
    Case("37.7 C + limb_numbness stays urgent", t("37.7", "C", symptoms=("limb_numbness",)), "urgent",
         absent=("fever_with_neuro_deficit",)),
    Case("fever + limb_tingling is not a deficit row", sx("fever", "limb_tingling"), "urgent",
         absent=("fever_with_neuro_deficit",)),
    # Guide line 175 is one sign, "Difficulty walking or keeping your balance": the app's two codes for it
    # weigh the same in every combination that cites the line.
    Case("fever + balance_problems", sx("fever", "balance_problems"), "emergency",
         ("fever_with_neuro_deficit", "fever", "balance_problems")),
    Case("37.9 C + balance_problems", t("37.9", "C", symptoms=("balance_problems",)), "emergency",
         ("fever_with_neuro_deficit",)),
    # --- fever with upright headache or stiff neck: meningitis --------------------------------
    Case("fever + headache_upright", sx("fever", "headache_upright"), "emergency", ("fever_with_meningeal_signs",)),
    Case("fever + stiff_neck", sx("fever", "stiff_neck"), "emergency", ("fever_with_meningeal_signs",)),
    Case("38.0 C + stiff_neck", t("38.0", "C", symptoms=("stiff_neck",)), "emergency",
         ("fever_with_meningeal_signs",)),
    Case("100.0 F + headache_upright stays urgent", t("100.0", symptoms=("headache_upright",)), "urgent",
         absent=("fever_with_meningeal_signs",)),
    # --- weakness or numbness with difficulty walking: cord compression -----------------------
    Case("limb_weakness + difficulty_walking", sx("limb_weakness", "difficulty_walking"), "emergency",
         ("cord_compression_signs",)),
    Case("limb_numbness + difficulty_walking", sx("limb_numbness", "difficulty_walking"), "emergency",
         ("cord_compression_signs",)),
    Case("limb_weakness + limb_numbness without walking trouble stays urgent", sx("limb_weakness", "limb_numbness"),
         "urgent", absent=("cord_compression_signs",)),
    Case("limb_tingling + difficulty_walking stays urgent", sx("limb_tingling", "difficulty_walking"), "urgent",
         absent=("cord_compression_signs",)),
    Case("limb_weakness + balance_problems", sx("limb_weakness", "balance_problems"), "emergency",
         ("cord_compression_signs",)),
    Case("limb_numbness + balance_problems", sx("limb_numbness", "balance_problems"), "emergency",
         ("cord_compression_signs",)),
    Case("limb_tingling + balance_problems stays urgent", sx("limb_tingling", "balance_problems"), "urgent",
         absent=("cord_compression_signs",)),
    Case("limb_weakness now, balance_problems earlier", sx("limb_weakness"), "emergency",
         ("cord_compression_signs",), recent=frozenset({"balance_problems"})),
    # --- severe pain with a fever or a new neurological deficit: what the severe-pain advice already
    # tells the patient to call the emergency number for ------------------------------------------
    *(
        Case(f"pain {score} + {sign}", Report(pain_score=score, symptoms=(sign,)), "emergency",
             ("severe_pain_with_red_flags", sign), drug=drug)
        for score, sign, drug in ((8, "fever", "morphine"), (9, "limb_weakness", "baclofen"),
                                  (10, "limb_numbness", "other"), (8, "difficulty_walking", ""),
                                  (9, "balance_problems", "other_opioid"))
    ),
    Case("pain 9 + 38.2 C measured", t("38.2", "C", pain_score=9), "emergency", ("severe_pain_with_red_flags",)),
    Case("severe_pain_uncontrolled + fever", sx("severe_pain_uncontrolled", "fever"), "emergency",
         ("severe_pain_with_red_flags",)),
    Case("severe_pain_uncontrolled now, limb_weakness earlier today", sx("severe_pain_uncontrolled"), "emergency",
         ("severe_pain_with_red_flags",), recent=frozenset({"limb_weakness"})),
    Case("pain 9 before surgery + fever", Report(pain_score=9, symptoms=("fever",)), "emergency",
         ("severe_pain_with_red_flags",), day=-3),
    Case("pain 7 + fever stays urgent", Report(pain_score=7, symptoms=("fever",)), "urgent", ("fever",),
         absent=("severe_pain_with_red_flags",)),
    Case("pain 9 + limb_tingling stays urgent", Report(pain_score=9, symptoms=("limb_tingling",)), "urgent",
         absent=("severe_pain_with_red_flags",)),
    Case("pain 9 + incision_redness stays urgent", Report(pain_score=9, symptoms=("incision_redness",)), "urgent",
         absent=("severe_pain_with_red_flags",)),
    # --- baclofen withdrawal: early sign + fever or confusion ---------------------------------
    *(
        Case(f"baclofen: {early} + {late}", sx(early, late), "emergency", ("baclofen_withdrawal", early, late),
             drug="baclofen")
        for early in ("pump_alarm", "increased_spasticity", "itching", "limb_tingling")
        for late in ("fever", "confusion")
    ),
    # Paresthesias (tingling) are an early withdrawal sign of the Lioresal boxed warning, as itching is.
    Case("baclofen: limb_tingling + 37.9 C", t("37.9", "C", symptoms=("limb_tingling",)), "emergency",
         ("baclofen_withdrawal",), drug="baclofen"),
    Case("morphine: limb_tingling + fever is not baclofen withdrawal", sx("limb_tingling", "fever"), "urgent",
         absent=("baclofen_withdrawal",), drug="morphine"),
    Case("baclofen: pump_alarm + 38.1 C", t("38.1", "C", symptoms=("pump_alarm",)), "emergency",
         ("baclofen_withdrawal",), drug="baclofen"),
    Case("baclofen: pump_alarm + 100.0 F stays urgent", t("100.0", symptoms=("pump_alarm",)), "urgent",
         absent=("baclofen_withdrawal",), drug="baclofen"),
    *(
        Case(f"{drug}: pump_alarm + fever is not baclofen withdrawal", sx("pump_alarm", "fever"), "urgent",
             absent=("baclofen_withdrawal",), drug=drug)
        for drug in ("morphine", "other_opioid", "other", "")
    ),
    Case("baclofen: itching + increased_spasticity stay urgent", sx("itching", "increased_spasticity"), "urgent",
         absent=("baclofen_withdrawal",), drug="baclofen"),
    # --- baclofen pump past its alarm date with no refill: any withdrawal sign is an emergency ----
    # (the refill safety net's alarm-date message tells the patient to call the emergency number for them)
    *(
        Case(f"baclofen past its alarm date, no refill: {' + '.join(codes)}", sx(*codes), "emergency",
             ("baclofen_withdrawal_refill_missed", *codes), drug="baclofen", day=120, refill_missed=True)
        for codes in (("itching",), ("increased_spasticity",), ("itching", "increased_spasticity"),
                      ("limb_tingling",), ("fever",), ("confusion",), ("seizure",), ("withdrawal_signs",))
    ),
    Case("baclofen past its alarm date, no refill: 38.0 C measured", t("38.0", "C"), "emergency",
         ("baclofen_withdrawal_refill_missed", "fever"), drug="baclofen", day=120, refill_missed=True),
    Case("baclofen past its alarm date, no refill: 100.0 F is not a fever", t("100.0"), "routine",
         absent=("baclofen_withdrawal_refill_missed",), drug="baclofen", day=120, refill_missed=True),
    Case("baclofen past its alarm date, no refill: the low-reservoir alarm itself stays urgent", sx("pump_alarm"),
         "urgent", ("pump_alarm",), absent=("baclofen_withdrawal_refill_missed",), drug="baclofen", day=120,
         refill_missed=True),
    Case("baclofen past its alarm date, no refill: incision redness stays urgent", sx("incision_redness"), "urgent",
         absent=("baclofen_withdrawal_refill_missed",), drug="baclofen", day=120, refill_missed=True),
    Case("baclofen past its alarm date, no refill: a routine check-in stays routine", Report(pain_score=2),
         "routine", absent=("baclofen_withdrawal_refill_missed",), drug="baclofen", day=120, refill_missed=True),
    *(
        Case(f"baclofen refilled on time: {' + '.join(codes)} stay urgent", sx(*codes), "urgent", codes,
             absent=("baclofen_withdrawal_refill_missed",), drug="baclofen", day=120)
        for codes in (("itching",), ("increased_spasticity",), ("itching", "increased_spasticity"))
    ),
    *(
        Case(f"{drug or 'no pump'} past its alarm date: itching + increased_spasticity stay urgent",
             sx("itching", "increased_spasticity"), "urgent", absent=("baclofen_withdrawal_refill_missed",),
             drug=drug, day=120, refill_missed=True)
        for drug in ("morphine", "other_opioid", "other", "")
    ),
    # --- combinations across the reports of the last 24 hours ------------------------------------
    Case("stiff_neck now, fever earlier today", sx("stiff_neck"), "emergency", ("fever_with_meningeal_signs",
         "stiff_neck"), absent=("fever",), recent=frozenset({"fever"})),
    Case("37.9 C now, limb_weakness earlier today", t("37.9", "C"), "emergency", ("fever_with_neuro_deficit",),
         recent=frozenset({"limb_weakness"})),
    Case("limb_numbness now, difficulty_walking earlier", sx("limb_numbness"), "emergency",
         ("cord_compression_signs",), recent=frozenset({"difficulty_walking"})),
    Case("baclofen: pump_alarm now, confusion earlier", sx("pump_alarm"), "emergency", ("baclofen_withdrawal",),
         drug="baclofen", recent=frozenset({"confusion"})),
    Case("an unrelated sign now does not replay an earlier combination", sx("incision_redness"), "urgent",
         absent=("fever_with_meningeal_signs",), recent=frozenset({"fever", "stiff_neck"})),
    Case("earlier signs alone are not reasons of this report", Report(pain_score=2), "routine",
         absent=("fever", "limb_weakness", "fever_with_neuro_deficit"), recent=frozenset({"fever", "limb_weakness"})),
    # --- severe pain: never "nothing needs your care team"; late severe pain with an opioid pump
    Case("pain 8 is severe pain (advice only)", Report(pain_score=8), "routine", ("severe_pain",)),
    Case("pain 10 is severe pain (advice only)", Report(pain_score=10), "routine", ("severe_pain",)),
    Case("pain 7 is not severe pain", Report(pain_score=7), "routine", absent=("severe_pain",)),
    Case("morphine: pain 8 on day 57 is urgent", Report(pain_score=8), "urgent", ("severe_pain_after_recovery",),
         day=57),
    Case("other_opioid: pain 9 on day 120 is urgent", Report(pain_score=9), "urgent",
         ("severe_pain_after_recovery",), drug="other_opioid", day=120),
    Case("morphine: pain 8 on day 56 is advice only", Report(pain_score=8), "routine",
         absent=("severe_pain_after_recovery",), day=56),
    Case("morphine: pain 7 on day 90 is routine", Report(pain_score=7), "routine",
         absent=("severe_pain_after_recovery", "severe_pain"), day=90),
    Case("baclofen: pain 9 on day 90 is advice only", Report(pain_score=9), "routine",
         absent=("severe_pain_after_recovery",), drug="baclofen", day=90),
    Case("unknown recovery day: no late-pain rule", Report(pain_score=9), "routine",
         absent=("severe_pain_after_recovery",), day=None),
    # --- three days of pain 8+ ----------------------------------------------------------------
    Case("pain 8+ three days in a row", Report(pain_score=8, local_date=TODAY), "urgent", ("severe_pain_3_days",),
         pain_by_date=streak(9, 8)),
    Case("yesterday 7 breaks the streak", Report(pain_score=9, local_date=TODAY), "routine",
         absent=("severe_pain_3_days",), pain_by_date=streak(7, 9)),
    Case("only two days", Report(pain_score=9, local_date=TODAY), "routine", absent=("severe_pain_3_days",),
         pain_by_date=streak(9)),
    Case("a gap day breaks the streak", Report(pain_score=9, local_date=TODAY), "routine",
         absent=("severe_pain_3_days",), pain_by_date={TODAY - timedelta(days=1): 9, TODAY - timedelta(days=3): 9}),
    # --- before surgery (negative days): severe chronic pain is why the patient gets the pump ----
    Case("pain 8 three days running before surgery is advice only", Report(pain_score=8, local_date=TODAY),
         "routine", ("severe_pain",), absent=("severe_pain_3_days",), day=-12, pain_by_date=streak(8, 8)),
    Case("pain 8+ three days running up to surgery day is urgent", Report(pain_score=8, local_date=TODAY),
         "urgent", ("severe_pain_3_days",), day=0, pain_by_date=streak(9, 8)),
    Case("unknown recovery day: no streak rule", Report(pain_score=9, local_date=TODAY), "routine",
         absent=("severe_pain_3_days",), day=None, pain_by_date=streak(9, 9)),
    *(
        Case(f"{code} reported before surgery is still urgent", sx(code), "urgent", (code,), day=-14)
        for code in ("severe_pain_uncontrolled", "limb_pain", "incision_pain")
    ),
    Case("chest pain before surgery is still an emergency", sx("chest_pain"), "emergency", ("chest_pain",),
         day=-14),
    # --- a warning report that is only a note --------------------------------------------------
    Case("warning report with only a note", Report(kind="warning_report", note="the pump site feels odd"),
         "urgent", ("patient_note",)),
    Case("a note-only report of trouble breathing is an emergency a person also reads",
         Report(kind="warning_report", note="I can't breathe properly"), "emergency",
         ("difficulty_breathing", "patient_note")),
    Case("warning report with symptoms and a note: the symptoms triage it",
         Report(kind="warning_report", symptoms=("limb_pain",), note="since last night"), "urgent", ("limb_pain",),
         absent=("patient_note",)),
    Case("warning report with a blank note", Report(kind="warning_report", note="   "), "routine",
         absent=("patient_note",)),
    Case("a check-in note is not a warning report", Report(kind="checkin", pain_score=2, note="feeling better"),
         "routine", absent=("patient_note",)),
]


def run(case: Case) -> triage.TriageResult:
    context = PatientContext(drug=case.drug, recovery_day=case.day, pain_by_date=case.pain_by_date,
                             recent_signs=case.recent, refill_missed=case.refill_missed, emergency_number="911")
    return triage.triage(case.report, context)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_case_table(case: Case) -> None:
    result = run(case)
    sources = "\n".join(f"    {rule.key}: {rule.source}" for rule in result.fired) or "    (no rule fires)"
    print(f"\n{case.name} -> {result.level} {list(result.reasons)}\n{sources}")
    assert result.level == case.level, sources
    assert set(case.reasons) <= set(result.reasons), sources
    assert not set(case.absent) & set(result.reasons), sources
    if result.level == "routine" and (result.reasons or case.report.note.strip()):
        assert NOTHING_NEEDED not in result.advice


def test_every_rule_of_the_table_is_exercised_by_a_case():
    exercised = {rule.key for case in CASES for rule in run(case).fired}
    assert {rule.key for rule in triage.ALL_RULES} - exercised == set()


def test_every_rule_names_its_source_in_the_guide_or_a_named_clinical_source():
    for rule in triage.ALL_RULES:
        assert rule.source.startswith("Guide line") or "(" in rule.source, rule.key
        assert len(rule.source) > 40, rule.key


def test_the_rules_know_exactly_the_symptom_codes_of_the_api_contract():
    assert set(triage.SYMPTOM_CODES) == API_MD_CODES
    assert len(triage.SYMPTOM_CODES) == len(set(triage.SYMPTOM_CODES))
    level_rule_signs = {sign for rule in triage.RULES for group in rule.all_of for sign in group}
    assert API_MD_CODES <= level_rule_signs


def test_every_reason_a_rule_can_give_has_plain_words_for_the_patient():
    assert {rule.reason for rule in triage.RULES} <= set(triage.REASON_WORDS)


# --- Advice ----------------------------------------------------------------------------------

def test_emergency_advice_starts_with_the_local_emergency_number():
    for number in ("911", "999", "000", "119", "112"):
        result = triage.triage(sx("chest_pain"), PatientContext(emergency_number=number))
        assert result.advice.startswith(f"Call {number} now.")


def test_urgent_advice_says_the_care_team_was_alerted_and_names_the_number():
    result = triage.triage(sx("stiff_neck"), PatientContext(emergency_number="000"))
    assert "care team has been alerted" in result.advice and "call 000" in result.advice
    assert "911" not in result.advice


def test_no_signs_is_routine_with_reassuring_advice_that_says_when_to_call():
    result = triage.triage(Report(pain_score=4, temperature=Decimal("98.6")), PatientContext(emergency_number="999"))
    assert (result.level, result.reasons) == ("routine", ())
    assert NOTHING_NEEDED in result.advice
    assert "Call your surgeon if" in result.advice and "Call 999 for trouble breathing" in result.advice


def sentences_naming(number: str, text: str) -> list[str]:
    return [sentence for sentence in text.split(". ") if number in sentence]


@pytest.mark.parametrize("refill_alarm_passed", [False, True])
@pytest.mark.parametrize("drug", ["morphine", "baclofen"])
def test_the_when_to_call_text_sends_each_emergency_combination_to_the_emergency_number(drug, refill_alarm_passed):
    """The routine answer lists fever, a stiff neck, weakness and trouble walking one by one for the surgeon; the
    pairs the combination rows make emergencies must be named where it says to call the emergency number."""
    context = PatientContext(drug=drug, recovery_day=9, emergency_number="999", refill_alarm_passed=refill_alarm_passed)
    advice = triage.triage(Report(pain_score=2), context).advice
    emergency = " ".join(sentences_naming("999", advice))
    for words in ("a fever or severe pain comes with weakness, numbness or trouble walking or keeping your balance",
                  "a fever comes with severe pain, a stiff neck or a headache when you sit or stand up",
                  "weakness or numbness comes with trouble walking or keeping your balance"):
        assert words in emergency, advice


@pytest.mark.parametrize("drug", ["morphine", "baclofen"])
def test_a_baclofen_pumps_when_to_call_text_sends_withdrawals_pair_to_the_emergency_number(drug):
    """Itching, more stiffness and a pump alarm are listed for the surgeon one by one; with a fever or confusion a
    baclofen pump's triage calls them an emergency (baclofen_withdrawal), and the text says so."""
    context = PatientContext(drug=drug, recovery_day=9, emergency_number="999")
    emergency = " ".join(sentences_naming("999", triage.triage(Report(pain_score=2), context).advice))
    named = "itching, tingling, more muscle stiffness or a pump alarm comes with a fever or confusion" in emergency
    assert named is (drug == "baclofen")
    assert (triage.triage(t("101.0", symptoms=("itching",)), context).level == "emergency") is named


@pytest.mark.parametrize("pain", [8, 9, 10])
def test_severe_pain_is_never_told_nothing_needs_the_care_team_and_says_what_to_do(pain):
    result = triage.triage(Report(pain_score=pain), PatientContext(drug="morphine", recovery_day=3))
    assert NOTHING_NEEDED not in result.advice
    assert "Take your pain medicine exactly as prescribed" in result.advice
    assert "severe pain that your medicine does not relieve" in result.advice


def test_a_note_only_warning_report_is_read_by_a_person():
    result = triage.triage(Report(kind="warning_report", note="Something feels wrong around the pump"))
    assert result.level == "urgent" and result.reasons == ("patient_note",)
    assert "will read your note" in result.advice


def test_a_routine_check_in_with_a_note_does_not_promise_nobody_needs_to_read_it():
    result = triage.triage(Report(pain_score=2, note="the wound is weird"))
    assert result.level == "routine" and NOTHING_NEEDED not in result.advice
    assert "Notes are not read straight away" in result.advice


@pytest.mark.parametrize("sign", ["fever", "limb_weakness", "limb_numbness", "difficulty_walking"])
def test_severe_pain_with_a_sign_the_advice_sends_to_the_emergency_number_is_an_emergency(sign):
    """The severe-pain advice says "If severe pain comes with weakness, numbness, trouble walking, a fever or
    trouble breathing, call <number> now": a report that shows it is not told the care team will call back."""
    result = triage.triage(Report(pain_score=9, symptoms=(sign,)), PatientContext(drug="morphine", recovery_day=9,
                                                                                 emergency_number="999"))
    assert result.level == "emergency" and result.advice.startswith("Call 999 now.")
    assert "They will contact you soon" not in result.advice


def test_low_temperature_advice_says_to_warm_up_and_measure_again():
    result = triage.triage(t("34.8", "C"), PatientContext(drug="baclofen", emergency_number="111"))
    assert "take your temperature again" in result.advice and "call 111 now" in result.advice


def test_combination_reasons_lead_the_list():
    result = triage.triage(sx("limb_weakness", "fever"))
    assert result.reasons[0] == "fever_with_neuro_deficit"
    assert set(result.reasons) == {"fever_with_neuro_deficit", "fever", "limb_weakness"}


def test_reported_signs_are_the_symptoms_the_measured_temperature_and_a_severe_pain_score():
    assert triage.reported_signs(t("38.0", "C", symptoms=("stiff_neck",), pain_score=9)) == {
        "fever", "stiff_neck", "severe_pain"}
    assert triage.reported_signs(Report(pain_score=7)) == frozenset()
    assert triage.reported_signs(t("34.9", "C")) == {"low_temperature"}
    assert triage.reported_signs(Report(kind="warning_report", note="help")) == frozenset()


@pytest.mark.parametrize(
    ("report", "reads"),
    [(Report(pain_score=2), False), (Report(pain_score=8), True), (sx("incision_redness"), False), (t("98.6"), False),
     (sx("stiff_neck"), True),
     (t("38.0", "C"), True), (sx("pump_alarm"), True), (sx("difficulty_walking"), True)],
)
def test_only_a_report_with_a_sign_of_a_combination_reads_earlier_reports(report, reads):
    assert triage.reads_recent_signs(report) is reads


@pytest.mark.parametrize(
    ("report", "reads"),
    [(Report(pain_score=2, local_date=TODAY), False), (Report(pain_score=7, local_date=TODAY), False),
     (Report(pain_score=8, local_date=TODAY), True), (Report(pain_score=10, local_date=TODAY), True),
     (Report(pain_score=9), False), (Report(symptoms=("incision_pain",), local_date=TODAY), False),
     (Report(kind="warning_report", note="help", local_date=TODAY), False)],
)
def test_only_pain_at_a_streak_threshold_reads_the_earlier_days_pain(report, reads):
    assert triage.reads_pain_history(report) is reads


@pytest.mark.parametrize("report", [
    *(Report(pain_score=score, local_date=TODAY) for score in range(8)),
    Report(pain_score=10),
    Report(symptoms=("incision_pain",), local_date=TODAY),
    Report(kind="warning_report", note="help", local_date=TODAY),
])
def test_a_report_that_reads_no_pain_history_is_triaged_the_same_whatever_that_history(report):
    """What lets the context skip the pain-history query (triage_context) for such a report."""
    assert not triage.reads_pain_history(report)
    worst = PatientContext(recovery_day=30, pain_by_date=streak(*[10] * triage.CONTEXT_DAYS))
    assert triage.triage(report, worst) == triage.triage(report, PatientContext(recovery_day=30))


def test_pain_at_the_threshold_is_triaged_with_its_history():
    report = Report(pain_score=8, local_date=TODAY)
    assert triage.reads_pain_history(report)
    worst = PatientContext(recovery_day=30, pain_by_date=streak(*[10] * triage.CONTEXT_DAYS))
    assert triage.triage(report, worst) != triage.triage(report, PatientContext(recovery_day=30))


@pytest.mark.parametrize(
    ("report", "drug", "reads"),
    [(Report(pain_score=2), "baclofen", False), (sx("pump_alarm"), "baclofen", False),
     (sx("incision_redness"), "baclofen", False), (sx("itching"), "baclofen", True),
     (t("38.0", "C"), "baclofen", True), (sx("increased_spasticity"), "morphine", False),
     (sx("itching"), "", False)],
)
def test_only_a_baclofen_report_with_a_withdrawal_sign_needs_the_refill_state(report, drug, reads):
    assert triage.reads_refill_state(report, drug) is reads


@pytest.mark.parametrize("codes", [("itching",), ("increased_spasticity",), ("itching", "increased_spasticity")])
def test_a_withdrawal_sign_past_the_alarm_date_is_told_to_call_the_emergency_number_not_to_wait(codes):
    context = PatientContext(drug="baclofen", recovery_day=120, refill_missed=True, emergency_number="999")
    result = triage.triage(sx(*codes), context)
    assert result.advice.startswith("Call 999 now.")
    assert "baclofen withdrawal" in result.advice and "no refill is recorded" in result.advice
    assert "They will contact you soon" not in result.advice


def test_a_measured_fever_and_a_reported_fever_give_one_reason():
    assert triage.triage(t("101.2", symptoms=("fever",))).reasons == ("fever",)


# --- Temperatures ----------------------------------------------------------------------------

def test_celsius_is_converted_exactly_without_binary_floating_point():
    assert triage.to_fahrenheit(Decimal("37.8"), "C") == Decimal("100.04")
    assert triage.to_fahrenheit(Decimal("35.0"), "C") == Decimal("95.0")


@pytest.mark.parametrize(
    ("value", "unit", "plausible"),
    [
        ("90.4", "F", False), ("90.5", "F", True), ("110.3", "F", True), ("110.4", "F", False),
        ("32.4", "C", False), ("32.5", "C", True), ("43.5", "C", True), ("43.6", "C", False),
    ],
)
def test_plausible_temperatures_have_the_same_limits_in_both_units(value, unit, plausible):
    assert triage.is_plausible_temperature(Decimal(value), unit) is plausible


def test_the_plausible_range_in_celsius_is_the_fahrenheit_one_converted():
    assert triage.plausible_range("C") == (Decimal("32.5"), Decimal("43.5"))
    assert triage.plausible_range("F") == (Decimal("90.5"), Decimal("110.3"))


def test_incision_check_booleans_map_to_incision_signs():
    assert triage.incision_symptoms(redness=True, pain=True, swelling=False) == ("incision_pain", "incision_redness")
    assert triage.incision_symptoms() == ()
