"""Surgeon endpoints: enroll, patients list and detail, inbox and acknowledge; access and audit."""
from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from recovery.api.pagination import LinkHeaderPagination
from recovery.models import ActivationCode, AuditEvent, Escalation, Milestone, Patient
from recovery.services.accounts import hash_activation_code
from tests.factories import (
    CheckInFactory,
    EscalationFactory,
    EscalationReportFactory,
    IncisionCheckFactory,
    PatientFactory,
    SurgeonFactory,
)
from tests.support import bearer

pytestmark = pytest.mark.django_db

# Relative to today in Denver: a next refill date in the past is refused (contract 1.1).
SURGERY = timezone.now().astimezone(ZoneInfo("America/Denver")).date() - timedelta(days=3)
REFILL = SURGERY + timedelta(days=90)
ENROLLMENT = {
    "display_name": "Grace Hopper",
    "surgery_date": SURGERY.isoformat(),
    "timezone": "America/Denver",
    "pump": {"kind": "fixed_rate", "drug": "baclofen", "next_refill_date": REFILL.isoformat()},
}


# --- Enrollment ------------------------------------------------------------------------------

def test_enrollment_creates_the_patient_with_plan_and_answers_the_code_once(surgeon_client, surgeon):
    response = surgeon_client.post("/api/v1/surgeon/patients/", ENROLLMENT)
    assert response.status_code == 201
    answer = response.json()
    patient = Patient.objects.select_related("pump").get(pk=answer["id"])
    assert (patient.surgeon, patient.display_name, patient.surgery_date, patient.timezone, patient.user) == (
        surgeon, "Grace Hopper", SURGERY, "America/Denver", None)
    assert (patient.pump.kind, patient.pump.drug, patient.pump.next_refill_date) == (
        "fixed_rate", "baclofen", REFILL)
    assert Milestone.objects.filter(patient=patient).exists()
    code = ActivationCode.objects.get(patient=patient)
    assert code.code_hash == hash_activation_code(answer["activation_code"])
    assert answer["activation_expires_at"] and answer["pump"]["drug"] == "baclofen"
    assert "recovery_day" in answer and "phase" in answer


def test_the_enrolled_patient_can_activate_with_the_code(surgeon_client, api_client):
    code = surgeon_client.post("/api/v1/surgeon/patients/", ENROLLMENT).json()["activation_code"]
    api_client.credentials()
    response = api_client.post("/api/v1/auth/activate/", {"code": code, "username": "grace",
                                                           "password": "Lilac-Harbor-91"})
    assert response.status_code == 201


def test_enrollment_is_audited(surgeon_client, surgeon):
    patient_id = surgeon_client.post("/api/v1/surgeon/patients/", ENROLLMENT).json()["id"]
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.patient_id) == (surgeon.user, "create", patient_id)


def test_an_enrollment_retried_with_its_client_id_enrolls_one_patient(surgeon_client):
    body = {**ENROLLMENT, "client_id": str(uuid.uuid4())}
    first = surgeon_client.post("/api/v1/surgeon/patients/", body, format="json")
    assert first.status_code == 201 and first.json()["activation_code"]
    again = surgeon_client.post("/api/v1/surgeon/patients/", body, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and "activation_code" not in again.json()
    assert Patient.objects.count() == 1 and ActivationCode.objects.count() == 1
    assert AuditEvent.objects.filter(action="create").count() == 1


def test_an_enrollment_client_id_reused_for_another_patient_is_409(surgeon_client):
    body = {**ENROLLMENT, "client_id": str(uuid.uuid4())}
    assert surgeon_client.post("/api/v1/surgeon/patients/", body, format="json").status_code == 201
    conflict = surgeon_client.post("/api/v1/surgeon/patients/", {**body, "display_name": "Alan Turing"},
                                   format="json")
    assert conflict.status_code == 409 and list(conflict.json()) == ["client_id"]
    assert body["client_id"] in conflict.json()["client_id"][0]  # the key the caller reused, named
    assert list(Patient.objects.values_list("display_name", flat=True)) == ["Grace Hopper"]


def test_an_enrollment_without_client_id_enrolls_every_time_as_before(surgeon_client):
    assert [surgeon_client.post("/api/v1/surgeon/patients/", ENROLLMENT, format="json").status_code
            for _ in range(2)] == [201, 201]
    assert Patient.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"surgery_date": "02/03/2026"}, "surgery_date"),
        ({"surgery_date": "2026-02-30"}, "surgery_date"),
        ({"display_name": ""}, "display_name"),
        ({"pump": {"kind": "steam", "drug": "morphine"}}, "pump"),
        ({"pump": {"kind": "programmable", "drug": "morphine", "next_refill_date": "soon"}}, "pump"),
        ({"pump": "programmable"}, "pump"),
        ({"checkin_time": "25:00"}, "checkin_time"),
    ],
)
def test_bad_enrollment_is_400_naming_the_field_and_stores_nothing(surgeon_client, change, field):
    response = surgeon_client.post("/api/v1/surgeon/patients/", {**ENROLLMENT, **change})
    assert response.status_code == 400 and list(response.json()) == [field]
    assert not Patient.objects.exists() and not AuditEvent.objects.exists()


# --- Patients list and detail ----------------------------------------------------------------

def test_patients_list_shows_own_patients_with_day_last_checkin_and_open_escalations(surgeon_client, surgeon):
    ada = PatientFactory(enrolled=True, surgeon=surgeon, display_name="Ada",
                         surgery_date=timezone.now().date() - timedelta(days=5))
    PatientFactory(enrolled=True, surgeon=surgeon, display_name="Bob")
    PatientFactory(enrolled=True, display_name="Someone else's")
    CheckInFactory(patient=ada, created_at=timezone.now() - timedelta(days=1), pain_score=2)
    last = CheckInFactory(patient=ada, pain_score=6)
    # 1.1: one open case per patient; a report joining it adds no second open escalation
    EscalationReportFactory(escalation=EscalationFactory(warning_report__patient=ada))
    EscalationFactory(warning_report__patient=ada, acknowledged_at=timezone.now(), resolved_at=timezone.now())
    body = surgeon_client.get("/api/v1/surgeon/patients/").json()
    assert body["count"] == 2
    rows = {row["display_name"]: row for row in body["results"]}
    assert set(rows) == {"Ada", "Bob"}
    assert rows["Ada"]["recovery_day"] == ada.recovery_day()
    assert rows["Ada"]["open_escalations_count"] == 1 and rows["Bob"]["open_escalations_count"] == 0
    assert rows["Ada"]["last_checkin"]["id"] == last.pk and rows["Ada"]["last_checkin"]["pain_score"] == 6
    assert rows["Bob"]["last_checkin"] is None
    assert rows["Ada"]["activated"] is True


def test_patients_list_read_is_audited_per_patient(surgeon_client, surgeon):
    patients = [PatientFactory(enrolled=True, surgeon=surgeon) for _ in range(3)]
    surgeon_client.get("/api/v1/surgeon/patients/")
    events = AuditEvent.objects.filter(actor=surgeon.user, action="view")
    assert sorted(events.values_list("patient_id", flat=True)) == sorted(p.pk for p in patients)
    assert events.first().path == "/api/v1/surgeon/patients/"


def test_patient_detail_has_timeline_recent_reports_and_escalations(surgeon_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    checkin = CheckInFactory(patient=patient)
    incision = IncisionCheckFactory(patient=patient, redness=True)
    escalation = EscalationFactory(warning_report__patient=patient)
    response = surgeon_client.get(f"/api/v1/surgeon/patients/{patient.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == patient.pk and body["pump"]["drug"] == "morphine"
    assert [row["key"] for row in body["timeline"]][0] == "discharge"
    assert {"status", "due_date"} <= set(body["timeline"][0])
    assert [row["id"] for row in body["recent_checkins"]] == [checkin.pk]
    assert [row["id"] for row in body["recent_incision_checks"]] == [incision.pk]
    assert [row["id"] for row in body["recent_warning_reports"]] == [escalation.warning_report_id]
    assert [row["id"] for row in body["escalations"]] == [escalation.pk]


def test_patient_detail_read_is_audited(surgeon_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    surgeon_client.get(f"/api/v1/surgeon/patients/{patient.pk}/")
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.patient, event.object_type) == (
        surgeon.user, "view", patient, "recovery.Patient")


def test_another_surgeons_patient_is_404(surgeon_client):
    other = PatientFactory(enrolled=True)
    assert surgeon_client.get(f"/api/v1/surgeon/patients/{other.pk}/").status_code == 404
    assert not AuditEvent.objects.exists()


def test_an_unknown_patient_id_is_404(surgeon_client):
    assert surgeon_client.get("/api/v1/surgeon/patients/999999/").status_code == 404


def test_a_backup_surgeon_sees_a_patient_whose_escalation_was_passed_on(api_client):
    backup = SurgeonFactory()
    patient = PatientFactory(enrolled=True)
    escalation = EscalationFactory(warning_report__patient=patient, escalated_to=backup, escalated_at=timezone.now())
    bearer(api_client, backup.user)
    assert api_client.get(f"/api/v1/surgeon/patients/{patient.pk}/").status_code == 200
    assert [row["id"] for row in api_client.get("/api/v1/surgeon/patients/").json()["results"]] == [patient.pk]
    assert [row["id"] for row in api_client.get("/api/v1/surgeon/inbox/").json()] == [escalation.pk]



def test_a_patient_reached_both_ways_is_listed_once(api_client):
    """Enrolled under the surgeon and with cases passed on to them (an earlier, resolved one too): one row,
    one count, as for a patient reached one way only."""
    surgeon, other = SurgeonFactory(), SurgeonFactory()
    own = PatientFactory(enrolled=True, surgeon=surgeon)
    passed_on = PatientFactory(enrolled=True, surgeon=other)
    now = timezone.now()
    for patient in (own, passed_on):
        EscalationFactory(warning_report__patient=patient, escalated_to=surgeon, escalated_at=now, resolved_at=now)
        EscalationFactory(warning_report__patient=patient, escalated_to=surgeon, escalated_at=now)
    bearer(api_client, surgeon.user)
    page = api_client.get("/api/v1/surgeon/patients/").json()
    assert sorted(row["id"] for row in page["results"]) == sorted([own.pk, passed_on.pk])
    assert page["count"] == 2

# --- Inbox and acknowledge -------------------------------------------------------------------

def test_inbox_is_unacknowledged_first_then_most_severe_then_newest(surgeon_client, surgeon):
    now = timezone.now()

    def escalation(level, minutes_ago, acknowledged=False):
        return EscalationFactory(  # 1.1: one open case per patient, so one patient each
            warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon), level=level, reasons=["x"],
            created_at=now - timedelta(minutes=minutes_ago),
            acknowledged_at=now if acknowledged else None,
        )

    acked_emergency = escalation("emergency", 1, acknowledged=True)
    old_urgent = escalation("urgent", 30)
    new_urgent = escalation("urgent", 5)
    old_emergency = escalation("emergency", 60)
    ids = [row["id"] for row in surgeon_client.get("/api/v1/surgeon/inbox/").json()]
    assert ids == [old_emergency.pk, new_urgent.pk, old_urgent.pk, acked_emergency.pk]


def test_inbox_items_carry_the_fields_of_the_contract(surgeon_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon, display_name="Ada")
    escalation = EscalationFactory(warning_report__patient=patient)
    item = surgeon_client.get("/api/v1/surgeon/inbox/").json()[0]
    assert {"id", "patient", "level", "reasons", "created_at", "acknowledged_at", "escalated_to"} <= set(item)
    assert item["patient"] == {"id": patient.pk, "display_name": "Ada"}
    assert (item["id"], item["level"], item["reasons"]) == (escalation.pk, "emergency", ["difficulty_breathing"])
    assert item["acknowledged_at"] is None and item["escalated_to"] is None
    assert item["source"] == {"type": "warning_report", "id": escalation.warning_report_id}


def test_inbox_excludes_other_surgeons_escalations(surgeon_client, surgeon):
    EscalationFactory()
    assert surgeon_client.get("/api/v1/surgeon/inbox/").json() == []


def test_inbox_is_a_json_array_paged_by_link_headers(surgeon_client, surgeon, monkeypatch):
    monkeypatch.setattr(LinkHeaderPagination, "page_size", 2)
    for _ in range(3):
        EscalationFactory(warning_report__patient__surgeon=surgeon)
    first = surgeon_client.get("/api/v1/surgeon/inbox/")
    assert isinstance(first.json(), list) and len(first.json()) == 2
    assert first["X-Total-Count"] == "3"
    next_url = first["Link"].split(";")[0].strip("<>")
    second = surgeon_client.get(next_url)
    assert len(second.json()) == 1 and 'rel="prev"' in second["Link"] and 'rel="next"' not in second["Link"]
    assert {row["id"] for row in first.json() + second.json()} == set(Escalation.objects.values_list("id", flat=True))


def test_inbox_read_is_audited_once_per_patient(surgeon_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    case = EscalationFactory(warning_report__patient=patient)
    EscalationReportFactory.create_batch(2, escalation=case)  # 1.1: three reports in one case
    surgeon_client.get("/api/v1/surgeon/inbox/")
    assert list(AuditEvent.objects.values_list("patient_id", "object_type")) == [(patient.pk, "recovery.Escalation")]


def test_acknowledge_marks_it_seen_by_the_caller(surgeon_client, surgeon):
    escalation = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{escalation.pk}/acknowledge/")
    assert response.status_code == 200
    escalation.refresh_from_db()
    assert escalation.acknowledged_by == surgeon.user and escalation.acknowledged_at is not None
    assert response.json()["acknowledged_at"] is not None
    assert response.json()["acknowledged_by"] == surgeon.user.username


def test_acknowledge_is_idempotent_and_keeps_the_first(surgeon_client, surgeon):
    escalation = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    first = surgeon_client.post(f"/api/v1/surgeon/inbox/{escalation.pk}/acknowledge/").json()
    again = surgeon_client.post(f"/api/v1/surgeon/inbox/{escalation.pk}/acknowledge/")
    assert again.status_code == 200 and again.json()["acknowledged_at"] == first["acknowledged_at"]


def test_acknowledge_is_audited(surgeon_client, surgeon):
    escalation = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    surgeon_client.post(f"/api/v1/surgeon/inbox/{escalation.pk}/acknowledge/")
    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.object_id) == (
        "acknowledge", "recovery.Escalation", str(escalation.pk))


def test_acknowledging_another_surgeons_escalation_is_404_and_changes_nothing(surgeon_client):
    escalation = EscalationFactory()
    assert surgeon_client.post(f"/api/v1/surgeon/inbox/{escalation.pk}/acknowledge/").status_code == 404
    assert Escalation.objects.get().acknowledged_at is None


def test_acknowledging_an_unknown_escalation_is_404(surgeon_client):
    assert surgeon_client.post("/api/v1/surgeon/inbox/424242/acknowledge/").status_code == 404


def test_the_backup_may_acknowledge_what_was_passed_on_to_them(api_client):
    backup = SurgeonFactory()
    escalation = EscalationFactory(escalated_to=backup, escalated_at=timezone.now())
    bearer(api_client, backup.user)
    assert api_client.post(f"/api/v1/surgeon/inbox/{escalation.pk}/acknowledge/").status_code == 200
    escalation.refresh_from_db()
    assert escalation.acknowledged_by == backup.user


def test_an_escalation_from_a_report_appears_in_the_surgeons_inbox(api_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    bearer(api_client, patient.user).post("/api/v1/warning-reports/", {
        "client_id": "7a5d1d7e-4f4c-4e25-9c64-0a9d2f3b1c11", "symptoms": ["withdrawal_signs", "pump_alarm"]})
    bearer(api_client, surgeon.user)
    item = api_client.get("/api/v1/surgeon/inbox/").json()[0]
    assert (item["level"], item["reasons"]) == ("emergency", ["withdrawal_signs", "pump_alarm"])
