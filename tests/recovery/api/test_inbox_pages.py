"""The API inbox answers a poll of an unchanged inbox from the page it kept (recovery.api.inbox_pages), and
any change to what it shows is on the very next poll: a new emergency, an acknowledgement, a resolution, a
pass-on, a report joining a case, a renamed patient, a change made outside the services. One team never
gets another team's page. Real commits (transaction=True): the digest tells committed transactions apart."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from recovery.models import AuditEvent, Escalation, Patient
from recovery.services import escalations
from tests.factories import EscalationFactory, NurseFactory, PatientFactory, SurgeonFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db(transaction=True)

INBOX = "/api/v1/surgeon/inbox/"
AUTH = 1  # the user with their profile (recovery.api.authentication)


def poll(client: APIClient, path: str = INBOX) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return response.json()


def kept(client: APIClient, django_assert_num_queries, path: str = INBOX) -> list[dict]:
    """A poll answered from the kept page: the user and the digest, nothing else read."""
    with django_assert_num_queries(AUTH + 1):
        return poll(client, path)


def warn(patient: Patient, symptoms: list[str]) -> dict:
    response = bearer(APIClient(), patient.user).post(
        "/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": symptoms}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def case(surgeon) -> Escalation:
    return EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon, display_name="Ada"))


def test_a_repeated_poll_is_answered_from_the_kept_page_with_the_same_body_and_headers(
        surgeon_client, surgeon, django_assert_num_queries):
    for _ in range(3):
        EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    first = surgeon_client.get(INBOX)
    with django_assert_num_queries(AUTH + 1):
        again = surgeon_client.get(INBOX)
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["X-Total-Count"] == first["X-Total-Count"] == "3"


def test_a_new_emergency_is_on_the_next_poll(surgeon_client, surgeon, case, django_assert_num_queries):
    poll(surgeon_client)
    assert len(kept(surgeon_client, django_assert_num_queries)) == 1

    other = PatientFactory(enrolled=True, surgeon=surgeon)
    warn(other, ["difficulty_breathing"])

    items = poll(surgeon_client)
    assert {item["patient"]["id"] for item in items} == {case.patient_id, other.pk}
    assert items[0]["patient"]["id"] == other.pk and items[0]["level"] == "emergency"


def test_a_report_joining_an_open_case_is_on_the_next_poll(surgeon_client, surgeon, case, django_assert_num_queries):
    poll(surgeon_client)
    (before,) = kept(surgeon_client, django_assert_num_queries)

    report = warn(case.patient, ["difficulty_breathing"])

    (after,) = poll(surgeon_client)
    assert len(after["reports"]) == len(before["reports"]) + 1
    assert after["reports"][-1]["id"] == report["id"]


def test_an_acknowledgement_is_on_the_acknowledging_surgeons_next_poll(surgeon_client, surgeon, case,
                                                                      django_assert_num_queries):
    poll(surgeon_client)
    (item,) = kept(surgeon_client, django_assert_num_queries)
    assert item["acknowledged_at"] is None

    acked = surgeon_client.post(f"{INBOX}{case.pk}/acknowledge/", {"note": "Calling now"}, format="json")
    assert acked.status_code == 200

    (item,) = poll(surgeon_client)
    assert item["acknowledged_at"] is not None
    assert (item["acknowledged_by"], item["note"]) == (surgeon.user.username, "Calling now")


def test_an_acknowledgement_by_a_nurse_is_on_the_surgeons_next_poll(surgeon_client, surgeon, case,
                                                                   django_assert_num_queries):
    nurse = NurseFactory(teams=[surgeon])
    nurse_client = bearer(APIClient(), nurse.user)
    poll(surgeon_client)
    assert poll(nurse_client) == kept(surgeon_client, django_assert_num_queries)

    assert nurse_client.post(f"{INBOX}{case.pk}/acknowledge/", format="json").status_code == 200

    (item,) = poll(surgeon_client)
    assert item["acknowledged_by"] == nurse.user.username


def test_a_note_added_to_an_acknowledged_case_is_on_the_next_poll(surgeon_client, surgeon, case,
                                                                  django_assert_num_queries):
    nurse_client = bearer(APIClient(), NurseFactory(teams=[surgeon]).user)
    assert nurse_client.post(f"{INBOX}{case.pk}/acknowledge/", {"note": "No answer"}, format="json").status_code == 200
    poll(surgeon_client)
    kept(surgeon_client, django_assert_num_queries)

    assert surgeon_client.post(f"{INBOX}{case.pk}/acknowledge/", {"note": "Spoke to her"},
                               format="json").status_code == 200

    (item,) = poll(surgeon_client)
    assert [note["note"] for note in item["acknowledge_notes"]] == ["No answer", "Spoke to her"]


def test_a_resolution_leaves_the_open_inbox_and_joins_the_history_on_the_next_poll(
        surgeon_client, surgeon, case, django_assert_num_queries):
    resolved_path = f"{INBOX}?state=resolved"
    poll(surgeon_client)
    poll(surgeon_client, resolved_path)
    assert len(kept(surgeon_client, django_assert_num_queries)) == 1
    assert kept(surgeon_client, django_assert_num_queries, resolved_path) == []

    done = surgeon_client.post(f"{INBOX}{case.pk}/resolve/", {"outcome": "called_patient", "note": "Fine now"},
                               format="json")
    assert done.status_code == 200

    assert poll(surgeon_client) == []
    (item,) = poll(surgeon_client, resolved_path)
    assert (item["id"], item["outcome"]) == (case.pk, "called_patient")


def test_a_pass_on_is_on_the_next_poll_of_both_surgeons(surgeon, case, django_assert_num_queries):
    backup = SurgeonFactory()
    surgeon.backup = backup
    surgeon.save()
    Escalation.objects.filter(pk=case.pk).update(ack_due_at=timezone.now() - timedelta(minutes=1))
    surgeon_client, backup_client = bearer(APIClient(), surgeon.user), bearer(APIClient(), backup.user)
    poll(surgeon_client)
    poll(backup_client)
    (item,) = kept(surgeon_client, django_assert_num_queries)
    assert item["escalated_to"] is None
    assert kept(backup_client, django_assert_num_queries) == []

    assert [e.pk for e in escalations.pass_on_overdue_escalations()] == [case.pk]

    (item,) = poll(surgeon_client)
    assert item["escalated_to"] == {"id": backup.pk, "display_name": backup.display_name}
    assert [item["id"] for item in poll(backup_client)] == [case.pk]


def test_a_change_made_outside_the_services_is_on_the_next_poll(surgeon_client, surgeon, case,
                                                                django_assert_num_queries):
    poll(surgeon_client)
    kept(surgeon_client, django_assert_num_queries)

    Patient.objects.filter(pk=case.patient_id).update(display_name="Ada Lovelace")  # as the admin or plain SQL
    assert poll(surgeon_client)[0]["patient"]["display_name"] == "Ada Lovelace"

    Escalation.objects.filter(pk=case.pk).update(level="urgent")
    assert poll(surgeon_client)[0]["level"] == "urgent"


def test_one_team_never_gets_another_teams_page(django_assert_num_queries):
    ours, theirs = SurgeonFactory(), SurgeonFactory()
    mine = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=ours))
    other = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=theirs))
    our_client, their_client = bearer(APIClient(), ours.user), bearer(APIClient(), theirs.user)

    assert [item["id"] for item in poll(our_client)] == [mine.pk]
    assert [item["id"] for item in kept(our_client, django_assert_num_queries)] == [mine.pk]
    assert [item["id"] for item in poll(their_client)] == [other.pk]
    assert [item["id"] for item in kept(their_client, django_assert_num_queries)] == [other.pk]

    nobody = SurgeonFactory()  # no cases: an empty page, not someone else's
    assert poll(bearer(APIClient(), nobody.user)) == []


def test_a_kept_page_is_audited_for_each_member_who_is_shown_it(surgeon_client, surgeon, case,
                                                                django_assert_num_queries):
    nurse = NurseFactory(teams=[surgeon])
    poll(surgeon_client)
    # the nurse's profile, the digest: the kept page (no page queries); + BEGIN, the nurse's view's INSERT, COMMIT
    with django_assert_num_queries(AUTH + 1 + 1 + 3):
        poll(bearer(APIClient(), nurse.user))

    views = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_type="recovery.Escalation",
                                      patient=case.patient)
    assert {event.actor_id for event in views} == {surgeon.user_id, nurse.user_id}


def test_the_digest_statement_is_kept_prepared_on_the_connection(surgeon_client, case):
    """Bound by the server (recovery.compiled_query.server_prepared_cursor): after psycopg's prepare_threshold
    polls PostgreSQL no longer parses and plans it on every poll."""
    connection.close()  # a new session: nothing prepared by an earlier test
    for _ in range(6):
        poll(surgeon_client)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any("hashtextextended" in statement for statement in prepared), prepared
