"""A push token belongs to one user (issue 14): registering another user's token moves it as a fresh
record with none of the old owner's pushes, and a care-team member's enabled token never moves to a
patient (recovery.access.may_take_over_device)."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Device, Notification
from tests.factories import DeviceFactory, PatientFactory, SurgeonFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db

TOKEN = "fcm-registration-token:" + "b" * 120


def client_of(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def register(user: Any, token: str = TOKEN, platform: str = "ios") -> Any:
    return client_of(user).post("/api/v1/devices/", {"token": token, "platform": platform})


def test_a_patients_token_moves_to_another_patient_as_a_fresh_record_without_their_pushes():
    old_owner, new_owner = PatientFactory().user, PatientFactory().user
    old = DeviceFactory(token=TOKEN, user=old_owner, platform=Device.Platform.ANDROID)
    Device.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    pending = NotificationFactory(device=old, status=Notification.Status.PENDING)
    retrying = NotificationFactory(device=old, status=Notification.Status.FAILED)
    sent = NotificationFactory(device=old, status=Notification.Status.SENT)

    response = register(new_owner)

    assert response.status_code == 201
    device = Device.objects.get(token_digest=old.token_digest)
    assert device.pk != old.pk and device.user == new_owner and device.platform == "ios"
    assert device.created_at > timezone.now() - timedelta(minutes=1)
    assert not Notification.objects.filter(pk__in=[pending.pk, retrying.pk, sent.pk]).exists()
    assert not Device.objects.filter(user=old_owner).exists()


def test_a_surgeons_enabled_token_is_refused_to_a_patient_and_nothing_changes():
    surgeon = SurgeonFactory().user
    device = DeviceFactory(token=TOKEN, user=surgeon)
    escalation_push = NotificationFactory(device=device, status=Notification.Status.PENDING)

    response = register(PatientFactory().user)

    assert response.status_code == 409 and list(response.json()) == ["token"]
    device.refresh_from_db()
    assert device.user == surgeon and device.is_active
    assert Notification.objects.filter(pk=escalation_push.pk, status=Notification.Status.PENDING).exists()


def test_a_surgeons_token_moves_to_a_patient_once_the_surgeon_unregistered_it():
    surgeon, patient = SurgeonFactory().user, PatientFactory().user
    DeviceFactory(token=TOKEN, user=surgeon)
    assert client_of(surgeon).delete(f"/api/v1/devices/{TOKEN}/").status_code == 204

    assert register(patient).status_code == 201
    assert Device.objects.get().user == patient and Device.objects.get().is_active


@pytest.mark.parametrize("old_role, new_role", [("surgeon", "surgeon"), ("patient", "surgeon")])
def test_tokens_move_between_care_team_members_and_from_a_patient_to_a_surgeon(old_role, new_role):
    make = {"surgeon": lambda: SurgeonFactory().user, "patient": lambda: PatientFactory().user}
    new_owner = make[new_role]()
    DeviceFactory(token=TOKEN, user=make[old_role]())

    assert register(new_owner).status_code == 201
    assert Device.objects.get().user == new_owner


def test_the_callers_own_token_again_keeps_its_record():
    patient = PatientFactory().user
    first = register(patient).json()
    again = register(patient, platform="android")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert Device.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_patients_registering_one_new_token_at_once_end_in_one_row_and_no_error(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test)")
    first, second = PatientFactory().user, PatientFactory().user
    # Both have looked for the token and found nothing before either inserts: the race the unique
    # digest settles.
    barrier = threading.Barrier(2, timeout=20)
    waited = threading.local()
    create = Device.objects.create

    def create_after_both_looked(**fields: Any) -> Device:
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return create(**fields)

    monkeypatch.setattr(Device.objects, "create", create_after_both_looked)
    results: list[Any] = [None, None]

    def run(i: int, user: Any) -> None:
        try:
            results[i] = register(user)
        except BaseException as exc:  # noqa: BLE001 - shown by the assertion below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, user)) for i, user in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(getattr(r, "status_code", r) for r in results) == [201, 201], results
    assert Device.objects.count() == 1 and Device.objects.get().user in (first, second)
