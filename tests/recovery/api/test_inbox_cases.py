"""The surgeon inbox of contract 1.1: items are patient cases with their reports; acknowledge with a note;
resolve with an outcome; ?state=open|resolved|all."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from django.utils import timezone as timezone
from rest_framework.serializers import ModelSerializer
from rest_framework.test import APIClient

from recovery import access, selectors
from recovery.api import serializers as s
from recovery.models import AcknowledgementNote, AuditEvent, Escalation
from recovery.services import escalations
from tests.factories import (
    AcknowledgementNoteFactory,
    CheckInFactory,
    EscalationFactory,
    EscalationReportFactory,
    IncisionCheckFactory,
    NurseFactory,
    PatientFactory,
    SurgeonFactory,
)
from tests.support import bearer

pytestmark = pytest.mark.django_db

OUTCOMES = ["advised_emergency_care", "called_patient", "clinic_visit_booked", "advice_sent", "no_action_needed"]


def send(patient, path, body):
    response = bearer(APIClient(), patient.user).post(path, {"client_id": str(uuid.uuid4()), **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_an_inbox_item_is_the_case_with_its_reports_oldest_first(surgeon_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon, display_name="Ada")
    checkin = send(patient, "/api/v1/checkins/", {"pain_score": 3, "temperature": 38.2, "temperature_unit": "C",
                                                   "note": "hot and shivery"})
    warning = send(patient, "/api/v1/warning-reports/", {"symptoms": ["stiff_neck"], "note": "neck hurts to bend"})

    (item,) = surgeon_client.get("/api/v1/surgeon/inbox/").json()

    assert item["patient"] == {"id": patient.pk, "display_name": "Ada"}
    assert item["level"] == "emergency"  # fever + stiff neck, raised from the check-in's urgent
    assert item["reports"] == [
        {"type": "checkin", "id": checkin["id"], "created_at": checkin["created_at"], "level": "urgent",
         "reasons": ["fever"], "note": "hot and shivery"},
        {"type": "warning_report", "id": warning["id"], "created_at": warning["created_at"], "level": "emergency",
         "reasons": warning["triage"]["reasons"], "note": "neck hurts to bend"},
    ]
    assert "fever_with_meningeal_signs" in warning["triage"]["reasons"]
    assert {"updated_at", "acknowledged_by", "resolved_at", "outcome", "note"} <= set(item)
    assert (item["resolved_at"], item["outcome"], item["note"], item["acknowledged_by"]) == (None, None, "", None)


def test_acknowledge_may_carry_a_note(surgeon_client, surgeon):
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    body = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/acknowledge/", {"note": "Calling now"},
                               format="json").json()
    assert (body["acknowledged_by"], body["note"], body["resolved_at"]) == (surgeon.user.username, "Calling now", None)
    assert [row["id"] for row in surgeon_client.get("/api/v1/surgeon/inbox/").json()] == [case.pk]  # still open


def test_a_second_acknowledgement_keeps_the_first_note_and_adds_its_own_with_who_and_when(surgeon_client, surgeon):
    nurse = NurseFactory(teams=[surgeon])
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    path = f"/api/v1/surgeon/inbox/{case.pk}/acknowledge/"

    first = bearer(APIClient(), nurse.user).post(path, {"note": "called patient, no answer"}, format="json").json()
    second = surgeon_client.post(path, {"note": "spoke to patient"}, format="json").json()

    notes = second["acknowledge_notes"]
    assert [(n["note"], n["author"]) for n in notes] == [
        ("called patient, no answer", nurse.user.username), ("spoke to patient", surgeon.user.username)]
    assert notes[0]["created_at"] == first["acknowledged_at"] <= notes[1]["created_at"]
    # The fields of contract 1.1 keep their meaning: the first acknowledgement is kept, the note is the latest.
    assert (second["acknowledged_by"], second["acknowledged_at"]) == (nurse.user.username, first["acknowledged_at"])
    assert second["acknowledge_note"] == second["note"] == "spoke to patient"
    (item,) = surgeon_client.get("/api/v1/surgeon/inbox/").json()
    assert item["acknowledge_notes"] == notes


def test_an_acknowledgement_retried_with_the_same_note_stores_it_once(surgeon_client, surgeon):
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    path = f"/api/v1/surgeon/inbox/{case.pk}/acknowledge/"

    first = surgeon_client.post(path, {"note": "Calling her now"}, format="json")
    again = surgeon_client.post(path, {"note": " Calling her now "}, format="json")  # a double click, a retry

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert AcknowledgementNote.objects.filter(escalation=case).count() == 1


def test_the_same_words_from_the_same_person_later_are_a_note_of_their_own(surgeon_client, surgeon):
    """ "No answer" an hour after the first "No answer" is a second call, not a retry of the first request."""
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    path = f"/api/v1/surgeon/inbox/{case.pk}/acknowledge/"
    assert surgeon_client.post(path, {"note": "No answer"}, format="json").status_code == 200
    case.acknowledgement_notes.update(created_at=timezone.now() - escalations.NOTE_RETRY_WINDOW)

    assert surgeon_client.post(path, {"note": "No answer"}, format="json").status_code == 200

    assert list(case.acknowledgement_notes.values_list("text", flat=True)) == ["No answer", "No answer"]


def test_the_same_words_from_another_member_or_after_ones_own_other_note_are_kept(surgeon_client, surgeon):
    nurse_client = bearer(APIClient(), NurseFactory(teams=[surgeon]).user)
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    path = f"/api/v1/surgeon/inbox/{case.pk}/acknowledge/"

    for client, note in [(surgeon_client, "No answer"), (nurse_client, "No answer"), (surgeon_client, "Left a message"),
                         (surgeon_client, "No answer")]:
        assert client.post(path, {"note": note}, format="json").status_code == 200

    assert list(case.acknowledgement_notes.values_list("text", flat=True)) == [
        "No answer", "No answer", "Left a message", "No answer"]


def test_an_acknowledgement_without_a_note_adds_none_and_keeps_the_notes(surgeon_client, surgeon):
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    path = f"/api/v1/surgeon/inbox/{case.pk}/acknowledge/"
    surgeon_client.post(path, {"note": "Calling"}, format="json")

    body = surgeon_client.post(path, {"note": "  "}, format="json").json()

    assert [n["note"] for n in body["acknowledge_notes"]] == ["Calling"] and body["acknowledge_note"] == "Calling"


def test_acknowledge_without_a_body_still_works(surgeon_client, surgeon):
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/acknowledge/")
    assert response.status_code == 200 and response.json()["acknowledged_at"] is not None


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_resolve_closes_the_case_with_outcome_and_note_and_acknowledges_it(surgeon_client, surgeon, outcome):
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/",
                                   {"outcome": outcome, "note": "Spoke to her"}, format="json")
    body = response.json()
    assert response.status_code == 200
    assert (body["outcome"], body["note"], body["acknowledged_by"]) == (outcome, "Spoke to her", surgeon.user.username)
    assert body["resolved_at"] is not None and body["acknowledged_at"] is not None
    assert AuditEvent.objects.filter(action="resolve", patient=case.patient, actor=surgeon.user).count() == 1


def resolved_case(surgeon, surgeon_client):
    """A case the surgeon resolved through the API."""
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/",
                                   {"outcome": "called_patient", "note": "Spoke to her"}, format="json")
    assert response.status_code == 200
    return case


def test_the_same_resolution_sent_again_is_a_quiet_200_that_stores_nothing_new(surgeon_client, surgeon):
    case = resolved_case(surgeon, surgeon_client)
    stored = Escalation.objects.values().get(pk=case.pk)

    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/",
                                   {"outcome": "called_patient", "note": "Spoke to her"}, format="json")

    assert response.status_code == 200
    assert (response.json()["outcome"], response.json()["note"]) == ("called_patient", "Spoke to her")
    assert Escalation.objects.values().get(pk=case.pk) == stored
    # audited as before: each resolve request is a row of its caller
    assert AuditEvent.objects.filter(action="resolve", patient=case.patient, actor=surgeon.user).count() == 2


@pytest.mark.parametrize("body", [{"outcome": "called_patient", "note": "No answer, left a voicemail"},
                                  {"outcome": "clinic_visit_booked", "note": "Spoke to her"},
                                  {"outcome": "called_patient"}])
def test_resolving_a_resolved_case_differently_is_409_naming_the_resolution_that_stands(surgeon_client, surgeon, body):
    """It used to answer 200 with the first resolution, as if the second outcome or note had been stored."""
    case = resolved_case(surgeon, surgeon_client)
    stored = Escalation.objects.values().get(pk=case.pk)

    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/", body, format="json")

    assert response.status_code == 409
    answer = response.json()
    assert datetime.fromisoformat(answer["resolution"].pop("resolved_at")) == stored["resolved_at"]
    assert answer["resolution"] == {"resolved_by": surgeon.user.username, "resolved_by_name": surgeon.display_name,
                                    "outcome": "called_patient", "resolution_note": "Spoke to her"}
    (message,) = answer["resolved"]
    assert f"already resolved by {surgeon.display_name}" in message and "Called the patient" in message
    assert "were not stored" in message
    assert Escalation.objects.values().get(pk=case.pk) == stored
    assert AuditEvent.objects.filter(action="resolve", patient=case.patient).count() == 1


def test_a_nurse_resolving_a_case_the_surgeon_resolved_is_409_even_with_the_same_words(surgeon_client, surgeon):
    """The resolution that stands is not the nurse's: she is told whose it is, and no audit row says she resolved."""
    case = resolved_case(surgeon, surgeon_client)
    nurse = NurseFactory(teams=[surgeon])

    response = bearer(APIClient(), nurse.user).post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/",
                                                    {"outcome": "called_patient", "note": "Spoke to her"},
                                                    format="json")

    assert response.status_code == 409 and response.json()["resolution"]["resolved_by"] == surgeon.user.username
    assert Escalation.objects.get(pk=case.pk).resolved_by == surgeon.user
    assert not AuditEvent.objects.filter(action="resolve", actor=nurse.user).exists()


@pytest.mark.parametrize(("body", "field"), [({}, "outcome"), ({"outcome": "fixed"}, "outcome"),
                                              ({"outcome": None}, "outcome"),
                                              ({"outcome": "advice_sent", "note": "x" * 4001}, "note")])
def test_resolve_with_bad_input_is_400_naming_the_field_and_changes_nothing(surgeon_client, surgeon, body, field):
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/", body, format="json")
    assert response.status_code == 400 and list(response.json()) == [field]
    case.refresh_from_db()
    assert (case.resolved_at, case.acknowledged_at, case.outcome) == (None, None, "")


def test_resolving_another_surgeons_case_is_404(surgeon_client):
    case = EscalationFactory()
    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/", {"outcome": "advice_sent"},
                                   format="json")
    assert response.status_code == 404 and Escalation.objects.get(pk=case.pk).resolved_at is None


def test_inbox_state_open_resolved_and_all(surgeon_client, surgeon):
    open_case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    closed = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    surgeon_client.post(f"/api/v1/surgeon/inbox/{closed.pk}/resolve/", {"outcome": "no_action_needed"}, format="json")

    def ids(query=""):
        return sorted(row["id"] for row in surgeon_client.get(f"/api/v1/surgeon/inbox/{query}").json())

    assert ids() == ids("?state=open") == [open_case.pk]
    assert ids("?state=resolved") == [closed.pk]
    assert ids("?state=all") == sorted([open_case.pk, closed.pk])


def test_an_unknown_inbox_state_is_400_naming_state(surgeon_client):
    response = surgeon_client.get("/api/v1/surgeon/inbox/?state=closed")
    assert response.status_code == 400 and list(response.json()) == ["state"]


def test_a_resolved_case_and_the_next_one_are_two_inbox_items(surgeon_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    send(patient, "/api/v1/warning-reports/", {"symptoms": ["fever"]})
    first = surgeon_client.get("/api/v1/surgeon/inbox/").json()[0]["id"]
    surgeon_client.post(f"/api/v1/surgeon/inbox/{first}/resolve/", {"outcome": "advice_sent"}, format="json")
    send(patient, "/api/v1/warning-reports/", {"symptoms": ["fever"]})

    rows = surgeon_client.get("/api/v1/surgeon/inbox/?state=all").json()
    assert len(rows) == 2 and [len(row["reports"]) for row in rows] == [1, 1]
    assert [row["id"] for row in surgeon_client.get("/api/v1/surgeon/inbox/").json()] != [first]


def test_the_backup_may_resolve_what_was_passed_on_to_them(api_client):
    backup = SurgeonFactory()
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True), escalated_to=backup)
    response = bearer(api_client, backup.user).post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/",
                                                    {"outcome": "advised_emergency_care"}, format="json")
    assert response.status_code == 200 and response.json()["resolved_by"] == backup.user.username


def test_the_written_out_inbox_item_equals_drfs_generic_representation(surgeon):
    """EscalationSerializer.to_representation spells its fields out for speed; it must answer exactly
    what DRF's walk over the declared fields answers, for every shape of case."""
    backup = SurgeonFactory(display_name="Dr. Backup")
    patient = PatientFactory(enrolled=True, surgeon=surgeon, display_name="Ada")
    from_checkin = EscalationFactory(warning_report=None, checkin=CheckInFactory(patient=patient), patient=patient,
                                     level="urgent", reasons=["fever"])
    incision = IncisionCheckFactory(patient=patient, note="red edge")
    EscalationReportFactory(escalation=from_checkin, warning_report=None, incision_check=incision,
                            created_at=incision.created_at)
    passed_on = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon),
                                  escalated_to=backup, escalated_at=timezone.now(),
                                  acknowledged_at=timezone.now(), acknowledged_by=backup.user)
    EscalationReportFactory(escalation=passed_on)
    AcknowledgementNoteFactory(escalation=passed_on, author=backup.user, text="Calling")
    AcknowledgementNoteFactory(escalation=passed_on, author=None, text="Kept from before notes had authors")
    EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon),
                      acknowledged_at=timezone.now(), acknowledged_by=surgeon.user, resolved_at=timezone.now(),
                      resolved_by=surgeon.user, outcome="called_patient", resolution_note="Fine now")

    member = access.care_team_member(surgeon.user)
    assert member is not None
    cases = [*selectors.inbox_for(member, state="all"), *selectors.inbox_items_for(member, state="all")]
    assert len(cases) == 6
    for zone in ("UTC", "America/New_York"):
        with timezone.override(zone):
            for case in cases:
                serializer = s.EscalationSerializer(case)
                assert serializer.data == ModelSerializer.to_representation(serializer, case)


# --- reports_seen: a case is never acknowledged or resolved from a view that missed a report --------------

def case_with_two_reports(surgeon):
    """An open case whose second report joined after a view that showed one."""
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    EscalationReportFactory(escalation=case)
    return case


def test_resolving_after_an_emergency_joined_unseen_is_409_and_leaves_the_case_open(surgeon_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    send(patient, "/api/v1/warning-reports/", {"symptoms": ["incision_redness"]})
    (seen,) = surgeon_client.get("/api/v1/surgeon/inbox/").json()
    assert (seen["level"], len(seen["reports"])) == ("urgent", 1)
    send(patient, "/api/v1/warning-reports/", {"symptoms": ["limb_weakness", "fever"]})  # joins, raises it

    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{seen['id']}/resolve/",
                                   {"outcome": "no_action_needed", "reports_seen": len(seen["reports"])},
                                   format="json")

    assert response.status_code == 409
    assert list(response.json()) == ["reports_seen"] and "new report" in response.json()["reports_seen"][0]
    case = Escalation.objects.get(pk=seen["id"])
    assert (case.level, case.resolved_at, case.acknowledged_at, case.outcome) == ("emergency", None, None, "")
    assert not AuditEvent.objects.filter(action="resolve", patient=patient).exists()
    (still_open,) = surgeon_client.get("/api/v1/surgeon/inbox/").json()
    assert (still_open["id"], len(still_open["reports"])) == (seen["id"], 2)


def test_a_stale_view_of_a_case_since_resolved_is_told_who_resolved_it(surgeon_client, surgeon):
    """Both 409s apply; the resolution that stands is what the late resolver needs to hear."""
    case = case_with_two_reports(surgeon)
    nurse = NurseFactory(teams=[surgeon])
    bearer(APIClient(), nurse.user).post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/",
                                         {"outcome": "called_patient", "reports_seen": 2}, format="json")

    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/",
                                   {"outcome": "no_action_needed", "reports_seen": 1}, format="json")

    assert response.status_code == 409 and list(response.json()) == ["resolved", "resolution"]
    assert response.json()["resolution"]["resolved_by"] == nurse.user.username


def test_resolving_with_the_current_reports_seen_closes_the_case(surgeon_client, surgeon):
    case = case_with_two_reports(surgeon)
    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/",
                                   {"outcome": "called_patient", "reports_seen": 2}, format="json")
    assert response.status_code == 200 and response.json()["outcome"] == "called_patient"
    assert Escalation.objects.get(pk=case.pk).resolved_at is not None


def test_resolving_without_reports_seen_is_not_checked_as_before(surgeon_client, surgeon):
    case = case_with_two_reports(surgeon)
    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/", {"outcome": "advice_sent"},
                                   format="json")
    assert response.status_code == 200 and Escalation.objects.get(pk=case.pk).outcome == "advice_sent"


def test_acknowledging_with_a_stale_reports_seen_is_409_and_changes_nothing(surgeon_client, surgeon):
    case = case_with_two_reports(surgeon)
    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/acknowledge/",
                                   {"note": "Seen, calling", "reports_seen": 1}, format="json")
    assert response.status_code == 409 and list(response.json()) == ["reports_seen"]
    case.refresh_from_db()
    assert (case.acknowledged_at, case.acknowledged_by, case.acknowledge_note) == (None, None, "")
    assert not AuditEvent.objects.filter(action="acknowledge", patient=case.patient).exists()


def test_acknowledging_with_the_current_reports_seen_or_without_it_works(surgeon_client, surgeon):
    checked, unchecked = case_with_two_reports(surgeon), case_with_two_reports(surgeon)
    with_count = surgeon_client.post(f"/api/v1/surgeon/inbox/{checked.pk}/acknowledge/",
                                     {"note": "Calling", "reports_seen": 2}, format="json")
    without = surgeon_client.post(f"/api/v1/surgeon/inbox/{unchecked.pk}/acknowledge/", {"note": "Calling"},
                                  format="json")
    assert (with_count.status_code, without.status_code) == (200, 200)
    assert with_count.json()["acknowledged_by"] == without.json()["acknowledged_by"] == surgeon.user.username


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
@pytest.mark.parametrize("value", [-1, 1.5, "two", None, [1], True])
def test_a_bad_reports_seen_is_400_naming_it_and_changes_nothing(surgeon_client, surgeon, action, value):
    case = case_with_two_reports(surgeon)
    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/{action}/",
                                   {"outcome": "advice_sent", "reports_seen": value}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["reports_seen"]
    case.refresh_from_db()
    assert (case.resolved_at, case.acknowledged_at) == (None, None)


# --- reasons_seen: the refill safety net joins a case without a report ----------------------------------

def test_resolving_after_the_safety_net_raised_the_case_unseen_is_409_naming_reasons_seen(surgeon_client, surgeon):
    from recovery.services.refill_safety_net import open_refill_escalation

    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    send(patient, "/api/v1/warning-reports/", {"symptoms": ["incision_redness"]})
    (seen,) = surgeon_client.get("/api/v1/surgeon/inbox/").json()
    open_refill_escalation(patient, "emergency", "refill_alarm_date", timezone.now(),
                           due_date=timezone.now().date())  # a baclofen pump's alarm date, no report
    body = {"outcome": "no_action_needed", "reports_seen": len(seen["reports"]), "reasons_seen": seen["reasons"]}

    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{seen['id']}/resolve/", body, format="json")

    assert response.status_code == 409 and list(response.json()) == ["reasons_seen"]
    assert "refill_alarm_date" in response.json()["reasons_seen"][0]
    case = Escalation.objects.get(pk=seen["id"])
    assert (case.level, case.resolved_at) == ("emergency", None)
    (now_shown,) = surgeon_client.get("/api/v1/surgeon/inbox/").json()
    body["reasons_seen"] = now_shown["reasons"]
    assert surgeon_client.post(f"/api/v1/surgeon/inbox/{seen['id']}/resolve/", body,
                               format="json").status_code == 200


@pytest.mark.parametrize("value", ["fever", 3, [["fever"]], [None]])
def test_a_bad_reasons_seen_is_400_naming_it(surgeon_client, surgeon, value):
    case = case_with_two_reports(surgeon)
    response = surgeon_client.post(f"/api/v1/surgeon/inbox/{case.pk}/resolve/",
                                   {"outcome": "advice_sent", "reasons_seen": value}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["reasons_seen"]
    assert Escalation.objects.get(pk=case.pk).resolved_at is None
