"""Patient endpoints that read the plan: me, timeline, restrictions, messages (shared/API.md)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from recovery.models import Milestone, Patient, User
from tests.factories import PatientFactory, PatientMessageFactory, SurgeonFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db

SURGERY = date(2026, 3, 1)
# 05:00 UTC on 11 March is still 10 March (21:00) in Los Angeles: recovery day 9 there, day 10 in UTC.
NOW = datetime(2026, 3, 11, 5, 0, tzinfo=UTC)


@pytest.fixture
def la_patient(db) -> Patient:
    return PatientFactory(enrolled=True, surgery_date=SURGERY, timezone="America/Los_Angeles", checkin_time=time(8, 30))


@pytest.fixture
def la_client(api_client, la_patient):
    # Forced rather than a bearer token: these tests travel in time, and a token issued now is not yet
    # valid in the past. A fresh User, so nothing cached from the factory leaks in.
    api_client.force_authenticate(User.objects.get(pk=la_patient.user_id))
    return api_client


# --- me --------------------------------------------------------------------------------------

def test_me_answers_the_profile_with_day_and_phase_in_the_patients_own_zone(la_client, la_patient):
    with time_machine.travel(NOW, tick=False):
        body = la_client.get("/api/v1/me/").json()
    assert body == {
        "id": la_patient.pk,
        "display_name": la_patient.display_name,
        "timezone": "America/Los_Angeles",
        "country": "US",
        "emergency_number": "911",
        "checkin_time": "08:30",
        "surgery_date": "2026-03-01",
        "recovery_day": 9,
        "phase": "early_healing",
        "phase_title": "Early healing",
        "language": "en",
        "pump": {
            "kind": "programmable",
            "drug": "morphine",
            "next_refill_date": (SURGERY + timedelta(days=90)).isoformat(),
            "battery_replacement_due": None,
            # contract 1.1, "The pump over its life"
            "model": "",
            "serial_number": "",
            "reservoir_volume_ml": None,
            "low_reservoir_alarm_ml": 2.0,
            "concentration": None,
            "concentration_unit": "mcg/mL",
            "daily_dose": None,
            "dose_unit": "mcg/day",
            "last_refill_date": None,
            "alarm_date": None,
            "refill_margin_short": False,
            "battery_replacement_soon": False,
            "mri_guidance": body["pump"]["mri_guidance"],
        },
    }
    assert body["pump"]["mri_guidance"]["status"] == "unknown"


def test_phase_changes_on_the_local_day_not_the_utc_day(la_client):
    # Day 14 (rehabilitation) starts at local midnight on 15 March, 07:00 UTC.
    with time_machine.travel(datetime(2026, 3, 15, 6, 59, tzinfo=UTC), tick=False):
        assert la_client.get("/api/v1/me/").json()["phase"] == "early_healing"
    with time_machine.travel(datetime(2026, 3, 15, 7, 0, tzinfo=UTC), tick=False):
        assert la_client.get("/api/v1/me/").json()["phase"] == "rehabilitation"


def test_patch_me_changes_timezone_and_checkin_time(la_client, la_patient):
    response = la_client.patch("/api/v1/me/", {"timezone": "Europe/Paris", "checkin_time": "07:45"})
    assert response.status_code == 200
    assert response.json()["timezone"] == "Europe/Paris" and response.json()["checkin_time"] == "07:45"
    la_patient.refresh_from_db()
    assert (la_patient.timezone, la_patient.checkin_time) == ("Europe/Paris", time(7, 45))


def test_a_checkin_time_sent_with_seconds_is_kept_as_the_minute_it_is_answered_as(la_client, la_patient):
    response = la_client.patch("/api/v1/me/", {"checkin_time": "07:45:30"})
    assert response.status_code == 200 and response.json()["checkin_time"] == "07:45"
    la_patient.refresh_from_db()
    assert la_patient.checkin_time == time(7, 45)


def test_patch_me_changes_one_field_alone(la_client, la_patient):
    assert la_client.patch("/api/v1/me/", {"checkin_time": "20:00"}).status_code == 200
    la_patient.refresh_from_db()
    assert (la_patient.timezone, la_patient.checkin_time) == ("America/Los_Angeles", time(20, 0))


def test_patch_me_ignores_fields_the_patient_may_not_change(la_client, la_patient):
    la_client.patch("/api/v1/me/", {"surgery_date": "2020-01-01", "display_name": "Someone"})
    la_patient.refresh_from_db()
    assert la_patient.surgery_date == SURGERY and la_patient.display_name != "Someone"


# --- timeline --------------------------------------------------------------------------------

def test_timeline_lists_milestones_in_date_order_with_status_on_the_local_today(la_client, la_patient):
    Milestone.objects.filter(patient=la_patient, key="discharge").update(completed_at=NOW - timedelta(days=9))
    with time_machine.travel(NOW, tick=False):
        response = la_client.get("/api/v1/timeline/")
    assert response.status_code == 200
    rows = response.json()
    assert [row["due_date"] for row in rows] == sorted(row["due_date"] for row in rows)
    status = {row["key"]: row["status"] for row in rows}
    assert status == {
        "discharge": "done",
        "incision_care": "due",
        "wound_check": "upcoming",  # due 11 March: still tomorrow in Los Angeles
        "physical_therapy_start": "upcoming",
        "binder_period_end": "upcoming",
        "return_to_normal_activity": "upcoming",
    }
    assert set(rows[0]) == {"key", "title", "due_date", "status", "completed_at", "done_by"}
    assert rows[0]["completed_at"] is not None


def test_a_milestone_nobody_ticked_is_not_overdue_merely_because_its_window_passed(la_client):
    # Day 9 in Los Angeles: nobody marked "Discharged home", but the patient is home (recovery.overdue).
    with time_machine.travel(NOW, tick=False):
        rows = la_client.get("/api/v1/timeline/").json()
    assert {row["key"]: row["status"] for row in rows}["discharge"] == "due"


def test_the_wound_check_becomes_overdue_three_days_after_its_window(la_client):
    # Due on day 10, window 4 days, overdue after 3 more: day 17 is still "due", day 18 is "overdue".
    def wound_check_status(day: int) -> str:
        with time_machine.travel(NOW + timedelta(days=day - 9), tick=False):  # NOW is day 9 in LA
            rows = la_client.get("/api/v1/timeline/").json()
        return {row["key"]: row["status"] for row in rows}["wound_check"]

    assert wound_check_status(17) == "due"
    assert wound_check_status(18) == "overdue"


def test_timeline_shows_only_the_callers_milestones(la_client, la_patient):
    PatientFactory(enrolled=True)
    keys = [row["key"] for row in la_client.get("/api/v1/timeline/").json()]
    assert len(keys) == len(set(keys)) == Milestone.objects.filter(patient=la_patient).count()


# --- restrictions ----------------------------------------------------------------------------

def restriction_keys(client, query=""):
    response = client.get(f"/api/v1/restrictions/{query}")
    assert response.status_code == 200
    return {row["key"] for row in response.json()}


def test_restrictions_for_a_date_are_those_in_force_that_day(la_client):
    on_day_13 = restriction_keys(la_client, "?date=2026-03-14")
    on_day_14 = restriction_keys(la_client, "?date=2026-03-15")
    assert "no_driving_on_opioids" in on_day_13 and "no_driving_on_opioids" not in on_day_14
    assert "no_heavy_lifting" in on_day_14
    assert restriction_keys(la_client, "?date=2026-06-01") == set()


def test_restrictions_default_to_the_patients_local_today(la_client):
    # 14 March 23:30 in Los Angeles (day 13) is already 15 March in UTC (day 14).
    with time_machine.travel(datetime(2026, 3, 15, 6, 30, tzinfo=UTC), tick=False):
        assert "no_driving_on_opioids" in restriction_keys(la_client)


def test_restriction_rows_carry_the_fields_of_the_contract(la_client):
    row = la_client.get("/api/v1/restrictions/?date=2026-03-02").json()[0]
    assert set(row) == {"key", "title", "instructions", "starts_on", "ends_on"}


@pytest.mark.parametrize("bad", ["03/10/2026", "2026-02-30", "yesterday", "2026-03-10T00:00:00"])
def test_malformed_restrictions_date_is_400_naming_date(la_client, bad):
    response = la_client.get("/api/v1/restrictions/", {"date": bad})
    assert response.status_code == 400
    assert list(response.json()) == ["date"]


# --- messages --------------------------------------------------------------------------------

def test_messages_list_the_callers_own_newest_first(la_client, la_patient):
    surgeon_user = la_patient.surgeon.user
    older = PatientMessageFactory(patient=la_patient, created_at=NOW - timedelta(days=1), sender=surgeon_user)
    newer = PatientMessageFactory(patient=la_patient, created_at=NOW)
    PatientMessageFactory(patient=PatientFactory(enrolled=True))  # someone else's
    body = la_client.get("/api/v1/messages/").json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    assert body["results"][1]["sender_name"] == la_patient.surgeon.display_name
    assert set(body["results"][0]) == {"id", "kind", "title", "body", "sender_name", "escalation_id", "created_at",
                                       "sender", "client_id"}  # API.md 1.1 adds sender (and the phone's client_id)


def test_messages_are_paginated_by_50(la_client, la_patient):
    PatientMessageFactory.create_batch(51, patient=la_patient)
    first = la_client.get("/api/v1/messages/").json()
    assert (first["count"], len(first["results"])) == (51, 50) and first["next"]
    assert len(la_client.get(first["next"]).json()["results"]) == 1


def test_a_cursor_the_list_did_not_hand_out_is_404(la_client):
    response = la_client.get("/api/v1/messages/?cursor=not-a-cursor")
    assert response.status_code == 404 and "detail" in response.json()


def test_a_patient_whose_surgeon_is_someone_else_still_sees_only_their_own_data(api_client):
    surgeon = SurgeonFactory()
    mine, theirs = PatientFactory(enrolled=True, surgeon=surgeon), PatientFactory(enrolled=True, surgeon=surgeon)
    PatientMessageFactory(patient=theirs)
    bearer(api_client, mine.user)
    assert api_client.get("/api/v1/messages/").json()["count"] == 0
