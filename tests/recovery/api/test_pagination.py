"""Cursor pages of newest-first lists: a record stored between two fetches is neither repeated nor skipped."""
from __future__ import annotations

import uuid

import pytest

from recovery.api.pagination import NewestFirstCursorPagination
from tests.factories import CheckInFactory, PatientMessageFactory

pytestmark = pytest.mark.django_db
PAGE = NewestFirstCursorPagination.page_size


def walk(client, url):
    """Every id of every page, following `next`."""
    ids = []
    while url:
        body = client.get(url).json()
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
    return ids


def test_a_checkin_sent_between_two_pages_is_neither_repeated_nor_skipped(patient_client, patient):
    stored = CheckInFactory.create_batch(PAGE + 5, patient=patient)
    first = patient_client.get("/api/v1/checkins/").json()
    assert len(first["results"]) == PAGE and first["next"]
    sent = patient_client.post("/api/v1/checkins/", {"client_id": str(uuid.uuid4()), "pain_score": 3}).json()
    rest = walk(patient_client, first["next"])
    seen = [row["id"] for row in first["results"]] + rest
    assert len(seen) == len(set(seen)) == PAGE + 5
    assert set(seen) == {checkin.pk for checkin in stored}
    # The new one is at the top when the app fetches the list again.
    assert walk(patient_client, "/api/v1/checkins/")[0] == sent["id"]


def test_records_with_the_same_time_are_each_listed_once(patient_client, patient):
    same_moment = CheckInFactory(patient=patient).created_at
    stored = CheckInFactory.create_batch(PAGE + 3, patient=patient, created_at=same_moment)
    seen = walk(patient_client, "/api/v1/checkins/")
    assert len(seen) == len(set(seen)) == PAGE + 4 and set(seen) >= {c.pk for c in stored}


def test_a_message_arriving_between_pages_is_neither_repeated_nor_skipped(patient_client, patient):
    stored = PatientMessageFactory.create_batch(PAGE + 2, patient=patient)
    first = patient_client.get("/api/v1/messages/").json()
    PatientMessageFactory(patient=patient)
    seen = [row["id"] for row in first["results"]] + walk(patient_client, first["next"])
    assert sorted(seen) == sorted(message.pk for message in stored)
