"""Cursor pages of newest-first lists: a record stored between two fetches is neither repeated nor skipped."""
from __future__ import annotations

import base64
import re
import uuid

import pytest

from recovery.api.pagination import LinkHeaderCursorPagination, NewestFirstCursorPagination
from tests.factories import CheckInFactory, EscalationFactory, PatientFactory, PatientMessageFactory

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


# --- The inbox history: a plain JSON array, cursor links in the `Link` header -------------------------------

INBOX = "/api/v1/surgeon/inbox/"


def next_link(response):
    """The `rel="next"` URL of an RFC 8288 `Link` header, or None."""
    found = re.search(r'<([^>]+)>; rel="next"', response.get("Link", ""))
    return found.group(1) if found else None


def walk_inbox(client, url):
    ids = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        ids += [row["id"] for row in response.json()]
        url = next_link(response)
    return ids


def open_case(surgeon):
    return EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))


def resolve(client, case):
    response = client.post(f"{INBOX}{case.pk}/resolve/", {"outcome": "advice_sent"}, format="json")
    assert response.status_code == 200


@pytest.fixture
def small_cursor_pages(monkeypatch):
    monkeypatch.setattr(LinkHeaderCursorPagination, "page_size", 2)


@pytest.mark.usefixtures("small_cursor_pages")
def test_a_case_resolved_between_two_history_pages_is_neither_repeated_nor_skipped(surgeon_client, surgeon):
    history = [open_case(surgeon) for _ in range(5)]
    for case in history:
        resolve(surgeon_client, case)
    still_open = open_case(surgeon)

    first = surgeon_client.get(f"{INBOX}?state=resolved")
    assert first["X-Total-Count"] == "5" and len(first.json()) == 2
    assert "cursor=" in next_link(first) and "state=resolved" in next_link(first)
    resolve(surgeon_client, still_open)  # joins the history while the app is between pages
    seen = [row["id"] for row in first.json()] + walk_inbox(surgeon_client, next_link(first))

    # Newest resolution first; every case that was in the history exactly once.
    assert seen == [case.pk for case in reversed(history)]
    # The app's next fetch from the top starts with the case resolved in between.
    assert walk_inbox(surgeon_client, f"{INBOX}?state=resolved") == [still_open.pk, *seen]


@pytest.mark.usefixtures("small_cursor_pages")
def test_a_case_raised_between_two_pages_of_all_is_neither_repeated_nor_skipped(surgeon_client, surgeon):
    cases = [open_case(surgeon) for _ in range(3)]
    resolve(surgeon_client, cases[0])
    first = surgeon_client.get(f"{INBOX}?state=all")
    assert first["X-Total-Count"] == "3"
    newest = open_case(surgeon)
    resolve(surgeon_client, cases[2])  # resolving does not move a case in `all`
    seen = [row["id"] for row in first.json()] + walk_inbox(surgeon_client, next_link(first))
    assert seen == [case.pk for case in reversed(cases)]
    assert walk_inbox(surgeon_client, f"{INBOX}?state=all")[0] == newest.pk


@pytest.mark.usefixtures("small_cursor_pages")
def test_the_history_goes_back_with_a_prev_link(surgeon_client, surgeon):
    for case in [open_case(surgeon) for _ in range(3)]:
        resolve(surgeon_client, case)
    second = surgeon_client.get(next_link(surgeon_client.get(f"{INBOX}?state=resolved")))
    assert 'rel="prev"' in second["Link"] and 'rel="next"' not in second["Link"]
    assert second["X-Total-Count"] == "3" and len(second.json()) == 1


def test_a_checkin_cursor_the_list_did_not_hand_out_is_404_json(patient_client):
    response = patient_client.get("/api/v1/checkins/?cursor=not-a-cursor")
    assert response.status_code == 404 and response.json() == {"detail": "Invalid cursor"}


@pytest.mark.parametrize("query", ["state=resolved&cursor=not-a-cursor", "state=all&cursor=bz1hYmM%3D"])
def test_an_inbox_cursor_the_list_did_not_hand_out_is_404_json_as_for_checkins(surgeon_client, query):
    response = surgeon_client.get(f"{INBOX}?{query}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json() == {"detail": "Invalid cursor"}


def crafted_cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize("position", ["\x00", "2026-01-01T00:00:00\x00", "not a time"])
def test_a_crafted_cursor_that_names_no_time_is_an_invalid_cursor_not_a_500(patient_client, patient, position):
    CheckInFactory.create_batch(2, patient=patient)
    response = patient_client.get("/api/v1/checkins/", {"cursor": crafted_cursor(f"o=1&p={position}")})
    assert response.status_code == 404 and response.json()["detail"] == "Invalid cursor"


def test_a_crafted_cursor_of_the_inbox_history_is_an_invalid_cursor_not_a_500(surgeon_client, surgeon):
    EscalationFactory(warning_report__patient__surgeon=surgeon)
    response = surgeon_client.get("/api/v1/surgeon/inbox/", {"state": "all", "cursor": crafted_cursor("p=\x00")})
    assert response.status_code == 404 and response.json()["detail"] == "Invalid cursor"
