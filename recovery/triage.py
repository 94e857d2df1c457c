"""Warning-sign triage: a pure function from a report and its patient context to a level, reasons and advice.

The rules are data. Each row names the symptom codes or the threshold it fires on, the level it
gives and the line of the patient guide (shared/domain/patient-guide-intrathecal-pump.txt, "the
guide", cited by line number) or the clinical source it comes from. Every rule that fires is
reported as a reason; the most severe level among them wins. Nothing here touches the database:
recovery.services reads the context and stores the result.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from recovery.models import SEVERITY, TriageLevel

ROUTINE, URGENT, EMERGENCY = TriageLevel.ROUTINE, TriageLevel.URGENT, TriageLevel.EMERGENCY

GUIDE = "Guide"  # shared/domain/patient-guide-intrathecal-pump.txt


@dataclass(frozen=True)
class SymptomRule:
    """Fires when the report carries any of `codes`; the reason is the code reported."""

    codes: tuple[str, ...]
    level: TriageLevel
    source: str


@dataclass(frozen=True)
class FeverRule:
    """Fires when the measured temperature is strictly above `above_fahrenheit` (Celsius converted exactly)."""

    reason: str
    above_fahrenheit: Decimal
    level: TriageLevel
    source: str


@dataclass(frozen=True)
class PainStreakRule:
    """Fires when the check-in's pain and that of each of the `days - 1` local days before it is >= `min_score`."""

    reason: str
    min_score: int
    days: int
    level: TriageLevel
    source: str


# Emergency rows come first so that the reasons list reads most severe first.
SYMPTOM_RULES: tuple[SymptomRule, ...] = (
    SymptomRule(
        ("difficulty_breathing",), EMERGENCY,
        f'{GUIDE} line 174: "Difficulty breathing." Emergency because trouble breathing after an intrathecal '
        "opioid is the sign of respiratory depression (FDA boxed warning, Infumorph/Duramorph labels).",
    ),
    SymptomRule(
        ("shortness_of_breath",), EMERGENCY,
        f'{GUIDE} line 176: "New or increasing shortness of breath." (blood clot to the lung, respiratory '
        "depression; line 70: \"Blood clots.\")",
    ),
    SymptomRule(
        ("overdose_signs",), EMERGENCY,
        f'{GUIDE} lines 72 and 80: "Medicine withdrawal or overdose." / "increase your risk of medicine '
        'overdose or withdrawal." Opioid overdose depresses breathing (FDA boxed warning, Infumorph label).',
    ),
    SymptomRule(
        ("withdrawal_signs",), EMERGENCY,
        f'{GUIDE} lines 72 and 80: "Medicine withdrawal or overdose." Abrupt loss of intrathecal baclofen can '
        "progress to high fever, altered mental status, rigidity, organ failure and death (FDA boxed warning, "
        "Lioresal Intrathecal label).",
    ),
    SymptomRule(
        ("fever",), URGENT,
        f'{GUIDE} line 173: "A fever of more than 100.0°F." (reported without a measurement)',
    ),
    SymptomRule(
        ("difficulty_walking", "balance_problems"), URGENT,
        f'{GUIDE} line 175: "Difficulty walking or keeping your balance."',
    ),
    SymptomRule(
        ("limb_numbness", "limb_tingling", "limb_pain", "limb_weakness"), URGENT,
        f'{GUIDE} line 177: "Numbness, tingling, pain, or weakness in your arms or legs."',
    ),
    SymptomRule(
        ("incision_pain", "incision_redness", "incision_bleeding", "incision_drainage", "incision_swelling"), URGENT,
        f'{GUIDE} line 178: "Pain, redness, bleeding, drainage, or increased swelling at your incision site."',
    ),
    SymptomRule(
        ("severe_pain_uncontrolled",), URGENT,
        f'{GUIDE} line 179: "Severe pain that does not respond to medicine."',
    ),
    SymptomRule(
        ("headache_upright",), URGENT,
        f'{GUIDE} line 71: "Cerebrospinal fluid (CSF) leak." A headache that comes on when upright and eases '
        "lying down is the hallmark of a CSF leak (ICHD-3 7.2.1, post-dural puncture headache).",
    ),
    SymptomRule(
        ("pump_alarm",), URGENT,
        f'{GUIDE} lines 76 and 86: "Problems with the pump or catheter." / "Monitor your pump to make sure it '
        'is working properly." A sounding pump alarm means low reservoir or a fault that can lead to '
        "withdrawal (Medtronic SynchroMed II patient manual: call your clinician).",
    ),
)

FEVER_RULE = FeverRule(
    "fever", Decimal("100.0"), URGENT,
    f'{GUIDE} line 173: "A fever of more than 100.0°F." Strictly above: 100.0 °F is not a fever, '
    "37.8 °C (100.04 °F) is, 37.7 °C (99.86 °F) is not.",
)

PAIN_STREAK_RULE = PainStreakRule(
    "severe_pain_3_days", 8, 3, URGENT,
    f'{GUIDE} line 179: "Severe pain that does not respond to medicine." Pain of 8 or more (severe on the '
    "0-10 numeric rating scale) on three consecutive daily check-ins is pain the medicine is not controlling.",
)

SYMPTOM_CODES: tuple[str, ...] = tuple(code for rule in SYMPTOM_RULES for code in rule.codes)

# How many local days of earlier check-ins the service must pass in `PatientContext`.
CONTEXT_DAYS = PAIN_STREAK_RULE.days - 1

# Incision-check booleans and the symptom code each one reports.
INCISION_SIGNS: dict[str, str] = {
    "pain": "incision_pain",
    "redness": "incision_redness",
    "bleeding": "incision_bleeding",
    "drainage": "incision_drainage",
    "swelling": "incision_swelling",
}

# Plain words for each reason, used in the advice text the patient reads.
REASON_WORDS: dict[str, str] = {
    "fever": "a fever over 100.0°F (37.8°C)",
    "difficulty_breathing": "trouble breathing",
    "shortness_of_breath": "shortness of breath",
    "difficulty_walking": "difficulty walking",
    "balance_problems": "trouble keeping your balance",
    "limb_numbness": "numbness in your arms or legs",
    "limb_tingling": "tingling in your arms or legs",
    "limb_weakness": "weakness in your arms or legs",
    "limb_pain": "pain in your arms or legs",
    "incision_pain": "pain at an incision",
    "incision_redness": "redness at an incision",
    "incision_bleeding": "bleeding at an incision",
    "incision_drainage": "drainage from an incision",
    "incision_swelling": "swelling at an incision",
    "severe_pain_uncontrolled": "severe pain that your medicine does not relieve",
    "headache_upright": "a headache when you sit or stand up",
    "withdrawal_signs": "signs of medicine withdrawal",
    "overdose_signs": "signs of a medicine overdose",
    "pump_alarm": "a pump alarm",
    "severe_pain_3_days": "pain of 8 or more for three days in a row",
}

WHEN_TO_CALL = (
    "Call your surgeon if you get a fever over 100.0°F (37.8°C); trouble walking or keeping your balance; "
    "numbness, tingling, pain or weakness in your arms or legs; pain, redness, bleeding, drainage or more "
    "swelling at an incision; a headache when you sit or stand up; severe pain your medicine does not "
    "relieve; or a pump alarm. Call 911 for trouble breathing, shortness of breath, or signs of an "
    "overdose or withdrawal."
)


@dataclass(frozen=True)
class Report:
    """What a phone reported, reduced to what triage reads."""

    symptoms: tuple[str, ...] = ()
    temperature: Decimal | None = None
    temperature_unit: str = "F"
    pain_score: int | None = None  # only daily check-ins carry one
    local_date: date | None = None


@dataclass(frozen=True)
class PatientContext:
    """What triage needs to know beyond the report: the highest pain score of each earlier local day."""

    pain_by_date: Mapping[date, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TriageResult:
    level: TriageLevel
    reasons: tuple[str, ...]
    advice: str

    @property
    def escalates(self) -> bool:
        return self.level != ROUTINE


def to_fahrenheit(value: Decimal, unit: str) -> Decimal:
    """Exact conversion (Decimal arithmetic, no binary floating point): 37.8 C -> 100.04 F."""
    value = Decimal(value)
    if unit == "C":
        return value * Decimal(9) / Decimal(5) + Decimal(32)
    return value


def has_fever(temperature: Decimal | None, unit: str, rule: FeverRule = FEVER_RULE) -> bool:
    return temperature is not None and to_fahrenheit(temperature, unit) > rule.above_fahrenheit


def pain_streak(report: Report, context: PatientContext, rule: PainStreakRule = PAIN_STREAK_RULE) -> bool:
    """True when the report's pain and each of the `rule.days - 1` local days before it reach the threshold."""
    if report.pain_score is None or report.local_date is None or report.pain_score < rule.min_score:
        return False
    earlier = (report.local_date - timedelta(days=back) for back in range(1, rule.days))
    return all(context.pain_by_date.get(day, -1) >= rule.min_score for day in earlier)


def incision_symptoms(**flags: bool) -> tuple[str, ...]:
    """The symptom codes an incision check's booleans (pain, redness, ...) report."""
    return tuple(code for name, code in INCISION_SIGNS.items() if flags.get(name))


def triage(report: Report, context: PatientContext | None = None) -> TriageResult:
    """Level, reasons and advice for `report`. All firing rules give reasons; the most severe level wins."""
    context = context or PatientContext()
    reported = set(report.symptoms)
    fired: list[tuple[str, TriageLevel]] = []
    if has_fever(report.temperature, report.temperature_unit):
        fired.append((FEVER_RULE.reason, FEVER_RULE.level))
    for rule in SYMPTOM_RULES:
        fired.extend((code, rule.level) for code in rule.codes if code in reported)
    if pain_streak(report, context):
        fired.append((PAIN_STREAK_RULE.reason, PAIN_STREAK_RULE.level))

    reasons: list[tuple[str, TriageLevel]] = []
    for reason, level in fired:
        if reason not in (r for r, _ in reasons):
            reasons.append((reason, level))
    # Most severe first; rule order within a level (stable sort).
    reasons.sort(key=lambda item: -SEVERITY[item[1]])
    level = max((lvl for _, lvl in reasons), key=SEVERITY.__getitem__, default=ROUTINE)
    codes = tuple(reason for reason, _ in reasons)
    return TriageResult(level=TriageLevel(level), reasons=codes, advice=advice_for(level, codes))


def _listing(codes: Iterable[str]) -> str:
    words = [REASON_WORDS.get(code, code.replace("_", " ")) for code in codes]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def advice_for(level: str, reasons: tuple[str, ...]) -> str:
    """The text the patient reads with their triage answer."""
    if level == EMERGENCY:
        return (
            f"Call 911 now. You reported {_listing(reasons)}, which needs emergency care right away. "
            "Do not drive yourself. Your care team has also been alerted."
        )
    if level == URGENT:
        return (
            f"Your care team has been alerted: you reported {_listing(reasons)}. They will contact you soon, "
            "so keep your phone nearby. If you get worse, have trouble breathing or feel very unwell, call 911."
        )
    return (
        "Thank you, your report is saved and nothing in it needs your care team right now. "
        "Keep following your recovery plan. " + WHEN_TO_CALL
    )
