"""Input that used to crash the server (500) is a 400 naming the field: JSON nested thousands of levels
deep, dates so far out that the recovery plan's date arithmetic overflows, and time zone names that
zoneinfo reads as a directory or as a file name too long."""
from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest

from recovery.models import Patient

pytestmark = pytest.mark.django_db


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def post_raw(client, path: str, body: str):
    return client.generic("POST", path, body, content_type="application/json")


def test_a_field_nested_5000_deep_is_400_naming_the_field(patient_client):
    body = f'{{"client_id": "{uuid.uuid4()}", "pain_score": 3, "symptoms": {deep(5000)}}}'
    answer = post_raw(patient_client, "/api/v1/checkins/", body)
    assert answer.status_code in (400,)
    assert set(answer.json()) <= {"symptoms", "non_field_errors"} and answer.json()


def test_a_field_nested_deeper_than_the_limit_but_decodable_names_that_field(patient_client):
    body = json.dumps({"client_id": str(uuid.uuid4()), "pain_score": 3, "note": json.loads(deep(50))})
    answer = post_raw(patient_client, "/api/v1/checkins/", body)
    assert answer.status_code == 400
    assert list(answer.json()) == ["note"]


def test_a_body_that_is_nothing_but_nesting_is_400_non_field_errors(patient_client):
    answer = post_raw(patient_client, "/api/v1/checkins/", deep(100_000))
    assert answer.status_code == 400
    assert list(answer.json()) == ["non_field_errors"]


def test_deep_json_at_an_unauthenticated_endpoint_is_400_too(api_client):
    answer = post_raw(api_client, "/api/v1/auth/token/", f'{{"username": {deep(5000)}, "password": "x"}}')
    assert answer.status_code == 400


ENROLL: dict[str, Any] = {"display_name": "New Patient", "timezone": "America/New_York",
          "pump": {"kind": "programmable", "drug": "morphine"}}


@pytest.mark.parametrize("surgery_date", ["9999-12-31", "0001-01-01", "2999-01-01"])
def test_an_out_of_range_surgery_date_is_400_naming_it_and_enrolls_nobody(surgeon_client, surgery_date):
    answer = surgeon_client.post("/api/v1/surgeon/patients/", {**ENROLL, "surgery_date": surgery_date},
                                 format="json")
    assert answer.status_code == 400, answer.content
    assert list(answer.json()) == ["surgery_date"]
    assert not Patient.objects.filter(display_name="New Patient").exists()


@pytest.mark.parametrize("field", ["next_refill_date", "battery_replacement_due"])
def test_an_out_of_range_pump_date_is_400_naming_the_pump_field(surgeon_client, field):
    from django.utils import timezone

    body = {**ENROLL, "surgery_date": timezone.now().date().isoformat(),
            "pump": {**ENROLL["pump"], field: "9999-12-31"}}
    answer = surgeon_client.post("/api/v1/surgeon/patients/", body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()["pump"]


def test_restrictions_on_a_date_far_out_is_400_naming_date(patient_client):
    answer = patient_client.get("/api/v1/restrictions/", {"date": "9999-12-31"})
    assert answer.status_code == 400 and "date" in answer.json()


def test_dashboard_enrollment_refuses_year_9999_with_the_field_named(client):
    from tests.factories import SurgeonFactory

    surgeon = SurgeonFactory()
    client.force_login(surgeon.user)
    answer = client.post("/dashboard/patients/new/", {
        "submission_id": str(uuid.uuid4()), "display_name": "New Patient", "surgery_date": "9999-12-31",
        "timezone": "America/New_York", "checkin_time": "09:00", "pump_kind": "programmable",
        "pump_drug": "morphine",
    })
    assert answer.status_code == 200  # the form again, with the error
    assert "surgery_date" in answer.context["form"].errors
    assert not Patient.objects.filter(display_name="New Patient").exists()


@pytest.mark.parametrize("surgery_date", ["9999-12-31", "0001-01-01"])
def test_an_out_of_range_surgery_date_in_a_patient_edit_is_400_and_changes_nothing(surgeon_client, surgeon,
                                                                                 surgery_date):
    from tests.factories import PatientFactory

    patient = PatientFactory(surgeon=surgeon)
    before = patient.surgery_date
    answer = surgeon_client.patch(f"/api/v1/surgeon/patients/{patient.pk}/", {"surgery_date": surgery_date},
                                  format="json")
    assert answer.status_code == 400 and list(answer.json()) == ["surgery_date"]
    patient.refresh_from_db()
    assert patient.surgery_date == before


@pytest.mark.parametrize("field", ["temperature_unit", "note", "symptoms"])
def test_a_lone_surrogate_in_a_field_is_400_naming_it(patient_client, field):
    """An unknown choice repeated in its error message could not be rendered (a 500)."""
    value = '["\\ud800"]' if field == "symptoms" else '"\\ud800"'
    body = f'{{"client_id": "{uuid.uuid4()}", "pain_score": 3, "{field}": {value}}}'
    answer = post_raw(patient_client, "/api/v1/checkins/", body)
    assert answer.status_code == 400 and list(answer.json()) == [field]
    assert "surrogate" in answer.json()[field][0]


@pytest.mark.parametrize("body", ['{"\\udfff": 1, "pain_score": 3}', '"\\ud800"'])
def test_a_lone_surrogate_in_a_key_or_the_whole_body_is_400_non_field_errors(patient_client, body):
    answer = post_raw(patient_client, "/api/v1/checkins/", body)
    assert answer.status_code == 400 and list(answer.json()) == ["non_field_errors"]


def test_a_surrogate_pair_is_text_and_stored(patient_client):
    answer = post_raw(patient_client, "/api/v1/checkins/",
                      f'{{"client_id": "{uuid.uuid4()}", "pain_score": 3, "note": "ok \\ud83d\\ude00"}}')
    assert answer.status_code == 201 and answer.json()["note"] == "ok \U0001F600"


# zoneinfo reads a zone name as a path: a region is a directory (IsADirectoryError), a name past the file
# system's limit is ENAMETOOLONG; both OSError, which the validator did not catch (a 500).
NOT_ZONES = ["America", "Etc", "x" * 300]


@pytest.mark.parametrize("zone", NOT_ZONES)
def test_a_zone_name_that_is_a_region_or_too_long_is_400_in_the_patients_settings(patient_client, patient, zone):
    answer = patient_client.patch("/api/v1/me/", {"timezone": zone}, format="json")
    assert answer.status_code == 400 and list(answer.json()) == ["timezone"]
    patient.refresh_from_db()
    assert patient.timezone == "America/New_York"


@pytest.mark.parametrize("zone", NOT_ZONES)
def test_a_zone_name_that_is_a_region_or_too_long_is_400_at_enrollment_and_enrolls_nobody(surgeon_client, zone):
    answer = surgeon_client.post("/api/v1/surgeon/patients/", {**ENROLL, "surgery_date": date.today().isoformat(),
                                                               "timezone": zone}, format="json")
    assert answer.status_code == 400 and list(answer.json()) == ["timezone"]
    assert not Patient.objects.filter(display_name="New Patient").exists()


@pytest.mark.parametrize("zone", NOT_ZONES)
def test_a_zone_name_that_is_a_region_or_too_long_is_400_in_a_patient_edit(surgeon_client, surgeon, zone):
    from tests.factories import PatientFactory

    patient = PatientFactory(surgeon=surgeon)
    answer = surgeon_client.patch(f"/api/v1/surgeon/patients/{patient.pk}/", {"timezone": zone}, format="json")
    assert answer.status_code == 400 and list(answer.json()) == ["timezone"]
    patient.refresh_from_db()
    assert patient.timezone == "America/New_York"
