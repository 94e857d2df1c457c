"""`Location` on every 201; `ETag` / `If-None-Match` on the profile, the timeline and education."""
from __future__ import annotations

import uuid

import pytest

from tests.factories import PatientFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/timeline/", "/api/v1/education/"])
def test_an_unchanged_answer_is_304_without_body(patient_client, path):
    first = patient_client.get(path)
    etag = first["ETag"]
    assert first.status_code == 200 and etag and "private" in first["Cache-Control"]
    again = patient_client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag


def test_a_changed_profile_has_a_new_etag_and_a_full_answer(patient_client):
    etag = patient_client.get("/api/v1/me/")["ETag"]
    assert patient_client.patch("/api/v1/me/", {"checkin_time": "07:15"}).status_code == 200
    changed = patient_client.get("/api/v1/me/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag and changed.json()["checkin_time"] == "07:15"


def test_another_patients_etag_does_not_match(api_client, patient_client):
    etag = patient_client.get("/api/v1/me/")["ETag"]
    other = bearer(api_client, PatientFactory(enrolled=True).user)
    assert other.get("/api/v1/me/", HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/checkins/", {"pain_score": 2}),
    ("/api/v1/incision-checks/", {"site": "back"}),
    ("/api/v1/warning-reports/", {"symptoms": ["fever"]}),
])
def test_a_created_report_is_where_location_says_and_a_retry_says_the_same(patient_client, path, body):
    body = {"client_id": str(uuid.uuid4()), **body}
    created = patient_client.post(path, body)
    assert created.status_code == 201
    location = created["Location"]
    assert location.startswith("http://testserver/api/v1/")
    assert patient_client.get(location).json() == created.json()
    retry = patient_client.post(path, body)
    assert retry.status_code == 200 and retry["Location"] == location


def test_someone_elses_report_location_is_404(api_client, patient_client):
    location = patient_client.post("/api/v1/checkins/", {"client_id": str(uuid.uuid4()), "pain_score": 2})["Location"]
    other = bearer(api_client, PatientFactory(enrolled=True).user)
    assert other.get(location).status_code == 404


def test_enrollment_location_is_the_new_patient(surgeon_client):
    created = surgeon_client.post("/api/v1/surgeon/patients/", {
        "display_name": "New Patient", "surgery_date": "2026-11-20", "timezone": "Europe/London",
        "pump": {"kind": "programmable", "drug": "baclofen", "next_refill_date": "2027-02-18"}})
    assert created.status_code == 201
    assert created["Location"].endswith(f"/api/v1/surgeon/patients/{created.json()['id']}/")
    assert surgeon_client.get(created["Location"]).json()["id"] == created.json()["id"]


def test_device_location_is_where_it_is_unregistered(patient_client):
    created = patient_client.post("/api/v1/devices/", {"token": "tok:abc-123", "platform": "android"})
    assert created.status_code == 201
    assert patient_client.delete(created["Location"]).status_code == 204
