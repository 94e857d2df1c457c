"""Every list endpoint runs the same number of SQL queries for 1 row as for 50 (no N+1)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from recovery.models import AuditEvent, Milestone, Restriction
from tests.factories import (
    AcknowledgementNoteFactory,
    CheckInFactory,
    EscalationFactory,
    EscalationReportFactory,
    PatientFactory,
    PatientMessageFactory,
    SurgeonFactory,
)

pytestmark = pytest.mark.django_db

# Bearer-token authentication loads the user with its patient (and pump) or surgeon profile: one query.
AUTH = 1


def seed_checkins(patient, n):
    CheckInFactory.create_batch(n, patient=patient)


def seed_messages(patient, n):
    surgeon_user = patient.surgeon.user
    PatientMessageFactory.create_batch(n, patient=patient, sender=surgeon_user)


def seed_timeline(patient, n):
    Milestone.objects.filter(patient=patient).delete()
    Milestone.objects.bulk_create(
        Milestone(patient=patient, key=f"m{i}", title=f"Step {i}", due_date=patient.surgery_date + timedelta(days=i))
        for i in range(n)
    )


def seed_restrictions(patient, n):
    Restriction.objects.filter(patient=patient).delete()
    Restriction.objects.bulk_create(
        Restriction(patient=patient, key=f"r{i}", title=f"Rule {i}", instructions="...",
                    starts_on=patient.surgery_date)
        for i in range(n)
    )


@pytest.mark.parametrize(
    ("path", "seed", "queries"),
    [
        ("/api/v1/checkins/", seed_checkins, AUTH + 2),  # count + page
        ("/api/v1/messages/", seed_messages, AUTH + 2),  # count + page (senders joined)
        ("/api/v1/timeline/", seed_timeline, AUTH + 1),
        ("/api/v1/restrictions/", seed_restrictions, AUTH + 1),
    ],
)
@pytest.mark.parametrize("rows", [1, 50])
def test_patient_lists_run_a_fixed_number_of_queries(patient_client, patient, django_assert_num_queries,
                                                     path, seed, queries, rows):
    seed(patient, rows)
    with django_assert_num_queries(queries):
        response = patient_client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"] if isinstance(body, dict) else body) == rows


def seed_patients(surgeon, n):
    for _ in range(n):
        patient = PatientFactory(enrolled=True, surgeon=surgeon)
        CheckInFactory(patient=patient)
        EscalationFactory(warning_report__patient=patient)


def seed_inbox(surgeon, n):
    backup = SurgeonFactory()
    for i in range(n):  # one open case per patient (shared/API.md 1.1), each with two reports
        escalation = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon),
                                       escalated_to=backup if i % 2 else None,
                                       acknowledged_at=timezone.now() if i % 3 else None, acknowledged_by=surgeon.user)
        EscalationReportFactory(escalation=escalation)
        AcknowledgementNoteFactory(escalation=escalation, author=surgeon.user)


@pytest.mark.parametrize(
    ("path", "seed", "queries"),
    [
        ("/api/v1/surgeon/patients/", seed_patients, AUTH + 3),  # count + page + audit insert
        # count + page + the cases' reports + their notes + audit insert
        ("/api/v1/surgeon/inbox/", seed_inbox, AUTH + 5),
    ],
)
@pytest.mark.parametrize("rows", [1, 50])
def test_surgeon_lists_run_a_fixed_number_of_queries(surgeon_client, surgeon, django_assert_num_queries,
                                                     path, seed, queries, rows):
    seed(surgeon, rows)
    with django_assert_num_queries(queries):
        response = surgeon_client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert len(body if isinstance(body, list) else body["results"]) == rows  # the inbox is a bare array


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction around the request
def test_a_routine_check_in_is_stored_in_two_queries(patient_client, django_assert_num_queries):
    # the user with profile, the INSERT (atomic on its own); a pain below 8 makes no streak, so triage reads no
    # earlier pain (triage.reads_pain_history)
    with django_assert_num_queries(AUTH + 1):
        response = patient_client.post("/api/v1/checkins/", {"client_id": str(uuid.uuid4()), "pain_score": 7},
                                       format="json")
    assert response.status_code == 201
    assert response.json()["triage"]["level"] == "routine"


@pytest.mark.django_db(transaction=True)
def test_a_check_in_with_severe_pain_also_reads_the_pain_of_the_days_before(patient_client,
                                                                           django_assert_num_queries):
    # the user with profile, the recent pain that triage looks back over, the signs of the last 24 hours' check-ins,
    # warning reports and incision checks (severe pain combines with them: triage.reads_recent_signs), the INSERT
    with django_assert_num_queries(AUTH + 5):
        response = patient_client.post("/api/v1/checkins/", {"client_id": str(uuid.uuid4()), "pain_score": 8},
                                       format="json")
    assert response.status_code == 201
    assert response.json()["triage"]["reasons"] == ["severe_pain"]


def test_the_profile_reads_one_query(patient_client, patient, django_assert_num_queries):
    assert patient.pump is not None  # the fixture patient has a pump: it is read in the same query
    with django_assert_num_queries(AUTH):
        response = patient_client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["pump"]["kind"] == patient.pump.kind


@pytest.mark.django_db(transaction=True)  # the audit rows really commit, as in production
def test_an_unchanged_inbox_poll_writes_no_audit_row(surgeon_client, surgeon, django_assert_num_queries):
    seed_inbox(surgeon, 3)
    seen = AuditEvent.objects.filter(actor=surgeon.user, object_type="recovery.Escalation")
    first = surgeon_client.get("/api/v1/surgeon/inbox/")
    assert seen.count() == 3

    # The digest of what the page shows (recovery.selectors.inbox_version): unchanged, so the page is the one
    # kept from the first poll (recovery.api.inbox_pages), and no audit INSERT.
    with django_assert_num_queries(AUTH + 1):
        again = surgeon_client.get("/api/v1/surgeon/inbox/")
    assert again.json() == first.json()
    assert seen.count() == 3

    seed_inbox(surgeon, 1)  # a new case: the next poll audits it, and only it
    # digest + count + page + the cases' reports + their notes, + BEGIN, the one row's INSERT, COMMIT
    with django_assert_num_queries(AUTH + 5 + 3):
        changed = surgeon_client.get("/api/v1/surgeon/inbox/")
    assert len(changed.json()) == 4
    assert seen.count() == 4
    assert {event.object_id for event in seen} == {str(case["patient"]["id"]) for case in changed.json()}
