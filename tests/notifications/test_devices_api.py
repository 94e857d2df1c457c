"""POST /api/v1/devices/ and DELETE /api/v1/devices/{token}/ (shared/API.md)."""
from __future__ import annotations

import pytest
from django.utils import timezone

from notifications.models import Device
from recovery.models import User
from tests.factories import DeviceFactory, PatientFactory, SurgeonFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "fcm-registration-token:" + "a" * 120


@pytest.fixture
def patient_client(api_client):
    patient = PatientFactory()
    api_client.force_authenticate(patient.user)
    api_client.user = patient.user
    return api_client


def test_first_registration_answers_201_and_stores_the_device(patient_client):
    response = patient_client.post("/api/v1/devices/", {"token": TOKEN, "platform": "android"})
    assert response.status_code == 201
    device = Device.objects.get()
    assert (device.user, device.token, device.platform) == (patient_client.user, TOKEN, "android")


def test_registering_the_same_token_again_answers_200_without_a_second_row(patient_client):
    patient_client.post("/api/v1/devices/", {"token": TOKEN, "platform": "android"})
    response = patient_client.post("/api/v1/devices/", {"token": TOKEN, "platform": "android"})
    assert response.status_code == 200
    assert Device.objects.count() == 1


def test_token_registered_by_another_patient_moves_to_the_caller(patient_client):
    # Issue 14: a move is a fresh record (201), nothing of the earlier owner's is kept; the rules of
    # who may take over whose token are in tests/notifications/test_device_ownership.py.
    DeviceFactory(token=TOKEN, user=PatientFactory().user)
    response = patient_client.post("/api/v1/devices/", {"token": TOKEN, "platform": "ios"})
    assert response.status_code == 201
    assert Device.objects.get().user == patient_client.user


def test_registering_a_disabled_token_enables_it_again(patient_client):
    patient_client.post("/api/v1/devices/", {"token": TOKEN, "platform": "android"})
    Device.objects.update(disabled_at=timezone.now(), disabled_reason="UNREGISTERED")
    patient_client.post("/api/v1/devices/", {"token": TOKEN, "platform": "android"})
    device = Device.objects.get()
    assert device.disabled_at is None and device.disabled_reason == ""


def test_surgeons_register_devices_the_same_way(api_client):
    surgeon = SurgeonFactory()
    api_client.force_authenticate(surgeon.user)
    response = api_client.post("/api/v1/devices/", {"token": TOKEN, "platform": "web"})
    assert response.status_code == 201
    assert Device.objects.get().user == surgeon.user


def test_unknown_platform_answers_400_naming_platform(patient_client):
    response = patient_client.post("/api/v1/devices/", {"token": TOKEN, "platform": "blackberry"})
    assert response.status_code == 400
    assert list(response.json()) == ["platform"]
    assert not Device.objects.exists()


def test_missing_token_answers_400_naming_token(patient_client):
    response = patient_client.post("/api/v1/devices/", {"platform": "ios"})
    assert response.status_code == 400
    assert list(response.json()) == ["token"]


@pytest.mark.parametrize("token", [".", ".."])
def test_a_token_that_is_a_dot_segment_answers_400_naming_token_and_stores_nothing(patient_client, token):
    # Clients resolve DELETE /api/v1/devices/../ to /api/v1/: such a device could never be unregistered.
    response = patient_client.post("/api/v1/devices/", {"token": token, "platform": "web"})
    assert response.status_code == 400 and list(response.json()) == ["token"]
    assert not Device.objects.exists()


def test_a_token_with_a_slash_answers_400_naming_token_and_stores_nothing(patient_client):
    # It could never be unregistered (DELETE /api/v1/devices/{token}/ is one path segment), and its `Location`
    # could not be written: the device was stored, then the answer was a 500, on every retry.
    response = patient_client.post("/api/v1/devices/", {"token": "abc/def", "platform": "web"})
    assert response.status_code == 400
    assert list(response.json()) == ["token"]
    assert not Device.objects.exists()


def test_anonymous_registration_answers_401(api_client):
    assert api_client.post("/api/v1/devices/", {"token": TOKEN, "platform": "ios"}).status_code == 401


def test_staff_login_without_a_role_cannot_register_devices(api_client):
    api_client.force_authenticate(UserFactory(role=User.Role.STAFF))
    assert api_client.post("/api/v1/devices/", {"token": TOKEN, "platform": "ios"}).status_code == 403


def test_delete_disables_the_callers_device(patient_client):
    patient_client.post("/api/v1/devices/", {"token": TOKEN, "platform": "android"})
    response = patient_client.delete(f"/api/v1/devices/{TOKEN}/")
    assert response.status_code == 204
    assert Device.objects.get().disabled_reason == "unregistered"


def test_delete_of_someone_elses_token_answers_404_and_leaves_it_active(patient_client):
    other = DeviceFactory()
    response = patient_client.delete(f"/api/v1/devices/{other.token}/")
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.disabled_at is None


def test_devices_endpoints_are_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    assert "post" in schema["paths"]["/api/v1/devices/"]
    assert "delete" in schema["paths"]["/api/v1/devices/{token}/"]
