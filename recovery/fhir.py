"""A patient's record as a FHIR Bundle (type `collection`) a hospital record system can take (shared/API.md
"Export"), built and validated with fhir.resources' R4B models.

R4B (4.3.0) is the FHIR release built to stay wire-compatible with R4 (4.0.1) for these resources: Patient,
Device, Procedure, Observation, Condition, Flag and Bundle use only elements that exist unchanged in R4.

Codes, and where each comes from:
- pain: LOINC 72514-3 "Pain severity - 0-10 verbal numeric rating [Score] - Reported", UCUM `{score}`;
- body temperature: LOINC 8310-5 "Body temperature", UCUM `Cel` or `[degF]` as the patient measured it
  (vital-signs category, as the R4 vital signs profile asks);
- the implant: CPT 62362 (programmable pump) / 62361 (nonprogrammable pump) "Implantation or replacement
  of device for intrathecal or epidural drug infusion" (AMA CPT). No SNOMED CT concept for an intrathecal
  pump implant or the pump itself could be verified in public terminology material, so none is claimed:
  the Device and the Procedure carry text, the Procedure the CPT code;
- escalations: Flag, category `clinical` (terminology.hl7.org flag-category), code text of the level and
  reasons; each reason is a Condition (the patient-reported finding, verification `unconfirmed`) that the
  Flag points to with the core `flag-detail` extension. A reason's Condition carries a SNOMED CT coding
  only where a concept was verified (REASON_SNOMED below, each with its source); any other reason keeps
  its text only.
"""
from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from recovery.models import CheckIn, Escalation, Patient, Pump

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CPT = "http://www.ama-assn.org/go/cpt"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
SNOMED = "http://snomed.info/sct"
IDENTIFIER_SYSTEM = "urn:pump-recovery:patient"
# Stable ids: the same record exports under the same fullUrl every time.
NAMESPACE = uuid.UUID("8f5e1c1e-6a43-4a7e-9d55-7f3a7c0f6b21")

PAIN_CODE = {"system": LOINC, "code": "72514-3",
             "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}
TEMPERATURE_CODE = {"system": LOINC, "code": "8310-5", "display": "Body temperature"}
TEMPERATURE_UNITS: dict[str, dict[str, str]] = {
    CheckIn.TemperatureUnit.CELSIUS: {"unit": "Cel", "code": "Cel"},
    CheckIn.TemperatureUnit.FAHRENHEIT: {"unit": "[degF]", "code": "[degF]"},
}
IMPLANT_CPT: dict[str, tuple[str, str]] = {
    Pump.Kind.PROGRAMMABLE: ("62362", "programmable pump"),
    Pump.Kind.FIXED_RATE: ("62361", "nonprogrammable pump"),
}
IMPLANT_TEXT = "Implantation of intrathecal drug delivery pump"

# Escalation reasons (recovery/triage.py symptom and rule codes) with a SNOMED CT concept that means the same
# finding: (concept id, display). Every row was checked against public terminology material, named beside it;
# a reason not listed (e.g. headache_upright, pump_alarm, withdrawal_signs, stiff_neck, limb_numbness) has no
# concept verified that way and is exported as text only. A row's concept may leave out the site or degree the
# reason names (the Condition's text keeps it), never change the finding. Never add a row without its source.
REASON_SNOMED: dict[str, tuple[str, str]] = {
    # HL7 Personal Health Record Format IG, input/fsh/pghd/conceptmap/ConceptMapSymptom.fsh
    # (HL7/personal-health-record-format-ig): fever -> 386661006, equivalent.
    "fever": ("386661006", "Fever"),
    # Same ConceptMap: shortnessOfBreath -> 267036007; DICOM CID 3220 "Stress Symptom" lists 267036007 "Dyspnea"
    # (bvdh/dicom-terminology-in-fhir, input/fsh/ValueSet-dicom-cid-3220-StressSymptom.fsh).
    "shortness_of_breath": ("267036007", "Dyspnea"),
    # IHE PCC mobile Paramedicine Summary of Care, Paramedicine_Reason_For_Visit_VS
    # (IHE/PCC.PCS, input/fsh/IHE Paramedicine Value Sets.fsh): 230145002 "Difficulty breathing".
    "difficulty_breathing": ("230145002", "Difficulty breathing"),
    # DICOM CID 3220 (file above): 29857009 "Chest pain"; also IHE Paramedicine_Reason_For_Visit_VS.
    "chest_pain": ("29857009", "Chest pain"),
    # IHE Paramedicine_Reason_For_Visit_VS (file above): 91175000 "Seizure".
    "seizure": ("91175000", "Seizure"),
    # DICOM CID 4406 "Patient Reported Lesion Characteristic" (bvdh/dicom-terminology-in-fhir,
    # input/fsh/ValueSet-dicom-cid-4406-PatientReportedLesionCharacteristic.fsh): 418363000 "Itching"; the SNOMED
    # on FHIR IG's problem-list example names it "Itching of skin (finding)".
    "itching": ("418363000", "Itching of skin"),
    # IHE Physical_Finding_of_Extremities_VS (IHE/PCC.PCS file above): 26544005 "Muscle weakness".
    "limb_weakness": ("26544005", "Muscle weakness"),
    # DICOM CID 3050 "Patient Consciousness" (bvdh/dicom-terminology-in-fhir,
    # input/fsh/ValueSet-dicom-cid-3050-PatientConsciousness.fsh): 271782001 "Drowsy".
    "extreme_drowsiness": ("271782001", "Drowsy"),
    # HL7 UK Care Connect ACVPU value set (yorkshire-and-humber-care-record/fhir-ig,
    # fsh-tank/input/fsh/CareConnect-fsh/Codes/CodesACVPU.fsh): 130987000 |Acute confusion| (the reason is new
    # confusion: recovery/triage.py's confusion rows).
    "confusion": ("130987000", "Acute confusion"),
}


def _urn(kind: str, pk: Any) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{pk}')}"


def _instant(value: Any) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def patient_bundle(patient: Patient, checkins: list[CheckIn], escalations: list[Escalation]) -> dict[str, Any]:
    """The FHIR Bundle as JSON-ready data; validated by the R4B models before it is returned."""
    patient_ref = {"reference": _urn("Patient", patient.pk), "display": patient.display_name}
    entries = [_entry("Patient", patient.pk, {
        "resourceType": "Patient",
        "id": f"patient-{patient.pk}",
        "identifier": [{"system": IDENTIFIER_SYSTEM, "value": str(patient.pk)}],
        "name": [{"text": patient.display_name}],
    })]
    pump = getattr(patient, "pump", None)
    # Before the surgery date (enrolment may come weeks ahead) the implant is planned: no implanted Device yet,
    # and the Procedure is in preparation, without a date it was performed.
    implanted = patient.surgery_date <= patient.local_date()
    if pump is not None and implanted:
        entries.append(_entry("Device", pump.pk, _device(pump, patient_ref)))
    entries.append(_entry("Procedure", patient.pk, _procedure(patient, pump, patient_ref, implanted=implanted)))
    for checkin in checkins:
        entries.append(_entry("Observation", f"pain-{checkin.pk}", _pain(checkin, patient_ref)))
        if checkin.temperature is not None:
            entries.append(_entry("Observation", f"temperature-{checkin.pk}", _temperature(checkin, patient_ref)))
    for escalation in escalations:
        entries += _escalation_entries(escalation, patient_ref)
    bundle = {
        "resourceType": "Bundle",
        "id": f"patient-{patient.pk}-export",
        "type": "collection",
        "timestamp": _instant(timezone.now()),
        "entry": entries,
    }
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)


def _entry(kind: str, pk: Any, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": _urn(kind, pk), "resource": resource}


def _device(pump: Pump, patient_ref: dict[str, str]) -> dict[str, Any]:
    return {
        "resourceType": "Device",
        "id": f"pump-{pump.pk}",
        "status": "active",
        "type": {"text": f"Implanted intrathecal drug infusion pump ({pump.get_kind_display()})"},
        "patient": patient_ref,
        "note": [{"text": f"Drug: {pump.get_drug_display()}."
                          + (f" Next refill due {pump.next_refill_date}." if pump.next_refill_date else "")}],
    }


def _procedure(patient: Patient, pump: Pump | None, patient_ref: dict[str, str], *, implanted: bool) -> dict[str, Any]:
    """The implant: completed on the surgery date, the pump's Device its focal device; or, before that date, in
    preparation, with the planned pump's kind coded and its drug in a note (no Device yet)."""
    code: dict[str, Any] = {"text": IMPLANT_TEXT}
    if pump is not None:
        cpt_code, device = IMPLANT_CPT[pump.kind]
        code["coding"] = [{"system": CPT, "code": cpt_code, "display": "Implantation or replacement of device "
                           f"for intrathecal or epidural drug infusion; {device}"}]
    procedure: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": f"implant-{patient.pk}",
        "status": "completed" if implanted else "preparation",
        "code": code,
        "subject": patient_ref,
    }
    if implanted:
        procedure["performedDateTime"] = patient.surgery_date.isoformat()
        if pump is not None:
            procedure["focalDevice"] = [{"manipulated": {"reference": _urn("Device", pump.pk)}}]
    else:
        planned = f"Planned for {patient.surgery_date.isoformat()}."
        if pump is not None:
            planned += f" Pump: {pump.get_kind_display()}, drug: {pump.get_drug_display()}."
        procedure["note"] = [{"text": planned}]
    return procedure


def _pain(checkin: CheckIn, patient_ref: dict[str, str]) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"pain-{checkin.pk}",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": {"coding": [PAIN_CODE], "text": "Pain score (0-10)"},
        "subject": patient_ref,
        "effectiveDateTime": _instant(checkin.created_at),
        "valueQuantity": {"value": checkin.pain_score, "unit": "{score}", "system": UCUM, "code": "{score}"},
    }


def _temperature(checkin: CheckIn, patient_ref: dict[str, str]) -> dict[str, Any]:
    assert checkin.temperature is not None  # noqa: S101  # only check-ins with a temperature are passed
    return {
        "resourceType": "Observation",
        "id": f"temperature-{checkin.pk}",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]}],
        "code": {"coding": [TEMPERATURE_CODE], "text": "Body temperature"},
        "subject": patient_ref,
        "effectiveDateTime": _instant(checkin.created_at),
        "valueQuantity": {"value": float(checkin.temperature), "system": UCUM,
                          **TEMPERATURE_UNITS[checkin.temperature_unit]},
    }


def _reason_text(code: str) -> str:
    return code.replace("_", " ")


def _reason_condition(escalation: Escalation, reason: str, patient_ref: dict[str, str]) -> dict[str, Any]:
    """One reason of an escalation as the finding the patient reported: coded where REASON_SNOMED has it."""
    code: dict[str, Any] = {"text": _reason_text(reason)}
    if reason in REASON_SNOMED:
        concept, display = REASON_SNOMED[reason]
        code["coding"] = [{"system": SNOMED, "code": concept, "display": display}]
    return {
        "resourceType": "Condition",
        "id": f"escalation-{escalation.pk}-{reason.replace('_', '-')}",
        # Reported by the patient through the app, not confirmed by a clinician.
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION, "code": "unconfirmed",
                                           "display": "Unconfirmed"}]},
        "code": code,
        "subject": patient_ref,
        "recordedDate": _instant(escalation.created_at),
        "asserter": {"reference": patient_ref["reference"]},
    }


def _escalation_entries(escalation: Escalation, patient_ref: dict[str, str]) -> list[dict[str, Any]]:
    """The escalation's Flag and, before it, one Condition per reason the Flag points to (flag-detail)."""
    conditions = [_entry("Condition", f"{escalation.pk}/{reason}", _reason_condition(escalation, reason, patient_ref))
                  for reason in dict.fromkeys(escalation.reasons)]
    flag = _flag(escalation, patient_ref)
    if conditions:
        flag["extension"] = [{"url": FLAG_DETAIL, "valueReference": {"reference": entry["fullUrl"]}}
                             for entry in conditions]
    return [*conditions, _entry("Flag", escalation.pk, flag)]


def _flag(escalation: Escalation, patient_ref: dict[str, str]) -> dict[str, Any]:
    period = {"start": _instant(escalation.created_at)}
    if escalation.resolved_at is not None:
        period["end"] = _instant(escalation.resolved_at)
    reasons = ", ".join(_reason_text(code) for code in escalation.reasons) or "reported warning signs"
    return {
        "resourceType": "Flag",
        "id": f"escalation-{escalation.pk}",
        # Active until the care team has resolved the case (API 1.1).
        "status": "active" if escalation.resolved_at is None else "inactive",
        "category": [{"coding": [{"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}]}],
        "code": {"text": f"{escalation.get_level_display()} escalation: {reasons}"},
        "subject": patient_ref,
        "period": period,
    }
