"""Patient education, as data reviewed like code: short articles chosen by recovery day, pump drug
and pump model (shared/API.md, "Education").

Each article names its source: lines of the patient guide (shared/domain/
patient-guide-intrathecal-pump.txt) or a drug label or maker's manual. Titles and bodies are lazy
translations, rendered in the patient's language (locale/es/LC_MESSAGES/django.po). A body may name
`%(emergency_number)s`, filled in with the patient's local emergency number.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

OPIOIDS = frozenset({"morphine", "other_opioid"})
BACLOFEN = frozenset({"baclofen"})
OTHER_DRUGS = frozenset({"other"})


@dataclass(frozen=True)
class Article:
    key: str
    title: Promise
    body: Promise
    source: str
    first_day: int | None = None  # first recovery day shown (None: from enrollment)
    last_day: int | None = None  # last recovery day shown (None: for the pump's whole life)
    drugs: frozenset[str] | None = None  # None: every pump drug
    pump_models: frozenset[str] | None = None  # recovery.pump_models.PUMP_MODELS keys; None: every model
    needs_binder: bool = False

    def applies(self, *, recovery_day: int, drug: str, pump_model: str, binder_prescribed: bool) -> bool:
        """Whether the article is for this patient today."""
        return (
            (self.first_day is None or recovery_day >= self.first_day)
            and (self.last_day is None or recovery_day <= self.last_day)
            and (self.drugs is None or drug in self.drugs)
            and (self.pump_models is None or pump_model in self.pump_models)
            and (binder_prescribed or not self.needs_binder)
        )


ARTICLES: tuple[Article, ...] = (
    # --- Before surgery ------------------------------------------------------------------------
    Article(
        "trial_dose", _("The trial dose"),
        _("Before a permanent pump, your doctor may give you a test dose of the medicine, through a "
          "spinal tap or a temporary pump. If it eases your pain or stiffness, a permanent pump may "
          "be suggested. Tell your care team how you felt in the hours after the test dose."),
        "Guide lines 90-96 (evaluation and trial intrathecal injection).",
        last_day=-1,
    ),
    Article(
        "preparing_for_surgery", _("Getting ready for surgery"),
        _("Your surgical team may order blood or urine tests, an ECG and X-rays. Tell your doctor about "
          "allergies to medicines, iodine, latex, tape or anesthetics; about every medicine and "
          "supplement you take; about other health conditions; and about bleeding problems or blood "
          "thinners, which you may need to stop. Fast before surgery as you are told, usually "
          "overnight."),
        "Guide lines 98-116 (Before: how to prepare).",
        last_day=-1,
    ),
    Article(
        "surgery_day", _("On the day of surgery"),
        _("Bring your photo ID and insurance card and leave valuables at home. If you stay overnight, "
          "bring toiletries, a robe, slippers, your phone and charger, your medicines and a change of "
          "clothes. The operation takes about two hours under general anesthesia. Someone must drive "
          "you home."),
        "Guide lines 118-143 (the day of the procedure, the surgery).",
        first_day=-3, last_day=0,
    ),
    # --- After surgery --------------------------------------------------------------------------
    Article(
        "incision_care", _("Caring for your incisions"),
        _("You have two incisions: one on your back and one on your abdomen over the pump. Keep them "
          "clean and dry and look at both every day. Tell your care team about pain, redness, "
          "bleeding, drainage or more swelling at an incision, or a fever over 100.0 F (37.8 C or more): "
          "these can be signs of infection."),
        "Guide lines 136-139, 152 and 173-178 (incisions; signs of infection).",
        first_day=0, last_day=27,
    ),
    Article(
        "binder", _("Wearing your abdominal binder"),
        _("Wear the binder over the pump as your care team showed you, taking it off only to shower. "
          "It holds the pump still while the pocket under the skin heals."),
        "Guide line 151: how and when to wear an abdominal binder to protect your pump.",
        first_day=0, last_day=27, needs_binder=True,
    ),
    Article(
        "safe_movements", _("Moving safely while you heal"),
        _("For about six weeks, do not bend or twist at the waist, do not reach above your head and do "
          "not lift more than 10 lb (4.5 kg). Bend at the knees. Walking every day is good for you. "
          "This lets the catheter settle in place."),
        "Guide line 157 (which movements are safe and which to avoid); lines 159-161 (six to eight "
        "weeks of recovery).",
        first_day=0, last_day=41,
    ),
    Article(
        "when_to_call", _("When to call your care team, and when to call %(emergency_number)s"),
        _("Call your care team if you have a fever over 100.0 F (37.8 C or more); numbness, tingling, "
          "pain or weakness in your arms or legs; trouble walking or keeping your balance; pain, redness, "
          "bleeding, drainage or swelling at an incision; or severe pain that medicine does not help. "
          "Call %(emergency_number)s now for trouble breathing or shortness of breath, chest pain, a "
          "seizure, sudden confusion, new bowel or bladder problems or if you cannot stay awake. Call "
          "%(emergency_number)s now, too, if a fever or severe pain comes with weakness, numbness or "
          "trouble walking or keeping your balance; if a fever comes with severe pain, a stiff neck or a "
          "headache when you sit or stand up; or if weakness or numbness comes with trouble walking or "
          "keeping your balance."),
        "Guide lines 155 and 169-179 (when to call your doctor or 911); what calls the emergency number is "
        "what triage answers with it (recovery.triage: emergency signs and the combination rows).",
        first_day=0,
    ),
    Article(
        "recovery_timeline", _("How long recovery takes"),
        _("Most people recover in six to eight weeks. Your doctor will tell you when to start physical "
          "therapy and when you can return to your normal activities."),
        "Guide lines 154, 156 and 159-161.",
        first_day=0, last_day=56,
    ),
    # --- Medicine safety, by drug ----------------------------------------------------------------
    Article(
        "baclofen_withdrawal_overdose", _("Baclofen: signs of withdrawal and overdose"),
        _("Stopping intrathecal baclofen suddenly can be life-threatening. Signs of withdrawal are "
          "muscle stiffness or spasms coming back, itching, tingling, a fever and a fast heartbeat: "
          "call your care team at once. Call %(emergency_number)s now if a fever comes with any of the "
          "others, or if you become confused: withdrawal is getting worse. Signs of too much baclofen "
          "are strong drowsiness, dizziness, slow or shallow breathing, feeling cold, seizures or not "
          "waking up: call %(emergency_number)s. Never miss a refill and never let the pump alarm run."),
        "Lioresal Intrathecal (baclofen injection) prescribing information, boxed warning on abrupt "
        "discontinuation (early signs: return of spasticity, pruritus, paresthesias; then high fever, altered "
        "mental status), and overdosage section; guide lines 72 and 80. What it sends to the emergency number "
        "is what triage answers with it (recovery.triage rows confusion and baclofen_withdrawal).",
        drugs=BACLOFEN,
    ),
    Article(
        "opioid_overdose_withdrawal", _("Opioid pump: signs of overdose and withdrawal"),
        _("Too much opioid medicine can slow your breathing. Signs are extreme sleepiness, slow or "
          "shallow breathing, very small pupils, confusion or not waking up: call "
          "%(emergency_number)s. Keep naloxone (Narcan) at home and make sure the people you live "
          "with know where it is and how to use it. Signs of withdrawal are sweating, yawning, a "
          "runny nose, diarrhea, anxiety and your pain coming back: call your care team."),
        "Infumorph (preservative-free morphine) prescribing information, boxed warning on "
        "respiratory depression; FDA Drug Safety Communication (July 2020) recommending naloxone "
        "for patients on opioids; guide lines 72 and 80.",
        drugs=OPIOIDS,
    ),
    Article(
        "medicine_safety", _("Your pump medicine: when to call"),
        _("Any pump medicine can cause problems if you get too much or too little. Call your care team "
          "if you feel unusually sleepy or unwell, or if your symptoms come back; call "
          "%(emergency_number)s now if you are confused, have trouble breathing or cannot stay awake."),
        "Guide lines 72 and 80 (medicine withdrawal or overdose). Confusion is for the emergency number, as "
        "triage answers it for every pump drug (recovery.triage row confusion).",
        drugs=OTHER_DRUGS,
    ),
    # --- The pump over its life -------------------------------------------------------------------
    Article(
        "refills_and_alarm", _("Refills and the pump alarm"),
        _("Your pump must be refilled on time at the clinic; the app reminds you before each refill "
          "date. If the pump sounds its alarm, the reservoir is low or the pump needs checking: call "
          "your care team the same day. Go to every doctor visit."),
        "Guide lines 84-86 and 165; SynchroMed II and Prometra patient manuals (low reservoir and "
        "critical alarms).",
        first_day=0,
    ),
    Article(
        "battery", _("Battery replacement"),
        _("The pump runs on a battery. Most batteries last five years or more; when yours runs low, "
          "the pump is replaced in another, shorter surgery. Your care team tells you when to book it."),
        "Guide line 167.",
        first_day=28,
    ),
    Article(
        "mri_safety", _("MRI scans with a pump"),
        _("Before any MRI scan, tell the staff you have a drug pump and show your implant card. Some "
          "pumps must be checked or emptied around a scan. Ask your pump clinic before you book one."),
        "Guide line 104 (MRI); pump makers' MRI safety information.",
        first_day=0,
    ),
    Article(
        "mri_synchromed", _("MRI with a SynchroMed pump"),
        _("Your SynchroMed pump is MR conditional: you can have an MRI under set conditions. The "
          "magnet stops the pump motor during the scan, so medicine is not delivered then. Your "
          "clinic must check the pump after the scan to confirm it has restarted."),
        "Medtronic, MRI guidelines for SynchroMed II intrathecal pumps "
        "(MR conditional; confirm pump status after the MRI).",
        first_day=0, pump_models=frozenset({"synchromed_ii"}),
    ),
    Article(
        "mri_prometra", _("MRI with a Prometra pump"),
        _("Your Prometra pump must be emptied by your clinic before any MRI scan and refilled after "
          "it. Having an MRI with medicine in the pump can release a dangerous dose. Never have an "
          "MRI without telling your pump clinic first."),
        "Flowonix Prometra II programmable pump labelling (MRI safety: empty the reservoir before MRI); "
        "FDA letter to health care providers on Prometra pumps and MRI (2018).",
        first_day=0, pump_models=frozenset({"prometra", "prometra_ii"}),
    ),
)


def articles_for(
    *, recovery_day: int, drug: str, pump_model: str = "", binder_prescribed: bool = True
) -> list[Article]:
    """The articles that apply to one patient today, in the order above (before surgery first)."""
    return [
        article for article in ARTICLES
        if article.applies(
            recovery_day=recovery_day, drug=drug, pump_model=pump_model, binder_prescribed=binder_prescribed
        )
    ]
