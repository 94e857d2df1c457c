"""A deactivated login (a lost or stolen phone, a patient who left the programme, staff who left) gets no pushes:
its devices are disabled with the deactivation, reminders skip it, and what was queued for it is never sent. Once
reactivated, the app's next registration of its token brings its pushes back."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from notifications.models import Device, Notification
from notifications.services import delivery
from recovery.models import PromptLog, User
from recovery.services import reminders
from tests.factories import DeviceFactory, PatientFactory, SurgeonFactory
from tests.notifications.factories import NotificationFactory
from tests.support import admin_url

pytestmark = pytest.mark.django_db

SURGERY = date(2026, 1, 1)
CHECKIN_RULE = reminders.REMINDER_RULES[0]
NINE_IN_LONDON = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def client_of(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def set_active_in_admin(admin_client: Any, user: User, *, active: bool) -> None:
    """Tick or untick "Active" on the login's admin page, as the clinic does."""
    form = {
        "username": user.username, "first_name": "", "last_name": "", "email": "", "role": user.role,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"), "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    if active:
        form["is_active"] = "on"
    response = admin_client.post(admin_url("recovery.user", "change", user.pk), form)
    assert response.status_code == 302, response.content[:2000]
    user.refresh_from_db()
    assert user.is_active is active


def patient_with_device() -> tuple[Any, Device]:
    patient = PatientFactory(enrolled=True, surgery_date=SURGERY, timezone="Europe/London", checkin_time=time(9, 0))
    return patient, DeviceFactory(user=patient.user, platform=Device.Platform.IOS)


def test_deactivating_a_patient_disables_their_devices_and_nothing_queued_reaches_the_phone(admin_client, fcm_standin):
    patient, device = patient_with_device()
    queued = NotificationFactory(device=device)  # e.g. a reminder written just before

    set_active_in_admin(admin_client, patient.user, active=False)

    device.refresh_from_db()
    assert not device.is_active and device.disabled_reason == "login_deactivated"
    assert delivery.deliver_notifications([queued.pk]).dead == 1
    queued.refresh_from_db()
    assert (queued.status, queued.last_error) == ("dead", "device disabled: login_deactivated")
    assert fcm_standin.sent_messages() == []


def test_a_deactivated_patient_is_neither_reminded_nor_sent_the_care_teams_messages(admin_client, fcm_standin):
    patient, device = patient_with_device()
    set_active_in_admin(admin_client, patient.user, active=False)

    reminded = reminders.dispatch_reminder(CHECKIN_RULE, now=NINE_IN_LONDON)
    reply = client_of(patient.surgeon.user).post(f"/api/v1/surgeon/patients/{patient.pk}/messages/",
                                                 {"body": "Call us when you can."}, format="json")
    delivery.deliver_due()

    assert reminded == 0 and not PromptLog.objects.filter(patient=patient).exists()  # no reminder claimed as sent
    assert reply.status_code == 201
    assert not Notification.objects.filter(device=device).exists()
    assert fcm_standin.sent_messages() == []


def test_the_zone_of_only_deactivated_patients_is_not_dispatched():
    patient, _ = patient_with_device()
    PatientFactory(timezone="Asia/Tokyo")
    patient.user.is_active = False
    patient.user.save()

    assert reminders.zones_with_patients() == ["Asia/Tokyo"]


def test_deactivating_a_staff_login_disables_its_devices(admin_client):
    surgeon = SurgeonFactory()
    phone, laptop = DeviceFactory(user=surgeon.user), DeviceFactory(user=surgeon.user, platform=Device.Platform.WEB)

    set_active_in_admin(admin_client, surgeon.user, active=False)

    assert set(Device.objects.filter(pk__in=[phone.pk, laptop.pk]).values_list("disabled_reason", flat=True)) == {
        "login_deactivated"
    }


def test_a_device_the_user_had_unregistered_keeps_its_reason(admin_client):
    patient, device = patient_with_device()
    assert client_of(patient.user).delete(f"/api/v1/devices/{device.token}/").status_code == 204

    set_active_in_admin(admin_client, patient.user, active=False)

    device.refresh_from_db()
    assert device.disabled_reason == "unregistered"


def test_a_deactivation_that_is_rolled_back_leaves_the_devices_enabled():
    patient, device = patient_with_device()

    with pytest.raises(RuntimeError), transaction.atomic():
        patient.user.is_active = False
        patient.user.save()
        raise RuntimeError("the admin's save failed after the login's row")

    device.refresh_from_db()
    assert device.is_active


@pytest.mark.django_db(transaction=True)
def test_a_deactivation_whose_devices_cannot_be_disabled_is_not_saved(monkeypatch):
    """Outside any transaction of the caller too (a shell, a script): the login is never left inactive with its
    phone still pushed."""
    patient, device = patient_with_device()

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("database connection lost")

    monkeypatch.setattr("notifications.services.devices.disable_devices_of", broken)
    patient.user.is_active = False
    with pytest.raises(RuntimeError):
        patient.user.save()

    patient.user.refresh_from_db()
    device.refresh_from_db()
    assert patient.user.is_active and device.is_active


def test_a_reactivated_patient_is_pushed_again_once_the_app_registers_its_token(admin_client, fcm_standin):
    patient, device = patient_with_device()
    set_active_in_admin(admin_client, patient.user, active=False)

    set_active_in_admin(admin_client, patient.user, active=True)
    device.refresh_from_db()
    assert not device.is_active  # the holder of the lost phone is not pushed again by the reactivation itself
    again = client_of(patient.user).post("/api/v1/devices/", {"token": device.token, "platform": "ios"})

    assert again.status_code == 200 and again.json()["id"] == device.pk
    assert Device.objects.filter(user=patient.user).count() == 1
    assert reminders.dispatch_reminder(CHECKIN_RULE, now=NINE_IN_LONDON) == 1
    delivery.deliver_due()
    assert [message["token"] for message in fcm_standin.sent_messages()] == [device.token]
    assert Notification.objects.get(device=device).status == "sent"


def test_reactivation_with_a_new_phone_creates_its_device_and_pushes_it(admin_client, fcm_standin):
    patient, lost = patient_with_device()
    set_active_in_admin(admin_client, patient.user, active=False)
    set_active_in_admin(admin_client, patient.user, active=True)

    new = client_of(patient.user).post("/api/v1/devices/", {"token": "new-phone-" + "n" * 60, "platform": "android"})
    assert new.status_code == 201
    reply = client_of(patient.surgeon.user).post(f"/api/v1/surgeon/patients/{patient.pk}/messages/",
                                                 {"body": "Welcome back."}, format="json")
    assert reply.status_code == 201
    delivery.deliver_due()

    assert [message["token"] for message in fcm_standin.sent_messages()] == ["new-phone-" + "n" * 60]
    assert not Notification.objects.filter(device=lost).exists()


def test_a_registration_on_its_way_when_the_login_is_deactivated_leaves_its_devices_disabled(admin_client):
    """A request authenticated just before the deactivation committed: it must not re-enable the lost phone."""
    patient, device = patient_with_device()
    on_its_way = client_of(User.objects.get(pk=patient.user.pk))  # the login as its request saw it, still active
    set_active_in_admin(admin_client, patient.user, active=False)

    response = on_its_way.post("/api/v1/devices/", {"token": device.token, "platform": "ios"}, format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "This account is no longer active."}
    device.refresh_from_db()
    assert (device.is_active, device.disabled_reason) == (False, "login_deactivated")
