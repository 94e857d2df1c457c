"""Warning-sign triage: a pure function from a report and its patient context to a level, reasons and advice.

The rules are data, in two steps:

1. Sign rules turn what was measured or written into signs: a temperature above 100.0 °F is the sign
   `fever`, one at or below 95.0 °F is `low_temperature`, a pain score of 8 or more is `severe_pain`,
   three such days in a row `severe_pain_3_days` (escalated from the surgery day on), a warning report
   that holds only a note is `patient_note`. Reported symptom codes are signs as they are, and so are the
   signs a note names in the patient's own words, English or Spanish, not negated (recovery.note_signs:
   "I can't breathe", "no puedo respirar"; "no fever" is none).
2. Level rules fire when, for each of their groups, the report shows at least one sign of the group,
   the pump holds one of their drugs and the recovery day is in their range. A single-sign rule has one
   group (`fever`); a combination has several (fever + a new neurological deficit). A row marked
   `refill_missed` fires only while the pump is past its alarm date with no refill recorded
   (PatientContext.refill_missed): the day the refill safety net tells a baclofen patient to call the
   emergency number for the first signs of withdrawal.

Each row cites the line of the patient guide (shared/domain/patient-guide-intrathecal-pump.txt, "Guide
line N") or a named clinical source. Every rule that fires gives a reason (advice-only routine rows only
when nothing escalates); the most severe level wins; reasons read most severe first, in table order.
Combinations also read the signs of the patient's reports of the last RECENT_HOURS. Nothing here touches
the database: the services read the context (pump drug, recovery day, earlier pain and signs, whether a
refill was missed, emergency number) and store the result.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recovery.emergency_numbers import FALLBACK_EMERGENCY_NUMBER
from recovery.models import SEVERITY, TriageLevel
from recovery.note_signs import NotePhrases, note_phrase_rows

# Texts the patient reads are translated (locale/es): rendered in the active language, which the report
# services set to the patient's own.
Text = str | Promise

ROUTINE, URGENT, EMERGENCY = TriageLevel.ROUTINE, TriageLevel.URGENT, TriageLevel.EMERGENCY

GUIDE = "Guide"  # shared/domain/patient-guide-intrathecal-pump.txt, cited by line number

# Pump.Drug values; "" is a patient whose pump is not recorded.
OPIOID = frozenset({"morphine", "other_opioid"})
BACLOFEN = frozenset({"baclofen"})
OTHER_DRUG = frozenset({"other", ""})
ALL_DRUGS = OPIOID | BACLOFEN | OTHER_DRUG

# Named clinical sources the rows cite.
INFUMORPH_BOXED = (
    "Infumorph/Duramorph (preservative-free intrathecal morphine) FDA boxed warning: risk of severe, "
    "possibly delayed respiratory depression; sedation and confusion precede it"
)
LIORESAL_BOXED = (
    "Lioresal Intrathecal / Gablofen (intrathecal baclofen) FDA boxed warning on abrupt discontinuation: "
    "early signs are return of baseline spasticity, pruritus (itching), hypotension and paresthesias; it "
    "progresses to high fever, altered mental status, rigidity, rhabdomyolysis, organ failure and death; "
    "prevention needs attention to refill scheduling and pump alarms"
)
LIORESAL_OVERDOSE = (
    "Lioresal Intrathecal prescribing information, Overdosage: drowsiness, somnolence, respiratory "
    "depression, seizures, loss of consciousness progressing to coma"
)
CATHETER_MASS = (
    "Infumorph prescribing information, Warnings, and FDA/Medtronic safety communication (2001) on "
    "inflammatory masses (granulomas) at the intrathecal catheter tip: new neurological signs can mean "
    "spinal cord compression and paralysis; needs emergency imaging"
)


@dataclass(frozen=True)
class TemperatureSign:
    """Gives `sign` when the measured temperature, converted exactly to °F, is above `above` or at or
    below `at_or_below` (exactly one of the two is set)."""

    sign: str
    source: str
    above: Decimal | None = None
    at_or_below: Decimal | None = None

    @property
    def key(self) -> str:
        return f"sign:{self.sign}"

    @property
    def above_fahrenheit(self) -> Decimal:  # the dashboard chart draws the fever line from it
        if self.above is None:
            raise ValueError(f"{self.sign} is not an above-a-threshold sign")
        return self.above

    def shows(self, fahrenheit: Decimal) -> bool:
        if self.above is not None:
            return fahrenheit > self.above
        return self.at_or_below is not None and fahrenheit <= self.at_or_below


@dataclass(frozen=True)
class PainSign:
    """Gives `sign` when the check-in's pain is >= `min_score` and so was the highest pain of each of the
    `days - 1` local days before it (days=1: this check-in alone)."""

    sign: str
    min_score: int
    days: int
    source: str

    @property
    def key(self) -> str:
        return f"sign:{self.sign}"


@dataclass(frozen=True)
class NoteOnlySign:
    """Gives `sign` when a warning report carries a note and no symptom code: free text a person must read."""

    sign: str
    source: str

    @property
    def key(self) -> str:
        return f"sign:{self.sign}"


@dataclass(frozen=True)
class Rule:
    """Gives `reason` at `level` when each group of `all_of` has a sign in the report, the pump's drug
    is one of `drugs`, the recovery day is at least `from_day` (when set), and, for a `refill_missed`
    row, the pump is past its alarm date with no refill recorded."""

    reason: str
    level: TriageLevel
    all_of: tuple[frozenset[str], ...]
    source: str
    drugs: frozenset[str] = ALL_DRUGS
    from_day: int | None = None
    refill_missed: bool = False

    @property
    def key(self) -> str:
        scope = "" if self.drugs == ALL_DRUGS else "[" + ",".join(sorted(d or "none" for d in self.drugs)) + "]"
        return f"{self.reason}{scope}"

    def fires(self, signs: set[str], drug: str, recovery_day: int | None, recent: frozenset[str] = frozenset(),
              *, refill_missed: bool = False) -> bool:
        """A combination also counts the signs of the patient's recent reports (`recent`), as long as
        this report shows one of its signs: fever measured this morning and a stiff neck reported now
        are one picture. A single-sign row reads this report only."""
        if drug not in self.drugs:
            return False
        if self.refill_missed and not refill_missed:
            return False
        if self.from_day is not None and (recovery_day is None or recovery_day < self.from_day):
            return False
        if len(self.all_of) > 1:
            seen = signs | recent
            return all(group & seen for group in self.all_of) and any(group & signs for group in self.all_of)
        return all(group & signs for group in self.all_of)


def symptom(code: str, level: TriageLevel, source: str, drugs: frozenset[str] = ALL_DRUGS) -> Rule:
    """A row that fires on one reported sign and gives it as the reason."""
    return Rule(code, level, (frozenset({code}),), source, drugs)


def one_of(*signs: str) -> frozenset[str]:
    return frozenset(signs)


FEVER_RULE = TemperatureSign(
    "fever",
    f'{GUIDE} line 173: "A fever of more than 100.0°F." Strictly above: 100.0 °F is not a fever, '
    "37.8 °C (100.04 °F) is, 37.7 °C (99.86 °F) is not.",
    above=Decimal("100.0"),
)
LOW_TEMPERATURE_RULE = TemperatureSign(
    "low_temperature",
    "Hypothermia is a body temperature of 35.0 °C (95.0 °F) or less (Merck Manual Professional, "
    "Hypothermia); it is a listed sign of baclofen overdose (Leung, Whyte, Isbister, Emerg Med Australas "
    "2006;18:77-82, 'Baclofen overdose: defining the spectrum of toxicity') and, with infection, of sepsis "
    "(SIRS criteria, temperature < 36 °C: Bone et al., Chest 1992;101:1644). At or below: 95.0 °F and "
    "35.0 °C are low, 95.1 °F and 35.1 °C are not.",
    at_or_below=Decimal("95.0"),
)
TEMPERATURE_SIGNS: tuple[TemperatureSign, ...] = (FEVER_RULE, LOW_TEMPERATURE_RULE)

# Readings a home thermometer gives for a living person; anything outside is a typing mistake (the API
# answers 400). One range in °F, so °C readings get exactly the same limits: 32.5-43.5 °C.
PLAUSIBLE_FAHRENHEIT = (Decimal("90.5"), Decimal("110.3"))

SEVERE_PAIN_RULE = PainSign(
    "severe_pain", 8, 1,
    f'{GUIDE} line 179: "Severe pain that does not respond to medicine." A score of 8 or more is severe '
    "pain on the 0-10 numeric rating scale; the patient is told what to do about it, never that nothing "
    "needs attention.",
)
PAIN_STREAK_RULE = PainSign(
    "severe_pain_3_days", 8, 3,
    f'{GUIDE} lines 169 and 179: "When to call your doctor about post-op problems" / "Severe pain that does '
    'not respond to medicine." Pain of 8 or more (severe on the 0-10 numeric rating scale) on three consecutive '
    "daily check-ins is pain the medicine is not controlling.",
)
PAIN_SIGNS: tuple[PainSign, ...] = (SEVERE_PAIN_RULE, PAIN_STREAK_RULE)

NOTE_ONLY_RULE = NoteOnlySign(
    "patient_note",
    f'{GUIDE} lines 155 and 169-171: "When to call your doctor or 911 if you have certain symptoms." / "You '
    'should let your surgeon know if you have: ..." A warning report in the patient\'s own words cannot be '
    "triaged by machine, so a person on the care team reads it.",
)

# Guide line 175, "Difficulty walking or keeping your balance.", is one sign; the app reports it as either
# code, and a combination that cites the line reads both.
WALKING_OR_BALANCE = one_of("difficulty_walking", "balance_problems")

# A new neurological deficit (Guide lines 73, 175, 177).
NEURO_DEFICIT = one_of("limb_weakness", "limb_numbness", "bowel_bladder_changes") | WALKING_OR_BALANCE

# Signs of intrathecal baclofen withdrawal (LIORESAL_BOXED): the early ones (return of spasticity, itching,
# paresthesias: tingling) and those of its progression (fever, altered mental status: confusion; seizures).
# They include every sign the refill safety net's alarm-date message (services.refill_safety_net.
# REFILL_ADVICE) tells the patient to call the emergency number for. A pump alarm is not among them: on the
# alarm date it is the expected low-reservoir alarm, which the safety net has already raised.
BACLOFEN_WITHDRAWAL_SIGNS = one_of(
    "itching", "increased_spasticity", "limb_tingling", "fever", "confusion", "seizure", "withdrawal_signs",
)

# Why the pain rows reported as symptoms stay on every day, before surgery too (a pain score does not: row
# severe_pain_3_days starts on the surgery day).
LIMB_PAIN_EVERY_DAY = (
    " On every day, before surgery too: nerve pain is among what the pump treats (line 37), but limb_pain is "
    "the patient reporting a warning sign, not a daily score, and a person on the care team reads it."
)
INCISION_PAIN_EVERY_DAY = (
    " On every day, before surgery too: a patient may already have an incision from a trial with a temporary "
    'pump (line 94: "a surgical procedure to implant a temporary intrathecal drug pump").'
)

# Level rules. Combinations first, so that their reason leads the list of its level.
RULES: tuple[Rule, ...] = (
    # --- combinations -----------------------------------------------------------------------
    Rule(
        "fever_with_neuro_deficit", EMERGENCY, (one_of("fever"), NEURO_DEFICIT),
        f"{GUIDE} lines 69, 173, 175, 177 (infection; fever; difficulty walking or keeping your balance; weakness "
        "or numbness). "
        "Fever with a new neurological deficit is the presentation of a spinal epidural abscess, a surgical "
        "emergency (Darouiche, N Engl J Med 2006;355:2012-2020, 'Spinal epidural abscess').",
    ),
    Rule(
        "fever_with_meningeal_signs", EMERGENCY, (one_of("fever"), one_of("headache_upright", "stiff_neck")),
        f"{GUIDE} lines 69, 71, 173 (infection; CSF leak; fever). Fever with headache or a stiff neck in a "
        "patient with an intrathecal catheter is meningitis until proven otherwise (IDSA 2017 guidelines for "
        "healthcare-associated ventriculitis and meningitis, Tunkel et al., Clin Infect Dis 2017;64:e34).",
    ),
    Rule(
        "cord_compression_signs", EMERGENCY, (one_of("limb_weakness", "limb_numbness"), WALKING_OR_BALANCE),
        f"{GUIDE} lines 73, 175, 177 (nerve damage; difficulty walking or keeping your balance; weakness or "
        f"numbness). {CATHETER_MASS}.",
    ),
    Rule(
        "severe_pain_with_red_flags", EMERGENCY,
        (one_of("severe_pain", "severe_pain_uncontrolled"),
         one_of("fever", "limb_weakness", "limb_numbness") | WALKING_OR_BALANCE),
        f'{GUIDE} lines 179, 173, 175, 177 ("Severe pain that does not respond to medicine"; fever; difficulty '
        "walking or keeping your balance; numbness or weakness). Severe pain with a fever or a new neurological "
        "deficit is the presentation of a spinal epidural abscess (Darouiche, N Engl J Med 2006;355:2012-2020) "
        f"or of a mass at the catheter tip pressing on the cord ({CATHETER_MASS}). The severe-pain advice "
        '(REASON_ADVICE["severe_pain"]) tells the patient to call the emergency number for it, so the care '
        "team's case is an emergency too. On every day, as that advice: a trial catheter comes before surgery "
        "(line 94).",
    ),
    Rule(
        "baclofen_withdrawal", EMERGENCY,
        (one_of("pump_alarm", "increased_spasticity", "itching", "limb_tingling"), one_of("fever", "confusion")),
        f"{GUIDE} lines 72 and 80 (medicine withdrawal). {LIORESAL_BOXED}: an early sign (paresthesias are "
        "limb_tingling) with fever or confusion is withdrawal progressing.",
        drugs=BACLOFEN,
    ),
    Rule(
        "severe_pain_after_recovery", URGENT, (one_of("severe_pain"),),
        f'{GUIDE} lines 161, 74, 76: "Most people recover ... in six to eight weeks." / "No improvement or a '
        'return of symptoms." / "Problems with the pump or catheter." Severe pain (8+) in an opioid pump patient '
        "after day 56 is not healing pain: the pump or catheter may not be delivering.",
        drugs=OPIOID, from_day=57,
    ),
    # --- while a refill is missed (PatientContext.refill_missed) ----------------------------------
    Rule(
        "baclofen_withdrawal_refill_missed", EMERGENCY, (BACLOFEN_WITHDRAWAL_SIGNS,),
        f'{GUIDE} line 84: "Have your medicine refilled regularly and on time"; lines 72 and 80 (medicine '
        f"withdrawal). {LIORESAL_BOXED}. Once the pump is past its low-reservoir alarm date with no refill "
        "recorded, delivery may be stopping: any early sign is withdrawal starting, not waiting for fever or "
        "confusion (row baclofen_withdrawal), and the refill safety net has told the patient to call the "
        "emergency number for it. Opioid pumps get no such row: the safety net keeps their alarm date "
        "urgent, and withdrawal_signs is an emergency for every pump.",
        drugs=BACLOFEN, refill_missed=True,
    ),
    # --- emergency signs ----------------------------------------------------------------------
    symptom("difficulty_breathing", EMERGENCY,
            f'{GUIDE} line 174: "Difficulty breathing." Emergency because trouble breathing after an intrathecal '
            f"opioid is the sign of respiratory depression ({INFUMORPH_BOXED})."),
    symptom("shortness_of_breath", EMERGENCY,
            f'{GUIDE} line 176: "New or increasing shortness of breath." (blood clot to the lung, respiratory '
            'depression; line 70: "Blood clots.")'),
    symptom("chest_pain", EMERGENCY,
            f'{GUIDE} line 70: "Blood clots." Chest pain after surgery can be a clot that reached the lung '
            "(pulmonary embolism) or a heart attack: call the emergency number (American Heart Association, "
            "warning signs of heart attack; NICE NG158 venous thromboembolic diseases). On every day, before "
            "surgery too: a heart attack does not wait for the operation."),
    symptom("overdose_signs", EMERGENCY,
            f'{GUIDE} lines 72 and 80: "Medicine withdrawal or overdose." / "increase your risk of medicine '
            f'overdose or withdrawal." ({INFUMORPH_BOXED}; {LIORESAL_OVERDOSE}).'),
    symptom("withdrawal_signs", EMERGENCY,
            f'{GUIDE} lines 72 and 80: "Medicine withdrawal or overdose." ({LIORESAL_BOXED}).'),
    symptom("seizure", EMERGENCY,
            f'{GUIDE} line 72: "Medicine withdrawal or overdose." Seizures are a sign of intrathecal baclofen '
            f"overdose and of its withdrawal ({LIORESAL_OVERDOSE}; {LIORESAL_BOXED}), of high-dose intrathecal "
            "morphine (Infumorph prescribing information: myoclonic events, seizures) and of meningitis."),
    symptom("bowel_bladder_changes", EMERGENCY,
            f'{GUIDE} line 73: "Nerve damage." New bowel or bladder problems are a red flag of spinal cord or '
            f"cauda equina compression (NICE CKS, suspected cauda equina syndrome: immediate referral; "
            f"{CATHETER_MASS})."),
    symptom("confusion", EMERGENCY,
            f'{GUIDE} line 72: "Medicine withdrawal or overdose." Confusion with an opioid pump precedes '
            f"respiratory depression ({INFUMORPH_BOXED}).", OPIOID),
    symptom("confusion", EMERGENCY,
            f'{GUIDE} line 72: "Medicine withdrawal or overdose." Altered mental status is baclofen withdrawal '
            f"({LIORESAL_BOXED}) or overdose ({LIORESAL_OVERDOSE}).", BACLOFEN),
    symptom("confusion", EMERGENCY,
            f'{GUIDE} lines 72 and 69: "Medicine withdrawal or overdose." / "infection": new confusion is a '
            "medicine effect or an infection reaching the spinal fluid until a clinician sees the patient.",
            OTHER_DRUG),
    symptom("extreme_drowsiness", EMERGENCY,
            f'{GUIDE} line 72: "Medicine withdrawal or overdose." Extreme drowsiness with an opioid pump is '
            f"opioid overdose and comes before breathing stops ({INFUMORPH_BOXED}).", OPIOID),
    symptom("extreme_drowsiness", EMERGENCY,
            f'{GUIDE} line 72: "Medicine withdrawal or overdose." Drowsiness and somnolence progressing to coma '
            f"are baclofen overdose ({LIORESAL_OVERDOSE}).", BACLOFEN),
    symptom("extreme_drowsiness", EMERGENCY,
            f'{GUIDE} line 72: "Medicine withdrawal or overdose." Extreme drowsiness is a sign of overdose of '
            "any centrally acting intrathecal drug (e.g. ziconotide, Prialt boxed warning: decreased alertness).",
            OTHER_DRUG),
    # --- urgent signs -------------------------------------------------------------------------
    symptom("fever", URGENT, f'{GUIDE} line 173: "A fever of more than 100.0°F." (reported or measured)'),
    symptom("low_temperature", URGENT, LOW_TEMPERATURE_RULE.source),
    symptom("difficulty_walking", URGENT, f'{GUIDE} line 175: "Difficulty walking or keeping your balance."'),
    symptom("balance_problems", URGENT, f'{GUIDE} line 175: "Difficulty walking or keeping your balance."'),
    *(
        symptom(code, URGENT, f'{GUIDE} line 177: "Numbness, tingling, pain, or weakness in your arms or legs."'
                + LIMB_PAIN_EVERY_DAY * (code == "limb_pain"))
        for code in ("limb_numbness", "limb_tingling", "limb_pain", "limb_weakness")
    ),
    *(
        symptom(code, URGENT,
                f'{GUIDE} line 178: "Pain, redness, bleeding, drainage, or increased swelling at your incision site."'
                + INCISION_PAIN_EVERY_DAY * (code == "incision_pain"))
        for code in ("incision_pain", "incision_redness", "incision_bleeding", "incision_drainage",
                     "incision_swelling")
    ),
    symptom("severe_pain_uncontrolled", URGENT,
            f'{GUIDE} line 179: "Severe pain that does not respond to medicine." On every day, before surgery '
            "too: unlike a pain score, this is the patient asking for help in a warning report (what the "
            "severe_pain advice tells them to send when their medicine does not help), so a person reads it."),
    Rule(
        "severe_pain_3_days", URGENT, (one_of("severe_pain_3_days"),),
        f"{PAIN_STREAK_RULE.source} From the surgery day only (from_day 0): the line is one of the post-op "
        'problems (line 169), and before surgery severe chronic pain is why the patient gets the pump (line 48: '
        '"You may be a candidate ... if you have severe chronic pain or spasticity"; line 44: "your pain is not '
        'relieved with other medicines"), not a change to escalate.',
        from_day=0,
    ),
    symptom("headache_upright", URGENT,
            f'{GUIDE} line 71: "Cerebrospinal fluid (CSF) leak." A headache that comes on when upright and eases '
            "lying down is the hallmark of a CSF leak (ICHD-3 7.2.1, post-dural puncture headache)."),
    symptom("stiff_neck", URGENT,
            f'{GUIDE} lines 69 and 71: "infection" / "Cerebrospinal fluid (CSF) leak." Neck stiffness with an '
            "intrathecal catheter can be the first sign of meningitis (IDSA 2017 healthcare-associated "
            "meningitis guidelines); with fever it is an emergency (row fever_with_meningeal_signs)."),
    symptom("pump_alarm", URGENT,
            f'{GUIDE} lines 76 and 86: "Problems with the pump or catheter." / "Monitor your pump to make sure it '
            'is working properly." A sounding alarm means a low reservoir or a fault (Medtronic SynchroMed II '
            "patient manual: call your clinician).", OPIOID | OTHER_DRUG),
    symptom("pump_alarm", URGENT,
            f'{GUIDE} lines 76, 84, 86 (pump problems; refill on time; monitor the pump). {LIORESAL_BOXED}: a '
            "pump alarm can be the start of withdrawal; with fever or confusion it is an emergency.", BACLOFEN),
    symptom("increased_spasticity", URGENT,
            f'{GUIDE} lines 7, 38, 74: spasticity is what the pump treats; "No improvement or a return of '
            'symptoms."', OPIOID | OTHER_DRUG),
    symptom("increased_spasticity", URGENT,
            f"{GUIDE} lines 72 and 74 (withdrawal; return of symptoms). {LIORESAL_BOXED}: return of baseline "
            "spasticity is an early withdrawal sign.", BACLOFEN),
    symptom("itching", URGENT,
            f'{GUIDE} line 72: "Medicine withdrawal or overdose." Itching is a dose-related effect of intrathecal '
            "morphine (Infumorph prescribing information, Adverse Reactions: pruritus) the care team may need "
            "to treat, or an allergic or wound reaction.", OPIOID | OTHER_DRUG),
    symptom("itching", URGENT,
            f"{GUIDE} line 72 (withdrawal). {LIORESAL_BOXED}: pruritus (itching) is an early withdrawal sign.",
            BACLOFEN),
    symptom("patient_note", URGENT, NOTE_ONLY_RULE.source),
    # --- advice only --------------------------------------------------------------------------
    Rule(
        "severe_pain", ROUTINE, (one_of("severe_pain"),),
        f"{SEVERE_PAIN_RULE.source} On every day, before surgery too: it escalates nothing (advice only), and "
        "the advice (take the medicine as prescribed, tell the care team if it does not help) holds before "
        "surgery as after it.",
    ),
)

ALL_RULES: tuple[TemperatureSign | PainSign | NoteOnlySign | Rule, ...] = (
    *TEMPERATURE_SIGNS, *PAIN_SIGNS, NOTE_ONLY_RULE, *RULES,
)

# The symptom codes of shared/API.md, in its order: what a phone may send.
SYMPTOM_CODES: tuple[str, ...] = (
    "fever", "difficulty_breathing", "shortness_of_breath", "difficulty_walking", "balance_problems",
    "limb_numbness", "limb_tingling", "limb_weakness", "limb_pain", "incision_pain", "incision_redness",
    "incision_bleeding", "incision_drainage", "incision_swelling", "severe_pain_uncontrolled", "headache_upright",
    "withdrawal_signs", "overdose_signs", "pump_alarm", "chest_pain", "confusion", "extreme_drowsiness", "seizure",
    "increased_spasticity", "itching", "bowel_bladder_changes", "stiff_neck",
)

# Earlier reports whose signs combinations read: one illness episode, e.g. a fever measured at breakfast
# and a stiff neck reported in the afternoon (a design choice: the guide gives no window).
RECENT_HOURS = 24

# How many local days of earlier check-ins the service must pass in `PatientContext`.
CONTEXT_DAYS = max(rule.days for rule in PAIN_SIGNS) - 1

# Incision-check booleans and the symptom code each one reports.
INCISION_SIGNS: dict[str, str] = {
    "pain": "incision_pain",
    "redness": "incision_redness",
    "bleeding": "incision_bleeding",
    "drainage": "incision_drainage",
    "swelling": "incision_swelling",
}

# Plain words for each reason, used in the advice text the patient reads and on the dashboard.
REASON_WORDS: dict[str, Text] = {
    "fever": _("a fever over 100.0°F (37.8°C or more)"),
    "low_temperature": _("a low body temperature (95.0°F / 35.0°C or less)"),
    "difficulty_breathing": _("trouble breathing"),
    "shortness_of_breath": _("shortness of breath"),
    "chest_pain": _("chest pain"),
    "difficulty_walking": _("difficulty walking"),
    "balance_problems": _("trouble keeping your balance"),
    "limb_numbness": _("numbness in your arms or legs"),
    "limb_tingling": _("tingling in your arms or legs"),
    "limb_weakness": _("weakness in your arms or legs"),
    "limb_pain": _("pain in your arms or legs"),
    "incision_pain": _("pain at an incision"),
    "incision_redness": _("redness at an incision"),
    "incision_bleeding": _("bleeding at an incision"),
    "incision_drainage": _("drainage from an incision"),
    "incision_swelling": _("swelling at an incision"),
    "severe_pain_uncontrolled": _("severe pain that your medicine does not relieve"),
    "headache_upright": _("a headache when you sit or stand up"),
    "stiff_neck": _("a stiff neck"),
    "withdrawal_signs": _("signs of medicine withdrawal"),
    "overdose_signs": _("signs of a medicine overdose"),
    "pump_alarm": _("a pump alarm"),
    "confusion": _("confusion"),
    "extreme_drowsiness": _("extreme drowsiness"),
    "seizure": _("a seizure"),
    "increased_spasticity": _("more muscle stiffness (spasticity)"),
    "itching": _("itching"),
    "bowel_bladder_changes": _("new bowel or bladder problems"),
    "severe_pain": _("severe pain (8 or more out of 10)"),
    "severe_pain_3_days": _("pain of 8 or more for three days in a row"),
    "severe_pain_after_recovery": _("severe pain after the usual recovery time"),
    "patient_note": _("a note in your own words"),
    "fever_with_neuro_deficit": _(
        "a fever together with weakness, numbness, trouble walking or keeping your balance, or bowel or bladder "
        "problems"
    ),
    "fever_with_meningeal_signs": _("a fever together with a headache or a stiff neck"),
    "cord_compression_signs": _("weakness or numbness together with trouble walking or keeping your balance"),
    "severe_pain_with_red_flags": _(
        "severe pain together with a fever, weakness, numbness or trouble walking or keeping your balance"
    ),
    "baclofen_withdrawal": _("signs that your baclofen may not be reaching you"),
    "baclofen_withdrawal_refill_missed": _(
        "possible signs of baclofen withdrawal while your pump is running low and no refill is recorded"
    ),
}

# What the patient should do, added to the advice when the reason is among those found.
REASON_ADVICE: dict[str, Text] = {
    "severe_pain": _(
        "Your pain is severe. Take your pain medicine exactly as prescribed and rest. If the pain does not ease "
        "with your medicine, tell your care team now: send a warning report of severe pain that your medicine "
        "does not relieve, or call your surgeon. If severe pain comes with weakness, numbness, trouble walking, "
        "a fever or trouble breathing, call %(number)s now."
    ),
    "low_temperature": _(
        "Warm up with blankets and a warm drink if you can swallow safely, and take your temperature again in "
        "30 minutes. If you are also very drowsy, confused or short of breath, call %(number)s now."
    ),
    "patient_note": _("A person on your care team will read your note."),
}

NOTE_NOT_READ_NOW = _(
    "Notes are not read straight away: if your note is about a new problem, send a warning report or call "
    "your surgeon."
)


# The pairs of signs the combination rows make emergencies, each sign of which the when-to-call text also lists
# for the surgeon on its own: named for the emergency number so the two lists do not contradict the rows.
EMERGENCY_PAIRS = _(
    "Call %(number)s now, too, if a fever or severe pain comes with weakness, numbness or trouble walking or keeping "
    "your balance; if a fever comes with severe pain, a stiff neck or a headache when you sit or stand up; or if "
    "weakness or numbness comes with trouble walking or keeping your balance."
)


# baclofen_withdrawal's pair, for a baclofen pump: its early signs are listed for the surgeon one by one.
BACLOFEN_PAIRS = _(
    "With your baclofen pump, call %(number)s now if itching, tingling, more muscle stiffness or a pump alarm comes "
    "with a fever or confusion."
)


def when_to_call(number: str, *, baclofen: bool = False, baclofen_running_out: bool = False) -> str:
    """When to call the surgeon and when the emergency number, in the active (the patient's) language. A
    baclofen pump past its alarm date with no refill: itching, stiffness, tingling and fever are early
    withdrawal, for the emergency number (as the refill safety net's message says), not for the surgeon.
    Either way the pairs the combination rows make emergencies go to the emergency number (EMERGENCY_PAIRS,
    and BACLOFEN_PAIRS for a baclofen pump)."""
    values = {"number": number}
    pairs = [str(EMERGENCY_PAIRS) % values]
    if baclofen and not baclofen_running_out:  # running out, each of those signs alone is for the emergency number
        pairs.append(str(BACLOFEN_PAIRS) % values)
    return " ".join([_single_signs(number, baclofen_running_out=baclofen_running_out), *pairs])


def _single_signs(number: str, *, baclofen_running_out: bool) -> str:
    if baclofen_running_out:
        return gettext(
            "Call %(number)s now if you get itching, more muscle stiffness, tingling, a fever or confusion: with "
            "your baclofen pump running low these can be the start of withdrawal. Also call %(number)s for "
            "trouble breathing, shortness of breath, chest pain, a seizure, extreme drowsiness, new bowel or "
            "bladder problems, or signs of an overdose. Call your surgeon if you get a temperature of 95.0°F "
            "(35.0°C) or less; trouble walking or keeping your balance; numbness, pain or weakness in your arms "
            "or legs; pain, redness, bleeding, drainage or more swelling at an incision; a headache when you sit "
            "or stand up; a stiff neck; severe pain your medicine does not relieve; or a pump alarm."
        ) % {"number": number}
    return gettext(
        "Call your surgeon if you get a fever over 100.0°F (37.8°C or more) or a temperature of 95.0°F (35.0°C) or "
        "less; trouble walking or keeping your balance; numbness, tingling, pain or weakness in your arms or legs; "
        "pain, redness, bleeding, drainage or more swelling at an incision; a headache when you sit or stand "
        "up; a stiff neck; more muscle stiffness; itching; severe pain your medicine does not relieve; or a pump "
        "alarm. Call %(number)s for trouble breathing, shortness of breath, chest pain, a seizure, confusion, "
        "extreme drowsiness, new bowel or bladder problems, or signs of an overdose or withdrawal."
    ) % {"number": number}


@dataclass(frozen=True)
class Report:
    """What a phone reported, reduced to what triage reads."""

    symptoms: tuple[str, ...] = ()
    temperature: Decimal | None = None
    temperature_unit: str = "F"
    pain_score: int | None = None  # only daily check-ins carry one
    local_date: date | None = None
    note: str = ""
    kind: str = "checkin"  # "checkin", "incision_check" or "warning_report"

    @cached_property
    def note_rows(self) -> tuple[NotePhrases, ...]:
        """The phrase rows the note holds (recovery.note_signs), read once per report: the context's checks
        (reads_recent_signs, reads_refill_state) and triage itself each ask for the report's signs."""
        return note_phrase_rows(self.note)


@dataclass(frozen=True)
class PatientContext:
    """What triage needs to know beyond the report.

    `drug` is the pump's Pump.Drug value ("" when unknown), `recovery_day` that of the report's local
    date, `pain_by_date` the highest pain score of each earlier local day, `recent_signs` the signs of the
    patient's reports of the last RECENT_HOURS (combinations read them), `refill_missed` whether the pump
    is past its alarm date (in the patient's local date) with no refill recorded since, or has an open
    alarm-date alert of the refill safety net (`refill_missed` rows read it; looked up only when the report
    shows a sign such a row reads, reads_refill_state), `refill_alarm_passed` whether the pump's own dates
    say so (no query: read for every report, so that no answer says nothing needs the care team while a
    refill is overdue), `emergency_number` the number the advice names.
    """

    drug: str = ""
    recovery_day: int | None = None
    pain_by_date: Mapping[date, int] = field(default_factory=dict)
    recent_signs: frozenset[str] = frozenset()
    refill_missed: bool = False
    refill_alarm_passed: bool = False
    emergency_number: str = FALLBACK_EMERGENCY_NUMBER


@dataclass(frozen=True)
class TriageResult:
    level: TriageLevel
    reasons: tuple[str, ...]
    advice: str
    fired: tuple[TemperatureSign | PainSign | NoteOnlySign | NotePhrases | Rule, ...] = ()  # rows that fired

    @property
    def escalates(self) -> bool:
        return self.level != ROUTINE


def to_fahrenheit(value: Decimal, unit: str) -> Decimal:
    """Exact conversion (Decimal arithmetic, no binary floating point): 37.8 C -> 100.04 F."""
    value = Decimal(value)
    if unit == "C":
        return value * Decimal(9) / Decimal(5) + Decimal(32)
    return value


def is_plausible_temperature(value: Decimal, unit: str) -> bool:
    low, high = PLAUSIBLE_FAHRENHEIT
    return low <= to_fahrenheit(value, unit) <= high


def plausible_range(unit: str) -> tuple[Decimal, Decimal]:
    """The plausible limits in `unit` ("F" or "C"), exact to the tenth."""
    low, high = PLAUSIBLE_FAHRENHEIT
    if unit == "C":
        return tuple((limit - 32) * 5 / 9 for limit in (low, high))  # type: ignore[return-value]
    return low, high


def pain_sign(report: Report, context: PatientContext, rule: PainSign) -> bool:
    """True when the report's pain and each of the `rule.days - 1` local days before it reach the threshold."""
    if report.pain_score is None or report.pain_score < rule.min_score:
        return False
    if rule.days == 1:
        return True
    if report.local_date is None:
        return False
    earlier = (report.local_date - timedelta(days=back) for back in range(1, rule.days))
    return all(context.pain_by_date.get(day, -1) >= rule.min_score for day in earlier)


def incision_symptoms(**flags: bool) -> tuple[str, ...]:
    """The symptom codes an incision check's booleans (pain, redness, ...) report."""
    return tuple(code for name, code in INCISION_SIGNS.items() if flags.get(name))


def reads_recent_signs(report: Report) -> bool:
    """Whether a combination could use earlier reports' signs: the report shows a sign of one. A report
    without one (the common routine check-in) needs no look at earlier reports."""
    signs = reported_signs(report)
    return any(group & signs for rule in RULES if len(rule.all_of) > 1 for group in rule.all_of)


def reads_pain_history(report: Report) -> bool:
    """Whether a pain row of more than one day could fire: the report's pain reaches its threshold. Below every
    such threshold (the common routine check-in), and for a report without a pain score, the earlier days'
    pain is never read, so the context needs no query for it."""
    return report.pain_score is not None and report.local_date is not None and any(
        rule.days > 1 and report.pain_score >= rule.min_score for rule in PAIN_SIGNS)


def reads_refill_state(report: Report, drug: str) -> bool:
    """Whether a `refill_missed` row could fire for this report and pump drug: only then does the
    context need more than the pump's dates (the safety net's open alerts)."""
    signs = reported_signs(report)
    return any(rule.refill_missed and drug in rule.drugs and all(group & signs for group in rule.all_of)
               for rule in RULES)


def reported_signs(report: Report) -> frozenset[str]:
    """The signs a report shows by itself (symptom codes, measured temperature and a severe pain score), for
    its own and later reports' combinations (PatientContext.recent_signs): a pain of 9 this morning and a fever
    now are one picture (severe_pain_with_red_flags). A streak of days is read from the pain history instead."""
    signs, _ = _signs(report, PatientContext())
    not_reported = {rule.sign for rule in PAIN_SIGNS if rule.days > 1} | {NOTE_ONLY_RULE.sign}
    return frozenset(signs - not_reported)


SignRow = TemperatureSign | PainSign | NoteOnlySign | NotePhrases


def _signs(report: Report, context: PatientContext) -> tuple[set[str], list[SignRow]]:
    signs = set(report.symptoms)
    fired: list[SignRow] = list(report.note_rows)
    if report.temperature is not None:
        fahrenheit = to_fahrenheit(report.temperature, report.temperature_unit)
        fired.extend(rule for rule in TEMPERATURE_SIGNS if rule.shows(fahrenheit))
    fired.extend(rule for rule in PAIN_SIGNS if pain_sign(report, context, rule))
    if report.kind == "warning_report" and not report.symptoms and report.note.strip():
        fired.append(NOTE_ONLY_RULE)
    signs.update(rule.sign for rule in fired)
    return signs, fired


def triage(report: Report, context: PatientContext | None = None) -> TriageResult:
    """Level, reasons and advice for `report`. All firing rules give reasons; the most severe level wins."""
    context = context or PatientContext()
    signs, sign_rules = _signs(report, context)
    fired = [rule for rule in RULES if rule.fires(signs, context.drug, context.recovery_day, context.recent_signs,
                                                  refill_missed=context.refill_missed)]

    levels: dict[str, TriageLevel] = {}
    for rule in fired:
        if rule.reason not in levels or SEVERITY[rule.level] > SEVERITY[levels[rule.reason]]:
            levels[rule.reason] = rule.level
    # Most severe first; table order within a level (dicts keep insertion order, sorted() is stable).
    ordered = tuple(sorted(levels, key=lambda reason: -SEVERITY[levels[reason]]))
    level = max(levels.values(), key=SEVERITY.__getitem__, default=ROUTINE)
    # Advice-only (routine) reasons are given only when nothing escalates; their advice is always added.
    reasons = tuple(reason for reason in ordered if levels[reason] != ROUTINE) or ordered
    advice = advice_for(level, reasons, context.emergency_number, has_note=bool(report.note.strip()),
                        advice_reasons=ordered,
                        refill_overdue_drug=context.drug if context.refill_alarm_passed else "", drug=context.drug)
    return TriageResult(TriageLevel(level), reasons, advice, fired=(*sign_rules, *fired))


def _listing(codes: Iterable[str]) -> str:
    words = [str(REASON_WORDS.get(code, code.replace("_", " "))) for code in codes]
    if len(words) <= 1:
        return "".join(words)
    return gettext("%(first)s and %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def advice_for(level: str, reasons: tuple[str, ...], emergency_number: str = FALLBACK_EMERGENCY_NUMBER,
               *, has_note: bool = False, advice_reasons: tuple[str, ...] | None = None,
               refill_overdue_drug: str = "", drug: str = "") -> str:
    """The text the patient reads with their triage answer; it names their local emergency number.

    `reasons` are listed as what was reported; `advice_reasons` (default: the same) add what to do.
    `refill_overdue_drug`, the pump's drug while it is past its alarm date with no refill ("" otherwise): a
    routine answer then asks for the refill today instead of saying nothing needs the care team. `drug`, the
    pump's: a baclofen pump's answer names baclofen withdrawal's pair for the emergency number.
    """
    values = {"number": emergency_number}
    extra = " ".join(
        str(REASON_ADVICE[code]) % values for code in (advice_reasons or reasons) if code in REASON_ADVICE
    )
    if level == EMERGENCY:
        return gettext(
            "Call %(number)s now. You reported %(reasons)s, which needs emergency care right away. "
            "%(number)s is your local emergency number. Do not drive yourself. Your care team has also been alerted."
        ) % {**values, "reasons": _listing(reasons)}
    if level == URGENT:
        text = gettext(
            "Your care team has been alerted: you reported %(reasons)s. They will contact you soon, "
            "so keep your phone nearby. If you get worse, have trouble breathing or feel very unwell, call %(number)s."
        ) % {**values, "reasons": _listing(reasons)}
        return f"{text} {extra}".strip()
    calling = when_to_call(emergency_number, baclofen=drug in BACLOFEN,
                           baclofen_running_out=refill_overdue_drug in BACLOFEN)
    if refill_overdue_drug:
        parts = [gettext("Thank you, your report is saved."),
                 gettext("Your pump is past its refill alarm date and no refill is recorded: call your care team "
                         "today about the refill."),
                 extra, str(NOTE_NOT_READ_NOW) if has_note else "", calling]
        return " ".join(part for part in parts if part)
    if reasons or has_note:
        parts = [gettext("Thank you, your report is saved."), extra, str(NOTE_NOT_READ_NOW) if has_note else "",
                 calling]
        return " ".join(part for part in parts if part)
    return gettext(
        "Thank you, your report is saved and nothing in it needs your care team right now. "
        "Keep following your recovery plan."
    ) + " " + calling
