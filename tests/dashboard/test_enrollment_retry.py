"""Dashboard enrollment is idempotent in the database: the form's submission id is stored with the
patient in the enrollment's transaction, so a failed attempt leaves nothing and can be retried at once."""
import uuid
from datetime import date

import pytest
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse

from recovery.models import AuditEvent, Milestone, Patient
from recovery.services import enrollment


def enroll_form() -> dict:
    return {
        "display_name": "Nina Newcomer", "surgery_date": "2026-11-20", "timezone": "Europe/London",
        "checkin_time": "08:30", "binder_prescribed": "on", "pump_kind": "programmable",
        "pump_drug": "baclofen", "next_refill_date": "2027-01-15", "battery_replacement_due": "",
        "submission_id": str(uuid.uuid4()),
    }


@pytest.mark.django_db(transaction=True)
def test_a_failed_enrollment_can_be_retried_at_once_and_enrolls_one_patient(surgeon, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(surgeon.user)
    build_plan = enrollment.create_recovery_plan
    attempts = []

    def fails_the_first_time(patient):
        attempts.append(patient)
        if len(attempts) == 1:
            raise DatabaseError("connection lost mid-enrollment")
        build_plan(patient)

    monkeypatch.setattr(enrollment, "create_recovery_plan", fails_the_first_time)
    form = enroll_form()

    assert client.post(reverse("dashboard:enroll"), form).status_code == 500
    assert not Patient.objects.exists() and not AuditEvent.objects.exists()

    retry = client.post(reverse("dashboard:enroll"), form, follow=True)

    patient = Patient.objects.get()
    assert retry.redirect_chain[-1][0] == reverse("dashboard:enrolled", args=[patient.pk])
    assert retry.context["activation_code"]
    assert Milestone.objects.filter(patient=patient).exists()
    assert str(patient.enrollment_key) == form["submission_id"]
    again = client.post(reverse("dashboard:enroll"), form)
    assert again["Location"] == reverse("dashboard:enrolled", args=[patient.pk]) and Patient.objects.count() == 1


@pytest.mark.django_db
def test_the_same_submission_key_for_another_surgeon_is_another_enrollment(surgeon):
    from tests.factories import SurgeonFactory

    key = uuid.uuid4()
    pump = {"kind": "programmable", "drug": "baclofen"}
    first = enrollment.enroll_patient(surgeon=surgeon, display_name="A", surgery_date=date(2026, 11, 20),
                                      timezone_name="UTC", pump=pump, submission_key=key)
    replay = enrollment.enroll_patient(surgeon=surgeon, display_name="A", surgery_date=date(2026, 11, 20),
                                       timezone_name="UTC", pump=pump, submission_key=key)
    other = enrollment.enroll_patient(surgeon=SurgeonFactory(), display_name="B", surgery_date=date(2026, 11, 20),
                                      timezone_name="UTC", pump=pump, submission_key=key)
    assert (replay.patient, replay.created, replay.activation_code) == (first.patient, False, None)
    assert other.created and other.patient != first.patient


@pytest.mark.django_db
def test_the_same_enrollment_form_sent_again_for_another_patient_is_refused_and_offered_under_a_new_id(surgeon):
    client = Client()
    client.force_login(surgeon.user)
    form = enroll_form()
    assert client.post(reverse("dashboard:enroll"), form).status_code == 302
    response = client.post(reverse("dashboard:enroll"), {**form, "display_name": "Nora Other"})
    assert response.status_code == 409 and "already enrolled Nina Newcomer" in response.content.decode()
    offered = response.context["form"]
    assert offered["display_name"].value() == "Nora Other"
    assert str(offered["submission_id"].value()) != form["submission_id"]
    assert list(Patient.objects.values_list("display_name", flat=True)) == ["Nina Newcomer"]
    data = {**form, "display_name": "Nora Other", "submission_id": str(offered["submission_id"].value())}
    assert client.post(reverse("dashboard:enroll"), data).status_code == 302
    assert Patient.objects.count() == 2
