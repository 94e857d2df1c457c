"""The standard recovery plan after an intrathecal pump implant, as data.

Every milestone, restriction and phase quotes the line of the patient guide
(shared/domain/patient-guide-intrathecal-pump.txt, "the guide") it encodes. Where the guide
leaves a number to "your doctor", the day chosen is the usual one in published post-operative
instructions for pump implants and is named as such; a surgeon can change any patient's rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# Titles and instructions are lazy translations: each is rendered in the patient's own language
# (English or Spanish, locale/es/LC_MESSAGES/django.po) when the patient's app asks for it.
Text = str | Promise


def _with_values(message: str, **values: object) -> Text:
    """A lazy translation with %(name)s placeholders filled in after it is translated."""
    return lazy(lambda: gettext(message) % values, str)()


class DoneBy:
    """Who ticks a milestone off: the patient from the app, or the care team on the dashboard."""

    PATIENT = "patient"
    CLINIC = "clinic"


@dataclass(frozen=True)
class MilestoneTemplate:
    key: str
    title: Text
    day: int  # recovery day the milestone falls due (surgery day = 0; negative = before surgery)
    window_days: int  # days after `day` it still counts as "due" rather than "overdue"
    source: str
    done_by: str = DoneBy.CLINIC


@dataclass(frozen=True)
class RestrictionTemplate:
    key: str
    title: Text
    instructions: Text
    starts_day: int
    ends_day: int | None  # inclusive; None = until the surgeon lifts it
    source: str


@dataclass(frozen=True)
class Phase:
    key: str
    title: Text
    first_day: int | None  # None: every day before `last_day`
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

# Guide lines are those of shared/domain/patient-guide-intrathecal-pump.txt.
MILESTONES: tuple[MilestoneTemplate, ...] = (
    MilestoneTemplate(
        "discharge", _("Discharged home"), 0, 1,
        'Guide line 147: "you may need to stay overnight, or they may discharge you that day."',
    ),
    MilestoneTemplate(
        "incision_care", _("Daily incision checks (back and abdomen)"), 1, 13,
        'Guide line 152: "How to care for your incisions and watch for signs of infection or complications."',
        done_by=DoneBy.PATIENT,
    ),
    MilestoneTemplate(
        "wound_check", _("Wound check visit: stitches or staples out"), 10, 4,
        "Guide lines 136-139: incisions in the back and abdomen; sutures/staples are usually removed at "
        "10-14 days (standard post-operative wound care).",
    ),
    MilestoneTemplate(
        "binder_period_end", _("Abdominal binder period ends"), DEFAULT_BINDER_DAYS, 3,
        'Guide line 151: "If needed, how and when to wear an abdominal binder to protect your pump."',
        done_by=DoneBy.PATIENT,
    ),
    MilestoneTemplate(
        "physical_therapy_start", _("Physical therapy starts"), 14, 7,
        'Guide line 154: "When or if you should begin physical therapy."',
        done_by=DoneBy.PATIENT,
    ),
    MilestoneTemplate(
        "return_to_normal_activity", _("Return to normal activity"), 42, FULL_RECOVERY_DAYS - 42,
        'Guide line 161: "Most people recover from intrathecal drug pump implant surgery in six to eight weeks."',
        done_by=DoneBy.PATIENT,
    ),
)

# The preparation checklist (guide lines 98-122), on the timeline of a patient enrolled before surgery.
# Each item is due on its day and stays "due" up to the day before surgery; the patient ticks off
# their own items from the app, the care team the clinic's. From the surgery date on, an item nobody
# ticked off has lapsed: it was preparation for a day that has come ("To prepare for the procedure, you
# should:", line 109). shared/API.md's timeline statuses (done, due, upcoming, overdue) have no "missed",
# and "overdue" is kept for findings (recovery.overdue), so a lapsed item leaves the timeline
# (selectors.timeline_of); ticked items stay, done. No reminder is sent for checklist items.
PREOP_CHECKLIST: tuple[MilestoneTemplate, ...] = (
    MilestoneTemplate(
        "preop_visit", _("Pre-surgery visit and physical exam"), -14, 13,
        'Guide line 100: "Before surgery, you will meet with your surgical team and have a physical exam."',
    ),
    MilestoneTemplate(
        "preop_tests", _("Tests your surgical team ordered (blood, urine, ECG, X-ray)"), -10, 9,
        'Guide lines 100-105 and 112: "Have any tests that your doctor requires."',
        done_by=DoneBy.PATIENT,
    ),
    MilestoneTemplate(
        "preop_tell_allergies",
        _("Tell your doctor about allergies to medicines, iodine, latex, tape or anesthetics"), -10, 9,
        'Guide line 113: "Tell your doctor if you are sensitive or allergic to medicines, iodine, latex, '
        'tape, or anesthetic agents (local and general)."',
        done_by=DoneBy.PATIENT,
    ),
    MilestoneTemplate(
        "preop_tell_medicines",
        _("Tell your doctor about all your medicines and supplements"), -10, 9,
        'Guide line 114: "Tell your doctor about all medicines (prescription and over-the-counter) and '
        'herbal or other supplements you are taking."',
        done_by=DoneBy.PATIENT,
    ),
    MilestoneTemplate(
        "preop_tell_conditions", _("Tell your doctor about your other health conditions"), -10, 9,
        'Guide line 115: "Tell your doctor if you have any other health conditions."',
        done_by=DoneBy.PATIENT,
    ),
    MilestoneTemplate(
        "preop_blood_thinners",
        _("Tell your doctor about bleeding problems or blood thinners, and ask which medicines to stop"),
        -10, 9,
        'Guide line 116: "Tell your doctor if you have a history of bleeding disorders or if you are taking '
        'any medicines that affect blood clotting. You may need to stop some of the medicines before the '
        'procedure."',
        done_by=DoneBy.PATIENT,
    ),
    MilestoneTemplate(
        "preop_arrange_ride", _("Arrange for someone to drive you home"), -5, 4,
        'Guide line 122: "arrange for someone to drive you home from the hospital after the care team '
        'discharges you."',
        done_by=DoneBy.PATIENT,
    ),
    MilestoneTemplate(
        "preop_pack_bag", _("Pack your photo ID, insurance card and an overnight bag"), -2, 1,
        'Guide lines 118 and 122: "bring your photo ID and health insurance card(s)"; "toiletries, a robe, '
        'slippers, a cell phone and charger, medicines, and a change of clothes."',
        done_by=DoneBy.PATIENT,
    ),
    MilestoneTemplate(
        "preop_fasting", _("Fast before surgery as your doctor told you (usually overnight)"), -1, 0,
        'Guide line 111: "Fast for a certain period before the procedure ... (usually overnight)."',
        done_by=DoneBy.PATIENT,
    ),
)

RESTRICTIONS: tuple[RestrictionTemplate, ...] = (
    RestrictionTemplate(
        "no_bending_twisting", _("No bending or twisting"),
        _("Keep your back straight: bend at the knees, do not twist at the waist. "
          "This lets the catheter settle in place."),
        0, 41,
        'Guide line 157: "Which movements are safe and which movements to avoid."',
    ),
    RestrictionTemplate(
        "no_heavy_lifting",
        _with_values(gettext_noop("Do not lift more than %(pounds)s lb"), pounds=DEFAULT_LIFT_LIMIT_LB),
        _with_values(
            gettext_noop("Do not lift anything heavier than %(pounds)s lb (about 4.5 kg), "
                         "such as a full laundry basket or a grocery bag."),
            pounds=DEFAULT_LIFT_LIMIT_LB,
        ),
        0, 41,
        'Guide line 157: "Which movements are safe and which movements to avoid."',
    ),
    RestrictionTemplate(
        "no_reaching_overhead", _("No reaching above your head"),
        _("Do not reach above your shoulders or stretch your back."),
        0, 41,
        'Guide line 157: "Which movements are safe and which movements to avoid."',
    ),
    RestrictionTemplate(
        "no_driving_on_opioids", _("No driving while taking opioid pain medicine"),
        _("Someone else must drive you. Do not drive while you take opioid pain medicine."),
        0, 13,
        'Guide line 147: "You will need someone to drive you home from the hospital"; opioids impair driving.',
    ),
    RestrictionTemplate(
        "no_submerging_incisions", _("Do not soak your incisions"),
        _("No baths, pools or hot tubs until your incisions have healed. Short showers are fine "
          "if your care team allows them; pat the incisions dry."),
        0, 27,
        'Guide line 152: "How to care for your incisions and watch for signs of infection or complications."',
    ),
    RestrictionTemplate(
        "sleep_position", _("Sleep on your back or on the side away from the pump"),
        _("Do not sleep on your stomach or on the pump side while the pump pocket heals."),
        0, 27,
        'Guide line 139: "Implant the pump under the skin in your abdomen"; protects the pocket while it heals.',
    ),
    RestrictionTemplate(
        "wear_binder", _("Wear your abdominal binder"),
        _("Wear the abdominal binder over the pump as your care team showed you, "
          "taking it off only to shower."),
        0, DEFAULT_BINDER_DAYS - 1,
        'Guide line 151: "If needed, how and when to wear an abdominal binder to protect your pump."',
    ),
)

PHASES: tuple[Phase, ...] = (
    Phase("before_surgery", _("Before surgery"), None, -1,
          'Guide line 98: "Before: How to prepare for intrathecal drug pump implant".'),
    Phase("surgery", _("Surgery day"), 0, 0, 'Guide line 126: "surgery typically takes about two hours."'),
    Phase("early_healing", _("Early healing"), 1, 13,
          'Guide line 152: "How to care for your incisions and watch for signs of infection or complications."'),
    Phase("rehabilitation", _("Rehabilitation"), 14, 41,
          'Guide line 154: "When or if you should begin physical therapy."'),
    Phase("return_to_activity", _("Return to normal activity"), 42, FULL_RECOVERY_DAYS,
          'Guide line 161: "Most people recover ... in six to eight weeks."'),
    Phase("recovered", _("Recovered"), FULL_RECOVERY_DAYS + 1, None,
          'Guide line 183: "Most people can live full and active lives after ... surgery."'),
)

TEMPLATES_BY_KEY: dict[str, MilestoneTemplate] = {t.key: t for t in MILESTONES + PREOP_CHECKLIST}
PREOP_KEYS: frozenset[str] = frozenset(t.key for t in PREOP_CHECKLIST)
RESTRICTIONS_BY_KEY: dict[str, RestrictionTemplate] = {t.key: t for t in RESTRICTIONS}


def phase_for_day(recovery_day: int) -> Phase:
    """The phase a recovery day falls in (PHASES are in day order; negative days are before surgery)."""
    return next(phase for phase in PHASES if phase.last_day is None or recovery_day <= phase.last_day)


def milestone_templates(
    *, surgery_date: date, today: date, binder_prescribed: bool, kept_keys: frozenset[str] = frozenset()
) -> tuple[MilestoneTemplate, ...]:
    """The milestones of one patient's plan: the preparation checklist while surgery is still ahead
    (or items of it the patient already has, so ticks survive a rebuild), then the recovery plan."""
    preop = tuple(t for t in PREOP_CHECKLIST if today < surgery_date or t.key in kept_keys)
    recovery = tuple(t for t in MILESTONES if binder_prescribed or t.key != "binder_period_end")
    return preop + recovery


def done_by(key: str) -> str:
    """Who may tick this milestone off; milestones a surgeon added by hand are the clinic's."""
    template = TEMPLATES_BY_KEY.get(key)
    return template.done_by if template else DoneBy.CLINIC


def in_patient_language(key: str, stored: str, templates: dict[str, Any], attribute: str = "title") -> str:
    """A plan text in the active language. The rows store the English text of the template they
    were built from; a text a surgeon changed by hand is theirs and is shown as written."""
    template = templates.get(key)
    if template is None:
        return stored
    text = getattr(template, attribute)
    return str(text) if english(text) == stored else stored


def english(text: Text) -> str:
    """A plan text in English: what the plan rows store (each patient reads it in their language)."""
    with translation.override("en"):
        return str(text)


def day_to_date(surgery_date: date, day: int) -> date:
    return surgery_date + timedelta(days=day)
