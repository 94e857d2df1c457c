"""The standard recovery plan after an intrathecal pump implant, as data.

Every milestone, restriction and phase quotes the line of the patient guide
(shared/domain/patient-guide-intrathecal-pump.txt, "the guide") it encodes. Where the guide
leaves a number to "your doctor", the day chosen is the usual one in published post-operative
instructions for pump implants and is named as such; a surgeon can change any patient's rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class MilestoneTemplate:
    key: str
    title: str
    day: int  # recovery day the milestone falls due (surgery day = 0)
    window_days: int  # days after `day` it still counts as "due" rather than "overdue"
    source: str


@dataclass(frozen=True)
class RestrictionTemplate:
    key: str
    title: str
    instructions: str
    starts_day: int
    ends_day: int | None  # inclusive; None = until the surgeon lifts it
    source: str


@dataclass(frozen=True)
class Phase:
    key: str
    title: str
    first_day: int
    last_day: int | None
    source: str


# Lifting limit used in the restriction text; surgeons commonly give 10 lb (about 4.5 kg).
DEFAULT_LIFT_LIMIT_LB = 10
# Abdominal binder period when prescribed. The guide: "If needed, how and when to wear an
# abdominal binder to protect your pump." Four weeks is the usual prescription while the pump
# pocket heals (Medtronic SynchroMed patient manual, post-implant care).
DEFAULT_BINDER_DAYS = 28
# "Most people recover from intrathecal drug pump implant surgery in six to eight weeks."
FULL_RECOVERY_DAYS = 56

MILESTONES: tuple[MilestoneTemplate, ...] = (
    MilestoneTemplate(
        "discharge", "Discharged home", 0, 1,
        'Guide: "you may need to stay overnight, or they may discharge you that day."',
    ),
    MilestoneTemplate(
        "incision_care", "Daily incision checks (back and abdomen)", 1, 13,
        'Guide: "How to care for your incisions and watch for signs of infection or complications."',
    ),
    MilestoneTemplate(
        "wound_check", "Wound check visit: stitches or staples out", 10, 4,
        "Guide: incisions in the back and abdomen; sutures/staples are usually removed at "
        "10-14 days (standard post-operative wound care).",
    ),
    MilestoneTemplate(
        "binder_period_end", "Abdominal binder period ends", DEFAULT_BINDER_DAYS, 3,
        'Guide: "If needed, how and when to wear an abdominal binder to protect your pump."',
    ),
    MilestoneTemplate(
        "physical_therapy_start", "Physical therapy starts", 14, 7,
        'Guide: "When or if you should begin physical therapy."',
    ),
    MilestoneTemplate(
        "return_to_normal_activity", "Return to normal activity", 42, FULL_RECOVERY_DAYS - 42,
        'Guide: "Most people recover from intrathecal drug pump implant surgery in six to eight weeks."',
    ),
)

RESTRICTIONS: tuple[RestrictionTemplate, ...] = (
    RestrictionTemplate(
        "no_bending_twisting", "No bending or twisting",
        "Keep your back straight: bend at the knees, do not twist at the waist. "
        "This lets the catheter settle in place.",
        0, 41,
        'Guide: "Which movements are safe and which movements to avoid."',
    ),
    RestrictionTemplate(
        "no_heavy_lifting", f"Do not lift more than {DEFAULT_LIFT_LIMIT_LB} lb",
        f"Do not lift anything heavier than {DEFAULT_LIFT_LIMIT_LB} lb (about 4.5 kg), "
        "such as a full laundry basket or a grocery bag.",
        0, 41,
        'Guide: "Which movements are safe and which movements to avoid."',
    ),
    RestrictionTemplate(
        "no_reaching_overhead", "No reaching above your head",
        "Do not reach above your shoulders or stretch your back.",
        0, 41,
        'Guide: "Which movements are safe and which movements to avoid."',
    ),
    RestrictionTemplate(
        "no_driving_on_opioids", "No driving while taking opioid pain medicine",
        "Someone else must drive you. Do not drive while you take opioid pain medicine.",
        0, 13,
        'Guide: "You will need someone to drive you home from the hospital"; opioids impair driving.',
    ),
    RestrictionTemplate(
        "no_submerging_incisions", "Do not soak your incisions",
        "No baths, pools or hot tubs until your incisions have healed. Short showers are fine "
        "if your care team allows them; pat the incisions dry.",
        0, 27,
        'Guide: "How to care for your incisions and watch for signs of infection."',
    ),
    RestrictionTemplate(
        "sleep_position", "Sleep on your back or on the side away from the pump",
        "Do not sleep on your stomach or on the pump side while the pump pocket heals.",
        0, 27,
        'Guide: "Implant the pump under the skin in your abdomen"; protects the pocket while it heals.',
    ),
    RestrictionTemplate(
        "wear_binder", "Wear your abdominal binder",
        "Wear the abdominal binder over the pump as your care team showed you, "
        "taking it off only to shower.",
        0, DEFAULT_BINDER_DAYS - 1,
        'Guide: "If needed, how and when to wear an abdominal binder to protect your pump."',
    ),
)

PHASES: tuple[Phase, ...] = (
    Phase("surgery", "Surgery day", 0, 0, 'Guide: "surgery typically takes about two hours."'),
    Phase("early_healing", "Early healing", 1, 13,
          'Guide: "How to care for your incisions and watch for signs of infection."'),
    Phase("rehabilitation", "Rehabilitation", 14, 41, 'Guide: "When or if you should begin physical therapy."'),
    Phase("return_to_activity", "Return to normal activity", 42, FULL_RECOVERY_DAYS,
          'Guide: "Most people recover ... in six to eight weeks."'),
    Phase("recovered", "Recovered", FULL_RECOVERY_DAYS + 1, None,
          'Guide: "Most people can live full and active lives after ... surgery."'),
)


def phase_for_day(recovery_day: int) -> Phase:
    """The phase a recovery day falls in (PHASES are in day order; days before surgery count as day 0)."""
    day = max(recovery_day, 0)
    return next(phase for phase in PHASES if phase.last_day is None or day <= phase.last_day)


def day_to_date(surgery_date: date, day: int) -> date:
    return surgery_date + timedelta(days=day)
