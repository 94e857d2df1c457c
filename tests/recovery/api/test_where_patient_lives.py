"""shared/API.md 1.1 "Where the patient lives": country, emergency number and language in `me`, country
by PATCH, and the number named in emergency advice, the printed handout and the demo data."""
from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from recovery.models import Patient
from tests.factories import PatientFactory, SurgeonFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("zone", "country", "number"),
    [("America/New_York", "US", "911"), ("Europe/London", "GB", "999"), ("Asia/Tokyo", "JP", "119"),
     ("Australia/Sydney", "AU", "000"), ("Pacific/Auckland", "NZ", "111"), ("Europe/Madrid", "ES", "112"),
     ("UTC", None, "112")],
)
def test_me_answers_the_country_of_the_time_zone_and_its_emergency_number(api_client, zone, country, number):
    patient = PatientFactory(enrolled=True, timezone=zone)
    body = bearer(api_client, patient.user).get("/api/v1/me/").json()
    assert (body["country"], body["emergency_number"], body["language"]) == (country, number, "en")


def test_patch_me_sets_the_country_and_the_number_follows(api_client):
    patient = PatientFactory(enrolled=True, timezone="Europe/London")
    client = bearer(api_client, patient.user)
    body = client.patch("/api/v1/me/", {"country": "ie"}, format="json").json()
    assert (body["country"], body["emergency_number"], body["timezone"]) == ("IE", "112", "Europe/London")
    patient.refresh_from_db()
    assert patient.country == "IE"


def test_patch_me_with_an_empty_country_goes_back_to_the_time_zones(api_client):
    patient = PatientFactory(enrolled=True, timezone="Asia/Tokyo", country="US")
    client = bearer(api_client, patient.user)
    assert client.get("/api/v1/me/").json()["emergency_number"] == "911"
    body = client.patch("/api/v1/me/", {"country": ""}, format="json").json()
    assert (body["country"], body["emergency_number"]) == ("JP", "119")


def test_a_country_set_by_hand_stays_when_the_time_zone_changes(api_client):
    patient = PatientFactory(enrolled=True, timezone="Europe/London", country="GB")
    body = bearer(api_client, patient.user).patch("/api/v1/me/", {"timezone": "Europe/Paris"}, format="json").json()
    assert (body["country"], body["emergency_number"]) == ("GB", "999")


def test_the_default_country_follows_a_time_zone_change(api_client):
    patient = PatientFactory(enrolled=True, timezone="Europe/London")
    body = bearer(api_client, patient.user).patch("/api/v1/me/", {"timezone": "Australia/Perth"}, format="json").json()
    assert (body["country"], body["emergency_number"]) == ("AU", "000")


@pytest.mark.parametrize("bad", ["XX", "GBR", "U", "UK", 44, None])
def test_an_unknown_country_is_a_400_naming_the_field_and_changes_nothing(api_client, bad):
    patient = PatientFactory(enrolled=True, timezone="Europe/London")
    response = bearer(api_client, patient.user).patch(
        "/api/v1/me/", {"country": bad, "checkin_time": "07:00"}, format="json"
    )
    assert response.status_code == 400 and "country" in response.json()
    patient.refresh_from_db()
    assert (patient.country, patient.checkin_time.hour) == ("", 9)


def test_emergency_advice_names_the_patients_own_number(api_client):
    patient = PatientFactory(enrolled=True, timezone="Asia/Tokyo")
    answer = bearer(api_client, patient.user).post(
        "/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": ["chest_pain"]}, format="json"
    ).json()
    assert answer["triage"]["level"] == "emergency"
    assert answer["triage"]["advice"].startswith("Call 119 now.") and "911" not in answer["triage"]["advice"]


def test_surgeon_enrollment_may_set_the_country(api_client):
    surgeon = SurgeonFactory()
    body = bearer(api_client, surgeon.user).post("/api/v1/surgeon/patients/", {
        "display_name": "Nia", "surgery_date": "2026-03-01", "timezone": "Europe/London", "country": "NZ",
        "pump": {"kind": "programmable", "drug": "other"},
    }, format="json").json()
    assert (body["country"], body["emergency_number"]) == ("NZ", "111")


def test_the_printed_handout_names_the_patients_emergency_number(client):
    surgeon = SurgeonFactory()
    client.force_login(surgeon.user)
    response = client.post(reverse("dashboard:enroll"), {
        "display_name": "Sid Ney", "surgery_date": "2026-03-01", "timezone": "Australia/Sydney",
        "checkin_time": "09:00", "pump_kind": "programmable", "pump_drug": "other", "binder_prescribed": "on",
        "next_refill_date": "", "battery_replacement_due": "", "submission_id": str(uuid.uuid4()),
    }, follow=True)
    page = response.content.decode()
    assert Patient.objects.filter(display_name="Sid Ney").exists(), page[:2000]
    assert "call 000" in page and "911" not in page


def test_demo_data_has_patients_outside_the_us_with_their_own_emergency_numbers():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    numbers = {p.user.username: (p.country_code, p.emergency_number) for p in Patient.objects.select_related("user")}
    assert numbers["chloe"] == ("GB", "999") and numbers["daiki"] == ("JP", "119") and numbers["emma"] == ("AU", "000")
    assert "emergency number 999" in out.getvalue() and "emergency number 000" in out.getvalue()


def test_a_note_only_warning_report_shows_the_patients_words_in_the_dashboard_inbox(api_client, client):
    patient = PatientFactory(enrolled=True, timezone="Europe/London")
    bearer(api_client, patient.user).post("/api/v1/warning-reports/", {
        "client_id": str(uuid.uuid4()), "symptoms": [], "note": "I can't breathe properly and I'm so sleepy",
    }, format="json")
    client.force_login(patient.surgeon.user)
    page = client.get(reverse("dashboard:inbox")).content.decode()
    assert "I can&#x27;t breathe properly and I&#x27;m so sleepy" in page
