"""Bad input anywhere answers 400 naming the field, never 500, and changes nothing stored."""
from __future__ import annotations

import uuid

import pytest

from notifications.models import Notification
from recovery.models import CheckIn, Escalation, IncisionCheck, Patient, PatientMessage, WarningReport

pytestmark = pytest.mark.django_db

GOOD_ID = str(uuid.uuid4())


def snapshot(patient: Patient) -> tuple:
    patient = Patient.objects.get(pk=patient.pk)
    return (
        CheckIn.objects.count(), IncisionCheck.objects.count(), WarningReport.objects.count(),
        Escalation.objects.count(), PatientMessage.objects.count(), Notification.objects.count(),
        patient.timezone, patient.checkin_time, patient.updated_at,
    )


def assert_400_naming(client, patient, method, path, body, field):
    before = snapshot(patient)
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert snapshot(patient) == before


CHECKIN = {"client_id": GOOD_ID, "pain_score": 9, "symptoms": ["difficulty_breathing"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pain_score": "high"}, "pain_score"),
        ({"pain_score": 11}, "pain_score"),
        ({"pain_score": -1}, "pain_score"),
        ({"pain_score": 7.5}, "pain_score"),
        ({"pain_score": None}, "pain_score"),
        ({"pain_score": [5]}, "pain_score"),
        ({"pain_score": 10 ** 30}, "pain_score"),
        ({"temperature": "hot"}, "temperature"),
        ({"temperature": 120}, "temperature"),
        ({"temperature": 89.9}, "temperature"),
        ({"temperature": 43.6, "temperature_unit": "C"}, "temperature"),
        ({"temperature": 31.9, "temperature_unit": "C"}, "temperature"),
        ({"temperature": 99, "temperature_unit": "C"}, "temperature"),
        ({"temperature": "100.04"}, "temperature"),
        ({"temperature": "NaN"}, "temperature"),
        ({"temperature": "Infinity"}, "temperature"),
        ({"temperature": 1e300}, "temperature"),
        ({"temperature_unit": "K"}, "temperature_unit"),
        ({"temperature_unit": None}, "temperature_unit"),
        ({"binder_hours": 25}, "binder_hours"),
        ({"binder_hours": 24.1}, "binder_hours"),
        ({"binder_hours": 7.25}, "binder_hours"),
        ({"binder_hours": -1}, "binder_hours"),
        ({"binder_hours": "all day"}, "binder_hours"),
        ({"binder_worn": "maybe"}, "binder_worn"),
        ({"restrictions_followed": [True]}, "restrictions_followed"),
        ({"symptoms": ["sneezing"]}, "symptoms"),
        ({"symptoms": ["fever", "FEVER"]}, "symptoms"),
        ({"symptoms": "fever"}, "symptoms"),
        ({"symptoms": [None]}, "symptoms"),
        ({"symptoms": [{"code": "fever"}]}, "symptoms"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"client_id": 12345}, "client_id"),
        ({"client_id": None}, "client_id"),
        ({"note": "x" * 5000}, "note"),
        ({"note": "nul\x00byte"}, "note"),
    ],
)
def test_bad_checkin(patient_client, patient, change, field):
    assert_400_naming(patient_client, patient, "post", "/api/v1/checkins/", {**CHECKIN, **change}, field)


@pytest.mark.parametrize("missing", ["client_id", "pain_score"])
def test_checkin_missing_a_required_field(patient_client, patient, missing):
    body = {k: v for k, v in CHECKIN.items() if k != missing}
    assert_400_naming(patient_client, patient, "post", "/api/v1/checkins/", body, missing)


def test_a_body_that_is_not_an_object_is_400(patient_client, patient):
    assert_400_naming(patient_client, patient, "post", "/api/v1/checkins/", [1, 2, 3], "non_field_errors")


def test_malformed_json_is_400_not_500(patient_client, patient):
    before = snapshot(patient)
    response = patient_client.generic("POST", "/api/v1/checkins/", '{"client_id": ', content_type="application/json")
    assert response.status_code == 400 and snapshot(patient) == before


INCISION = {"client_id": GOOD_ID, "site": "back", "redness": True}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"site": "leg"}, "site"),
        ({"site": ""}, "site"),
        ({"site": None}, "site"),
        ({"redness": "very"}, "redness"),
        ({"bleeding": 2}, "bleeding"),
        ({"pain": None}, "pain"),
        ({"client_id": "abc"}, "client_id"),
        ({"note": ["a"]}, "note"),
    ],
)
def test_bad_incision_check(patient_client, patient, change, field):
    assert_400_naming(patient_client, patient, "post", "/api/v1/incision-checks/", {**INCISION, **change}, field)


def test_incision_check_without_site(patient_client, patient):
    assert_400_naming(patient_client, patient, "post", "/api/v1/incision-checks/", {"client_id": GOOD_ID}, "site")


WARNING = {"client_id": GOOD_ID, "symptoms": ["overdose_signs"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"symptoms": ["overdose_signs", "hiccups"]}, "symptoms"),
        ({"symptoms": None}, "symptoms"),
        ({"symptoms": {"fever": True}}, "symptoms"),
        ({"client_id": ""}, "client_id"),
    ],
)
def test_bad_warning_report(patient_client, patient, change, field):
    assert_400_naming(patient_client, patient, "post", "/api/v1/warning-reports/", {**WARNING, **change}, field)


def test_warning_report_without_symptoms(patient_client, patient):
    assert_400_naming(patient_client, patient, "post", "/api/v1/warning-reports/", {"client_id": GOOD_ID}, "symptoms")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "EST5EDT/../../etc/passwd"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"timezone": 5}, "timezone"),
        ({"checkin_time": "7pm"}, "checkin_time"),
        ({"checkin_time": "24:00"}, "checkin_time"),
        ({"checkin_time": "09:60"}, "checkin_time"),
        ({"timezone": "Europe/Paris", "checkin_time": "noon"}, "checkin_time"),
    ],
)
def test_bad_patch_me(patient_client, patient, body, field):
    assert_400_naming(patient_client, patient, "patch", "/api/v1/me/", body, field)
