"""Through the phone's real endpoint: an emergency warning report pushes the surgeon and the patient."""
from __future__ import annotations

import uuid

import pytest

from notifications.models import Notification
from tests.factories import DeviceFactory, PatientFactory, SurgeonFactory
from tests.support import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reporting_patient(api_client):
    surgeon = SurgeonFactory()
    patient = PatientFactory(surgeon=surgeon, display_name="Jane Q. Sensitive")
    api_client.force_authenticate(patient.user)
    return patient, DeviceFactory(user=surgeon.user), DeviceFactory(user=patient.user)


def post_emergency(api_client, client_id: str):
    return api_client.post(
        "/api/v1/warning-reports/",
        {"client_id": client_id, "symptoms": ["difficulty_breathing"], "note": "my lips look blue"},
        format="json",
    )


def test_emergency_report_posted_by_the_phone_reaches_the_surgeons_and_the_patients_devices(
    api_client, reporting_patient, fcm_standin, worker
):
    _, surgeon_device, patient_device = reporting_patient
    response = post_emergency(api_client, str(uuid.uuid4()))
    assert response.status_code == 201
    assert response.json()["triage"]["level"] == "emergency"
    sent = wait_for(lambda: fcm_standin.sent_messages() if len(fcm_standin.sent_messages()) == 2 else [],
                    what="both pushes at the stand-in")
    by_token = {message["token"]: message["notification"]["title"] for message in sent}
    assert by_token == {
        surgeon_device.token: "A patient needs attention",
        patient_device.token: "New message from your care team",
    }


def test_a_retried_report_queues_no_second_push(api_client, reporting_patient, fcm_standin, worker):
    client_id = str(uuid.uuid4())
    post_emergency(api_client, client_id)
    retry = post_emergency(api_client, client_id)
    assert retry.status_code == 200
    assert Notification.objects.count() == 2
