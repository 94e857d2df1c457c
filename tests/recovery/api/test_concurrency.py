"""Two requests at once on PostgreSQL: duplicates end in one record, a code activates one login.

Each request runs in its own thread with its own database connection and really commits
(transaction=True). A barrier holds both requests until each has looked for an earlier record and
found none, so the race is the one the unique constraint must settle, every time.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from recovery import triage
from recovery.models import (
    AcknowledgementNote,
    ActivationCode,
    CheckIn,
    Escalation,
    PatientMessage,
    User,
    WarningReport,
)
from recovery.services import accounts, enrollment, escalations
from tests.factories import EscalationFactory, PatientFactory, SurgeonFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test)")


def hold_until_both_arrive(monkeypatch, module, name: str) -> threading.Barrier:
    barrier = threading.Barrier(2, timeout=20)
    original = getattr(module, name)

    def wait_then_run(*args, **kwargs):
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wait_then_run)
    return barrier


def in_two_threads(make_request: Callable[[int], object]) -> list:
    results: list = [None, None]

    def run(i: int) -> None:
        try:
            results[i] = make_request(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_the_same_report_twice_at_once_stores_one_record_and_one_escalation(monkeypatch):
    patient = PatientFactory(enrolled=True)
    hold_until_both_arrive(monkeypatch, triage, "triage")
    body = {"client_id": str(uuid.uuid4()), "symptoms": ["difficulty_breathing"], "note": "at once"}

    responses = in_two_threads(lambda _i: bearer(APIClient(), patient.user).post("/api/v1/warning-reports/", body))

    assert sorted(r.status_code for r in responses) == [200, 201], responses
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert WarningReport.objects.count() == 1
    assert Escalation.objects.count() == 1 and PatientMessage.objects.count() == 1


def test_the_same_client_id_with_different_bodies_at_once_is_one_201_and_one_409(monkeypatch):
    patient = PatientFactory(enrolled=True)
    hold_until_both_arrive(monkeypatch, triage, "triage")
    client_id = str(uuid.uuid4())

    responses = in_two_threads(lambda i: bearer(APIClient(), patient.user).post(
        "/api/v1/checkins/", {"client_id": client_id, "pain_score": 2 + i}))

    assert sorted(r.status_code for r in responses) == [201, 409], responses
    assert CheckIn.objects.count() == 1


def test_one_activation_code_used_twice_at_once_creates_one_login(monkeypatch):
    surgeon = SurgeonFactory()
    enrolled = enrollment.enroll_patient(
        surgeon=surgeon, display_name="Ada", surgery_date=timezone.now().date(), timezone_name="UTC",
        pump={"kind": "programmable", "drug": "morphine"},
    )
    # Both requests hold the code before either locks its row (the code is checked first, under that lock).
    hold_until_both_arrive(monkeypatch, accounts, "hash_activation_code")

    responses = in_two_threads(lambda i: APIClient().post("/api/v1/auth/activate/", {
        "code": enrolled.activation_code, "username": f"ada{i}", "password": "Lilac-Harbor-91"}))

    assert sorted(r.status_code for r in responses) == [201, 400], responses
    assert User.objects.filter(role=User.Role.PATIENT).count() == 1
    assert ActivationCode.objects.get().used_at is not None


def test_the_same_acknowledgement_twice_at_once_stores_its_note_once(monkeypatch):
    surgeon = SurgeonFactory()
    case = EscalationFactory(warning_report__patient=PatientFactory(enrolled=True, surgeon=surgeon))
    # Both requests are in the service before either locks the case (the lock orders a case's notes).
    hold_until_both_arrive(monkeypatch, escalations, "acknowledge_escalation")

    responses = in_two_threads(lambda _i: bearer(APIClient(), surgeon.user).post(
        f"/api/v1/surgeon/inbox/{case.pk}/acknowledge/", {"note": "Calling her now"}, format="json"))

    assert [r.status_code for r in responses] == [200, 200], responses
    assert list(AcknowledgementNote.objects.values_list("text", flat=True)) == ["Calling her now"]
