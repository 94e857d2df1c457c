"""FHIR R4 export of a patient (shared/API.md "Export"): parsed back with fhir.resources, codes and units."""
from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from fhir.resources.R4B.bundle import Bundle

from recovery import fhir, triage
from recovery.models import AuditEvent, CheckIn, Escalation, Patient, Surgeon
from tests.factories import CheckInFactory, EscalationFactory, PatientFactory, SurgeonFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db


def export(client, patient):
    response = client.get(f"/api/v1/surgeon/patients/{patient.pk}/fhir/")
    assert response.status_code == 200, response.content
    return Bundle.model_validate(response.json())


def resources(bundle, kind):
    return [entry.resource for entry in bundle.entry if entry.resource.get_resource_type() == kind]


def test_the_demo_patient_with_an_emergency_exports_a_bundle_that_parses_with_loinc_codes_and_ucum_units(api_client):
    call_command("seed_demo", stdout=StringIO())
    surgeon = Surgeon.objects.get(user__username="dr.demo")
    patient = Patient.objects.get(user__username="ben")
    bundle = export(bearer(api_client, surgeon.user), patient)

    assert bundle.type == "collection"
    [fhir_patient] = resources(bundle, "Patient")
    assert fhir_patient.name[0].text == patient.display_name
    observations = resources(bundle, "Observation")
    pain = [o for o in observations if o.code.coding[0].code == "72514-3"]
    temperature = [o for o in observations if o.code.coding[0].code == "8310-5"]
    checkins = CheckIn.objects.filter(patient=patient)
    assert len(pain) == checkins.count() > 0
    assert len(temperature) == checkins.exclude(temperature=None).count() > 0
    assert {o.code.coding[0].system for o in observations} == {"http://loinc.org"}
    assert sorted(int(o.valueQuantity.value) for o in pain) == sorted(c.pain_score for c in checkins)
    assert {(o.valueQuantity.system, o.valueQuantity.code) for o in pain} == {("http://unitsofmeasure.org", "{score}")}
    assert {(o.valueQuantity.system, o.valueQuantity.code) for o in temperature} == {
        ("http://unitsofmeasure.org", "[degF]")}
    assert all(o.subject.reference == bundle.entry[0].fullUrl for o in observations)
    [device] = resources(bundle, "Device")
    [procedure] = resources(bundle, "Procedure")
    assert procedure.focalDevice[0].manipulated.reference in {e.fullUrl for e in bundle.entry}
    assert procedure.code.coding[0].system == "http://www.ama-assn.org/go/cpt"
    assert procedure.code.coding[0].code == {"programmable": "62362", "fixed_rate": "62361"}[patient.pump.kind]
    assert "pump" in device.type.text.lower()
    flags = resources(bundle, "Flag")
    assert flags and flags[0].status == "active" and "emergency" in flags[0].code.text.lower()
    # Ben's emergency was trouble breathing: its reason is a Condition coded in SNOMED CT, pointed to by the Flag.
    conditions = {entry.fullUrl: entry.resource for entry in bundle.entry
                  if entry.resource.get_resource_type() == "Condition"}
    [breathing] = [c for c in conditions.values() if c.code.text == "difficulty breathing"]
    assert [(c.system, c.code, c.display) for c in breathing.code.coding] == [
        ("http://snomed.info/sct", "230145002", "Difficulty breathing")]
    assert breathing.verificationStatus.coding[0].code == "unconfirmed"
    assert breathing.subject.reference == fhir_patient_url(bundle)
    details = [ext.valueReference.reference for flag in flags for ext in flag.extension or []
               if ext.url == "http://hl7.org/fhir/StructureDefinition/flag-detail"]
    assert set(details) == set(conditions) and len(details) == len(conditions)


def fhir_patient_url(bundle):
    return next(entry.fullUrl for entry in bundle.entry if entry.resource.get_resource_type() == "Patient")


def test_each_reason_is_a_snomed_coded_condition_where_verified_and_text_only_where_not(api_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    case = EscalationFactory(warning_report__patient=patient)
    Escalation.objects.filter(pk=case.pk).update(reasons=["seizure", "itching", "pump_alarm", "headache_upright",
                                                          "confusion"])
    bundle = export(bearer(api_client, surgeon.user), patient)

    conditions = {c.code.text: c for c in resources(bundle, "Condition")}
    assert set(conditions) == {"seizure", "itching", "pump alarm", "headache upright", "confusion"}
    assert [(c.system, c.code) for c in conditions["seizure"].code.coding] == [("http://snomed.info/sct", "91175000")]
    assert [(c.system, c.code) for c in conditions["itching"].code.coding] == [("http://snomed.info/sct", "418363000")]
    assert [(c.system, c.code) for c in conditions["confusion"].code.coding] == [
        ("http://snomed.info/sct", "130987000")]
    # No verified concept: text only, no coding claimed.
    assert conditions["pump alarm"].code.coding is None and conditions["headache upright"].code.coding is None
    [flag] = resources(bundle, "Flag")
    assert len(flag.extension) == 5


def test_every_snomed_row_names_a_reason_triage_gives():
    assert set(fhir.REASON_SNOMED) <= set(triage.REASON_WORDS)
    assert all(concept.isdigit() and display for concept, display in fhir.REASON_SNOMED.values())


def test_celsius_is_exported_in_celsius(api_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    CheckInFactory(patient=patient, temperature=Decimal("38.1"), temperature_unit="C")
    [temperature] = [o for o in resources(export(bearer(api_client, surgeon.user), patient), "Observation")
                     if o.code.coding[0].code == "8310-5"]
    assert (float(temperature.valueQuantity.value), temperature.valueQuantity.code) == (38.1, "Cel")


def test_a_patient_whose_surgery_is_ahead_has_a_planned_implant_and_no_implanted_device(api_client, surgeon):
    """Enrolment may come weeks before the surgery: an EHR must not record a surgery that has not happened."""
    from datetime import timedelta

    client = bearer(api_client, surgeon.user)
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    assert patient.pump is not None
    patient.surgery_date = patient.local_date() + timedelta(days=60)
    patient.save(update_fields=["surgery_date"])
    bundle = export(client, patient)
    [procedure] = resources(bundle, "Procedure")
    assert (procedure.status, procedure.performedDateTime, procedure.focalDevice) == ("preparation", None, None)
    assert procedure.code.coding[0].system == fhir.CPT and str(patient.surgery_date) in procedure.note[0].text
    assert patient.pump.get_drug_display() in procedure.note[0].text  # a planned baclofen or morphine pump
    assert resources(bundle, "Device") == []

    patient.surgery_date = patient.local_date()  # the day of the surgery
    patient.save(update_fields=["surgery_date"])
    bundle = export(client, Patient.objects.get(pk=patient.pk))
    [procedure], [device] = resources(bundle, "Procedure"), resources(bundle, "Device")
    assert (procedure.status, str(procedure.performedDateTime), device.status) == (
        "completed", str(patient.surgery_date), "active")
    assert procedure.focalDevice[0].manipulated.reference == fhir._urn("Device", patient.pump.pk)


def test_the_export_is_audited_as_a_read_of_the_patient(api_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    export(bearer(api_client, surgeon.user), patient)
    assert AuditEvent.objects.filter(actor=surgeon.user, patient=patient, action=AuditEvent.Action.VIEW).count() == 1


def test_another_surgeons_patient_is_404_and_not_audited(api_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=SurgeonFactory())
    response = bearer(api_client, surgeon.user).get(f"/api/v1/surgeon/patients/{patient.pk}/fhir/")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(patient=patient).exists()


def test_a_patient_may_not_export(patient_client, patient):
    assert patient_client.get(f"/api/v1/surgeon/patients/{patient.pk}/fhir/").status_code == 403
