"""The care team of shared/API.md 1.1 "Care team and messages": nurses in surgeons' teams, patient
contact details, and two-way messages with pushes both ways."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Notification
from recovery.models import AuditEvent, Escalation, Nurse, Patient, PatientMessage, User
from recovery.services import escalations, messages
from tests.factories import (
    PASSWORD,
    DeviceFactory,
    EscalationFactory,
    NurseFactory,
    PatientFactory,
    SurgeonFactory,
    UserFactory,
)
from tests.support import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    """Dr. Team's patient, a nurse in Dr. Team's team, and a patient of another surgeon."""
    surgeon = SurgeonFactory(display_name="Dr. Team")
    nurse = NurseFactory(teams=[surgeon], display_name="Nurse Noor")
    mine = PatientFactory(surgeon=surgeon, enrolled=True, display_name="Mina Mine")
    other = PatientFactory(enrolled=True, display_name="Otto Other")
    return surgeon, nurse, mine, other


def client_of(user: User | None) -> APIClient:
    if user is None:
        raise ValueError("an activated patient or a staff login is needed")
    return bearer(APIClient(), user)


# --- nurses ----------------------------------------------------------------------------------

def test_a_nurse_lists_the_patients_of_their_team_only(team):
    _, nurse, mine, _ = team
    body = client_of(nurse.user).get("/api/v1/surgeon/patients/").json()
    assert [row["id"] for row in body["results"]] == [mine.pk]


def test_a_nurse_opens_their_teams_patient_and_gets_404_for_any_other(team):
    _, nurse, mine, other = team
    client = client_of(nurse.user)
    assert client.get(f"/api/v1/surgeon/patients/{mine.pk}/").status_code == 200
    assert client.get(f"/api/v1/surgeon/patients/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/surgeon/patients/{other.pk}/messages/").status_code == 404
    reply = client.post(f"/api/v1/surgeon/patients/{other.pk}/messages/", {"body": "hi"}, format="json")
    assert reply.status_code == 404
    assert client.patch(f"/api/v1/surgeon/patients/{other.pk}/", {"phone": "+12125550100"},
                        format="json").status_code == 404


def test_a_nurse_in_two_teams_sees_both_surgeons_patients(team):
    surgeon, _, mine, other = team
    nurse = NurseFactory(teams=[surgeon, other.surgeon])
    body = client_of(nurse.user).get("/api/v1/surgeon/patients/").json()
    assert {row["id"] for row in body["results"]} == {mine.pk, other.pk}


def test_a_nurse_sees_and_acknowledges_the_teams_escalations_but_not_others(team):
    _, nurse, mine, other = team
    own = EscalationFactory(warning_report__patient=mine)
    foreign = EscalationFactory(warning_report__patient=other)
    client = client_of(nurse.user)
    assert [row["id"] for row in client.get("/api/v1/surgeon/inbox/").json()] == [own.pk]
    assert client.post(f"/api/v1/surgeon/inbox/{foreign.pk}/acknowledge/").status_code == 404
    response = client.post(f"/api/v1/surgeon/inbox/{own.pk}/acknowledge/")
    assert response.status_code == 200
    own.refresh_from_db()
    assert own.acknowledged_by == nurse.user
    assert AuditEvent.objects.filter(actor=nurse.user, action="acknowledge", object_id=str(own.pk)).exists()


def test_a_nurse_also_sees_an_escalation_passed_on_to_their_surgeon(team):
    surgeon, nurse, _, other = team
    passed = EscalationFactory(warning_report__patient=other, escalated_to=surgeon, escalated_at=timezone.now())
    client = client_of(nurse.user)
    assert [row["id"] for row in client.get("/api/v1/surgeon/inbox/").json()] == [passed.pk]
    assert client.get(f"/api/v1/surgeon/patients/{other.pk}/").status_code == 200


def test_a_nurse_enrolls_a_patient_under_their_only_team(team):
    surgeon, nurse, _, _ = team
    response = client_of(nurse.user).post("/api/v1/surgeon/patients/", {
        "display_name": "New Person", "surgery_date": "2026-12-01", "timezone": "America/Chicago",
        "pump": {"kind": "programmable", "drug": "baclofen", "next_refill_date": "2027-03-01"},
        "phone": "(312) 555-0142", "emergency_contact_name": "Sam Person",
        "emergency_contact_phone": "+44 20 7946 0958",
        "preferred_contact_time": "afternoons",
    }, format="json")
    assert response.status_code == 201, response.json()
    patient = Patient.objects.get(pk=response.json()["id"])
    assert patient.surgeon == surgeon
    assert (patient.phone, patient.emergency_contact_phone) == ("+13125550142", "+442079460958")
    assert AuditEvent.objects.filter(actor=nurse.user, action="create", patient=patient).exists()


def test_a_nurse_in_several_teams_must_name_a_surgeon_of_theirs(team):
    surgeon, _, _, other = team
    nurse = NurseFactory(teams=[surgeon, other.surgeon])
    stranger = SurgeonFactory()
    body = {"display_name": "X", "surgery_date": "2026-12-01", "timezone": "UTC",
            "pump": {"kind": "programmable", "drug": "baclofen", "next_refill_date": "2027-03-01"}}
    client = client_of(nurse.user)
    assert set(client.post("/api/v1/surgeon/patients/", body, format="json").json()) == {"surgeon_id"}
    refused = client.post("/api/v1/surgeon/patients/", {**body, "surgeon_id": stranger.pk}, format="json")
    assert refused.status_code == 400 and set(refused.json()) == {"surgeon_id"}
    assert Patient.objects.filter(display_name="X").count() == 0
    ok = client.post("/api/v1/surgeon/patients/", {**body, "surgeon_id": other.surgeon.pk}, format="json")
    assert ok.status_code == 201 and Patient.objects.get(display_name="X").surgeon == other.surgeon


def test_staff_and_patients_may_not_use_the_care_team_api(team):
    _, _, mine, _ = team
    assert client_of(UserFactory(role=User.Role.STAFF)).get("/api/v1/surgeon/patients/").status_code == 403
    assert client_of(mine.user).get("/api/v1/surgeon/patients/").status_code == 403


def test_create_nurse_puts_the_nurse_in_each_named_team():
    first, second = SurgeonFactory(), SurgeonFactory()
    call_command("create_nurse", "--username", "nina", "--password", PASSWORD,
                 "--team", first.user.username, "--team", second.user.username)
    nurse = Nurse.objects.get(user__username="nina")
    assert nurse.user.role == User.Role.NURSE and nurse.user.check_password(PASSWORD)
    assert set(nurse.teams.all()) == {first, second}


def test_create_nurse_refuses_an_unknown_team_and_creates_nothing():
    with pytest.raises(CommandError, match="No surgeon"):
        call_command("create_nurse", "--username", "nina", "--password", PASSWORD, "--team", "nobody")
    assert not User.objects.filter(username="nina").exists()


def test_escalation_pushes_reach_the_surgeon_and_the_nurses_of_the_team(team):
    surgeon, nurse, mine, _ = team
    surgeon_device, nurse_device = DeviceFactory(user=surgeon.user), DeviceFactory(user=nurse.user)
    outsider_device = DeviceFactory(user=NurseFactory().user)
    client_of(mine.user).post("/api/v1/warning-reports/", {
        "client_id": str(uuid.uuid4()), "symptoms": ["difficulty_breathing"], "note": ""}, format="json")
    devices = set(Notification.objects.filter(kind="escalation").values_list("device_id", flat=True))
    assert devices == {surgeon_device.pk, nurse_device.pk}
    assert outsider_device.pk not in devices


def test_pass_on_reaches_the_backup_surgeon_and_their_nurses():
    backup = SurgeonFactory()
    backup_nurse = NurseFactory(teams=[backup])
    DeviceFactory(user=backup.user)
    nurse_device = DeviceFactory(user=backup_nurse.user)
    escalation = EscalationFactory(warning_report__patient__surgeon=SurgeonFactory(backup=backup),
                                   ack_due_at=timezone.now() - timedelta(minutes=1))
    escalations.pass_on_overdue_escalations()
    assert Escalation.objects.get(pk=escalation.pk).escalated_to == backup
    assert Notification.objects.filter(kind="escalation_passed_on", device=nurse_device).exists()


# --- patient contact ------------------------------------------------------------------------

def test_the_care_team_edits_contact_details_and_a_new_surgery_date_moves_the_plan(team):
    _, nurse, mine, _ = team
    wound_check_before = mine.milestones.get(key="wound_check").due_date
    response = client_of(nurse.user).patch(f"/api/v1/surgeon/patients/{mine.pk}/", {
        "phone": "+1 212 555 0100", "emergency_contact_name": "Ali Mine", "emergency_contact_phone": "2125550199",
        "preferred_contact_time": "weekday mornings",
        "surgery_date": (mine.surgery_date + timedelta(days=7)).isoformat(),
    }, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["phone"], body["emergency_contact_phone"]) == ("+12125550100", "+12125550199")
    assert body["preferred_contact_time"] == "weekday mornings"
    assert mine.milestones.get(key="wound_check").due_date == wound_check_before + timedelta(days=7)
    assert AuditEvent.objects.filter(actor=nurse.user, action="update", patient=mine).exists()


def test_a_bad_phone_number_is_a_400_naming_the_field_and_changes_nothing(team):
    surgeon, _, mine, _ = team
    response = client_of(surgeon.user).patch(f"/api/v1/surgeon/patients/{mine.pk}/",
                                             {"phone": "call me maybe", "display_name": "Changed"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"phone"}
    mine.refresh_from_db()
    assert mine.display_name == "Mina Mine" and mine.phone == ""


# --- messages: patient to care team ---------------------------------------------------------

def send(patient: Patient, client_id: str, body: str = "Can I shower yet?") -> Any:
    return client_of(patient.user).post("/api/v1/messages/", {"client_id": client_id, "body": body}, format="json")


def test_a_patient_message_is_stored_once_per_client_id(team):
    _, _, mine, _ = team
    client_id = str(uuid.uuid4())
    first = send(mine, client_id)
    assert first.status_code == 201
    assert first.json()["sender"] == "patient" and first.json()["body"] == "Can I shower yet?"
    again = send(mine, client_id)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert send(mine, client_id, "Something else").status_code == 409
    assert PatientMessage.objects.filter(patient=mine, kind="patient").count() == 1


@pytest.mark.parametrize("body", [{"body": "hi"}, {"client_id": "not-a-uuid", "body": "hi"},
                                  {"client_id": str(uuid.uuid4())}, {"client_id": str(uuid.uuid4()), "body": "  "}])
def test_a_bad_patient_message_is_a_400_naming_the_field(team, body):
    _, _, mine, _ = team
    response = client_of(mine.user).post("/api/v1/messages/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) <= {"client_id", "body"} and response.json()
    assert not PatientMessage.objects.filter(patient=mine).exists()


def test_a_patient_message_is_never_a_warning_report_and_the_answer_says_how_to_report_one(team):
    _, _, mine, _ = team
    response = send(mine, str(uuid.uuid4()), "I can't breathe well and have a fever of 102")
    assert response.status_code == 201
    assert "triage" not in response.json()
    assert not Escalation.objects.filter(patient=mine).exists()
    assert "Report warning signs" in response.json()["notice"] and "911" in response.json()["notice"]
    thread = client_of(mine.user).get("/api/v1/messages/").json()["results"]
    assert [row["sender"] for row in thread] == ["system", "patient"]
    assert "Report warning signs" in thread[0]["body"]


def test_the_automatic_answer_comes_once_a_day_not_for_every_message(team):
    _, _, mine, _ = team
    for _ in range(3):
        send(mine, str(uuid.uuid4()))
    assert PatientMessage.objects.filter(patient=mine, kind="auto_reply").count() == 1
    assert PatientMessage.objects.filter(patient=mine, kind="patient").count() == 3


def test_a_patient_message_pushes_the_surgeon_and_the_nurses_with_neutral_text(team):
    surgeon, nurse, mine, _ = team
    surgeon_device, nurse_device = DeviceFactory(user=surgeon.user), DeviceFactory(user=nurse.user)
    send(mine, str(uuid.uuid4()), "My incision is leaking")
    rows = Notification.objects.filter(kind="patient_message")
    assert {row.device_id for row in rows} == {surgeon_device.pk, nurse_device.pk}
    for row in rows:
        assert "leaking" not in f"{row.title} {row.body}" and mine.display_name not in f"{row.title} {row.body}"


# --- messages: care team to patient ---------------------------------------------------------

def test_a_care_team_reply_reaches_the_patients_thread_and_device(team):
    _, nurse, mine, _ = team
    patient_device = DeviceFactory(user=mine.user, platform="ios")
    send(mine, str(uuid.uuid4()))
    response = client_of(nurse.user).post(f"/api/v1/surgeon/patients/{mine.pk}/messages/",
                                          {"body": "Yes, a short shower is fine."}, format="json")
    assert response.status_code == 201
    assert response.json()["sender"] == "care_team" and response.json()["sender_name"] == "Nurse Noor"
    thread = client_of(mine.user).get("/api/v1/messages/").json()["results"]
    assert thread[0]["body"] == "Yes, a short shower is fine." and thread[0]["sender"] == "care_team"
    push = Notification.objects.get(kind="care_team_message", device=patient_device)
    assert (push.title, push.body) == ("New message from your care team", "Open the app to read it.")
    assert push.data["message_id"] == str(response.json()["id"])
    assert AuditEvent.objects.filter(actor=nurse.user, action="create", object_type="recovery.PatientMessage").exists()


def reply(member: Any, patient: Patient, body: str = "Yes, a short shower is fine.", **extra: Any) -> Any:
    return client_of(member.user).post(f"/api/v1/surgeon/patients/{patient.pk}/messages/", {"body": body, **extra},
                                       format="json")


def test_a_retried_care_team_message_with_its_client_id_is_one_message_and_one_push(team):
    _, nurse, mine, _ = team
    DeviceFactory(user=mine.user)
    client_id = str(uuid.uuid4())
    first = reply(nurse, mine, client_id=client_id)
    assert first.status_code == 201 and first.json()["client_id"] == client_id
    again = reply(nurse, mine, client_id=client_id)
    assert again.status_code == 200 and again.json() == first.json()
    assert PatientMessage.objects.filter(patient=mine, kind="care_team").count() == 1
    assert Notification.objects.filter(kind="care_team_message").count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="recovery.PatientMessage").count() == 1


def test_a_care_team_client_id_reused_with_another_body_is_409_and_stores_nothing(team):
    _, nurse, mine, _ = team
    DeviceFactory(user=mine.user)
    client_id = str(uuid.uuid4())
    assert reply(nurse, mine, client_id=client_id).status_code == 201
    conflict = reply(nurse, mine, "Please call the clinic.", client_id=client_id)
    assert conflict.status_code == 409 and list(conflict.json()) == ["client_id"]
    assert list(PatientMessage.objects.filter(patient=mine, kind="care_team").values_list("body", flat=True)) == [
        "Yes, a short shower is fine."]
    assert Notification.objects.filter(kind="care_team_message").count() == 1


def test_a_care_team_client_id_is_not_another_members_or_the_patients(team):
    surgeon, nurse, mine, _ = team
    client_id = str(uuid.uuid4())
    assert reply(nurse, mine, client_id=client_id).status_code == 201
    assert reply(surgeon, mine, client_id=client_id).status_code == 409  # same body, another writer
    patients = str(uuid.uuid4())
    send(mine, patients, "Yes, a short shower is fine.")
    assert reply(nurse, mine, client_id=patients).status_code == 409
    assert PatientMessage.objects.filter(patient=mine, kind="care_team").count() == 1


def test_a_care_team_message_without_client_id_is_stored_every_time_as_before(team):
    _, nurse, mine, _ = team
    DeviceFactory(user=mine.user)
    assert [reply(nurse, mine).status_code for _ in range(2)] == [201, 201]
    assert list(PatientMessage.objects.filter(patient=mine, kind="care_team").values_list("client_id", flat=True)) == [
        None, None]
    assert Notification.objects.filter(kind="care_team_message").count() == 2


def test_a_care_team_message_with_a_bad_client_id_is_a_400_naming_it(team):
    _, nurse, mine, _ = team
    response = reply(nurse, mine, client_id="not-a-uuid")
    assert response.status_code == 400 and list(response.json()) == ["client_id"]
    assert not PatientMessage.objects.filter(patient=mine, kind="care_team").exists()


def test_an_empty_reply_is_a_400_naming_body(team):
    surgeon, _, mine, _ = team
    response = client_of(surgeon.user).post(f"/api/v1/surgeon/patients/{mine.pk}/messages/", {"body": ""},
                                            format="json")
    assert response.status_code == 400 and set(response.json()) == {"body"}


def test_unread_counts_show_on_the_patient_list_until_the_thread_is_opened(team):
    surgeon, nurse, mine, _ = team
    send(mine, str(uuid.uuid4()))
    send(mine, str(uuid.uuid4()))
    rows = client_of(surgeon.user).get("/api/v1/surgeon/patients/").json()["results"]
    assert rows[0]["unread_messages_count"] == 2
    thread = client_of(nurse.user).get(f"/api/v1/surgeon/patients/{mine.pk}/messages/").json()["results"]
    assert [row["sender"] for row in thread] == ["patient", "system", "patient"]
    rows = client_of(surgeon.user).get("/api/v1/surgeon/patients/").json()["results"]
    assert rows[0]["unread_messages_count"] == 0
    assert AuditEvent.objects.filter(actor=nurse.user, action="view", object_type="recovery.PatientMessage").exists()


def test_messages_of_other_patients_never_show(team):
    _, _, mine, other = team
    messages.send_care_team_message(other, body="For Otto only", by=other.surgeon.user)
    bodies = [row["body"] for row in client_of(mine.user).get("/api/v1/messages/").json()["results"]]
    assert "For Otto only" not in bodies


def test_the_automatic_answer_is_in_the_patients_language():
    patient = PatientFactory(enrolled=True, language="es")
    response = send(patient, str(uuid.uuid4()))
    assert "Avisar de señales de alarma" in response.json()["notice"]
    assert "Avisar de señales de alarma" in PatientMessage.objects.get(patient=patient, kind="auto_reply").body


def test_message_pushes_travel_on_the_urgent_queue_never_behind_reminders(team):
    surgeon, _, mine, _ = team
    DeviceFactory(user=surgeon.user)
    DeviceFactory(user=mine.user)
    send(mine, str(uuid.uuid4()))
    messages.send_care_team_message(mine, body="Answer", by=surgeon.user)
    queues = set(Notification.objects.filter(kind__in=["patient_message", "care_team_message"])
                 .values_list("kind", "queue"))
    assert queues == {("patient_message", "urgent"), ("care_team_message", "urgent")}


def test_the_titles_of_the_care_teams_reply_and_the_automatic_answer_are_in_the_patients_language(team):
    surgeon, _, _, _ = team
    patient = PatientFactory(surgeon=surgeon, enrolled=True, language="es")
    reply = client_of(surgeon.user).post(f"/api/v1/surgeon/patients/{patient.pk}/messages/",
                                         {"body": "Hola"}, format="json")
    assert reply.status_code == 201
    send(patient, str(uuid.uuid4()))
    thread = client_of(patient.user).get("/api/v1/messages/").json()["results"]
    titles = {row["kind"]: row["title"] for row in thread}
    assert titles == {"auto_reply": "Su mensaje se envió", "patient": "",
                      "care_team": "Mensaje de su equipo de atención"}


def test_an_english_patients_message_titles_stay_english(team):
    surgeon, _, mine, _ = team
    messages.send_care_team_message(mine, body="Hello", by=surgeon.user)
    send(mine, str(uuid.uuid4()))
    titles = {row["kind"]: row["title"] for row in client_of(mine.user).get("/api/v1/messages/").json()["results"]}
    assert (titles["auto_reply"], titles["care_team"]) == ("Your message was sent", "Message from your care team")


def test_a_care_team_message_whose_writer_is_gone_is_signed_by_the_care_team_in_the_patients_language(team):
    surgeon, _, _, _ = team
    patient = PatientFactory(surgeon=surgeon, enrolled=True, language="es")
    message = messages.send_care_team_message(patient, body="Hola", by=surgeon.user).message
    PatientMessage.objects.filter(pk=message.pk).update(sender=None)  # as after the writer's account is deleted
    row = client_of(patient.user).get("/api/v1/messages/").json()["results"][0]
    assert (row["kind"], row["sender_name"]) == ("care_team", "Su equipo de atención")
    staff_row = client_of(surgeon.user).get(f"/api/v1/surgeon/patients/{patient.pk}/messages/").json()["results"][0]
    assert staff_row["sender_name"] == "Your care team"  # staff pages stay English
