"""Common implanted intrathecal pump models and what each maker's labelling says about MRI.

Data, reviewed like code: each row names the labelling it follows. Shown to the care team on the
patient page and to the patient with their pump (me.pump.mri_guidance). A model not in the table (or
none recorded) gets the cautious default: the MRI team must check the maker's guidance first.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy


class MriStatus(models.TextChoices):
    MR_CONDITIONAL = "mr_conditional", "MR Conditional"
    EMPTY_BEFORE_MRI = "empty_before_mri", "MR Conditional only when emptied"
    UNKNOWN = "unknown", "Check the maker's labelling"


@dataclass(frozen=True)
class PumpModel:
    key: str
    name: str | Promise  # lazy when the patient reads it (me.pump.mri_guidance.name), in their language
    maker: str
    reservoir_sizes_ml: tuple[int, ...]
    mri_status: str
    mri_before: str  # what must happen before the scan
    mri_after: str  # what must happen after it
    source: str

    @property
    def mri_status_label(self) -> str:
        return str(MriStatus(self.mri_status).label)


PUMP_MODELS: tuple[PumpModel, ...] = (
    PumpModel(
        key="synchromed_ii",
        name="SynchroMed II",
        maker="Medtronic",
        reservoir_sizes_ml=(20, 40),
        mri_status=MriStatus.MR_CONDITIONAL,
        mri_before="Scan only under the conditions of the maker's MRI guidelines. The magnet stalls the pump "
        "motor, so drug delivery stops during the scan; plan for that pause (for baclofen, withdrawal risk).",
        mri_after="Have the pump checked with a clinician programmer after the scan to confirm the motor "
        "restarted and delivery resumed.",
        source="Medtronic, MRI Guidelines for SynchroMed II Implantable Infusion Pump Systems (MR Conditional "
        "labelling)",
    ),
    PumpModel(
        key="prometra",
        name="Prometra",
        maker="Flowonix Medical",
        reservoir_sizes_ml=(20,),
        mri_status=MriStatus.EMPTY_BEFORE_MRI,
        mri_before="The pump must be emptied of all drug before the MRI: the magnetic field can open its "
        "valves and release the drug at once (overdose).",
        mri_after="Refill the pump and confirm its programming after the scan.",
        source="Flowonix Prometra Programmable Infusion System labelling (MRI section); FDA Safety "
        "Communication, Jan 2018, risk of drug overdose with Prometra pumps during MRI",
    ),
    PumpModel(
        key="prometra_ii",
        name="Prometra II",
        maker="Flowonix Medical",
        reservoir_sizes_ml=(20, 40),
        mri_status=MriStatus.EMPTY_BEFORE_MRI,
        mri_before="The pump must be emptied of all drug before the MRI: the magnetic field can open its "
        "valves and release the drug at once (overdose).",
        mri_after="Refill the pump and confirm its programming after the scan.",
        source="Flowonix Prometra II Programmable Infusion System labelling (MRI section); FDA Safety "
        "Communication, Jan 2018, risk of drug overdose with Prometra pumps during MRI",
    ),
)

UNKNOWN_MODEL_GUIDANCE = PumpModel(
    key="",
    name=gettext_lazy("Pump model not recorded"),
    maker="",
    reservoir_sizes_ml=(),
    mri_status=MriStatus.UNKNOWN,
    mri_before="Before any MRI, tell the imaging team you have an implanted drug pump and show your pump "
    "card; they must check the pump maker's MRI instructions first.",
    mri_after="Ask the care team whether the pump needs to be checked after the scan.",
    source="FDA, Medical Devices: MRI safety of implanted devices (check the device's MRI labelling before "
    "scanning)",
)

BY_KEY: dict[str, PumpModel] = {model.key: model for model in PUMP_MODELS}
MODEL_CHOICES: list[tuple[str, str]] = [(model.key, f"{model.maker} {model.name}") for model in PUMP_MODELS] + [
    ("other", "Other model")
]


def mri_guidance(model_key: str) -> PumpModel:
    """The MRI guidance row for a pump model key; the cautious default for other or unrecorded models."""
    return BY_KEY.get(model_key, UNKNOWN_MODEL_GUIDANCE)
