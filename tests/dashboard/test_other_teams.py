"""Every dashboard address that names a patient, a case, a milestone or an incision check, read or written, answers
404 to a care-team member of another team (a surgeon or a nurse), whatever the form sends, and changes nothing:
the page says nothing about whether the record exists, and no record, message, code or audit row is written."""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from recovery.models import (
    AcknowledgementNote,
    ActivationCode,
    AuditEvent,
    Escalation,
    Milestone,
    Patient,
    PatientMessage,
    Pump,
    PumpRefill,
)
from recovery.services import escalations
from recovery.services.enrollment import enroll_patient
from tests.factories import EscalationFactory, IncisionCheckFactory, NurseFactory, SurgeonFactory

pytestmark = pytest.mark.django_db


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "JPEG")
    return SimpleUploadedFile("incision.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def records() -> dict[str, Any]:
    """A patient of another surgeon, not yet activated, with an acknowledged open case, a milestone and a photo."""
    owner = SurgeonFactory()
    patient = enroll_patient(surgeon=owner, display_name="Zelda Secret", surgery_date=timezone.localdate()
                             - timedelta(days=3), timezone_name="Europe/London",
                             pump={"kind": "programmable", "drug": "baclofen"}).patient
    case = EscalationFactory(warning_report__patient=patient)
    escalations.acknowledge_escalation(case, owner.user, note="Called")
    return {"patient": patient, "case": case, "milestone": patient.milestones.get(key="discharge"),
            "photo": IncisionCheckFactory(patient=patient, photo=jpeg())}


def stored(patient: Patient) -> tuple:
    """Everything the requests below could change."""
    return (
        list(Patient.objects.filter(pk=patient.pk).values()), list(Escalation.objects.values()),
        list(AcknowledgementNote.objects.values()), list(Milestone.objects.filter(patient=patient).values()),
        list(PatientMessage.objects.values()), list(ActivationCode.objects.values()), AuditEvent.objects.count(),
        list(Pump.objects.values()), PumpRefill.objects.count(),
    )


EDIT = {"display_name": "Taken over", "surgery_date": "2026-11-20", "timezone": "America/New_York",
        "checkin_time": "09:00"}
SEEN = {"reports_seen": "1", "reasons_seen": "difficulty_breathing"}
REQUESTS: dict[str, tuple[str, str, Callable[[dict], list[int]], dict[str, str]]] = {
    "patient page": ("get", "dashboard:patient", lambda r: [r["patient"].pk], {}),
    "edit page": ("get", "dashboard:patient-edit", lambda r: [r["patient"].pk], {}),
    "handout page": ("get", "dashboard:enrolled", lambda r: [r["patient"].pk], {}),
    "incision photo": ("get", "dashboard:incision-photo", lambda r: [r["photo"].pk], {}),
    "edit": ("post", "dashboard:patient-edit", lambda r: [r["patient"].pk], EDIT),
    "reply": ("post", "dashboard:patient-messages", lambda r: [r["patient"].pk], {"body": "Hello"}),
    "new activation code": ("post", "dashboard:new-code", lambda r: [r["patient"].pk], {}),
    "acknowledge": ("post", "dashboard:acknowledge", lambda r: [r["case"].pk], {"note": "Mine now", **SEEN}),
    "add a note": ("post", "dashboard:case-note", lambda r: [r["case"].pk], {"note": "Mine now", **SEEN}),
    "resolve": ("post", "dashboard:resolve", lambda r: [r["case"].pk], {"outcome": "advice_sent", **SEEN}),
    "mark a milestone done": ("post", "dashboard:complete-milestone", lambda r: [r["milestone"].pk], {}),
}


@pytest.mark.parametrize("role", ["surgeon", "nurse"])
@pytest.mark.parametrize("what", sorted(REQUESTS))
def test_a_member_of_another_team_gets_404_and_changes_nothing(records, role, what):
    outsider = SurgeonFactory() if role == "surgeon" else NurseFactory()
    client = Client()
    client.force_login(outsider.user)
    method, url_name, args, data = REQUESTS[what]
    before = stored(records["patient"])

    response = getattr(client, method)(reverse(url_name, args=args(records)), data)

    assert response.status_code == 404
    assert "Zelda" not in response.content.decode(errors="replace")
    assert stored(records["patient"]) == before


REFILL = {"client_id": "0b6a3a8e-6f53-4a47-9a8f-6c1b9f0c2d11", "refill_date": "2026-11-20", "volume_ml": "20",
          "concentration": "2", "concentration_unit": "mg/mL", "daily_dose": "1", "dose_unit": "mg/day"}
API_REQUESTS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "patient": ("get", "/api/v1/surgeon/patients/{patient}/", None),
    "patient edit": ("patch", "/api/v1/surgeon/patients/{patient}/", {"display_name": "Taken over"}),
    "thread": ("get", "/api/v1/surgeon/patients/{patient}/messages/", None),
    "reply": ("post", "/api/v1/surgeon/patients/{patient}/messages/", {"body": "Hello"}),
    "export": ("get", "/api/v1/surgeon/patients/{patient}/fhir/", None),
    "pump edit": ("patch", "/api/v1/surgeon/patients/{patient}/pump/", {"serial_number": "X1"}),
    "refills": ("get", "/api/v1/surgeon/patients/{patient}/refills/", None),
    "refill": ("post", "/api/v1/surgeon/patients/{patient}/refills/", REFILL),
    "acknowledge": ("post", "/api/v1/surgeon/inbox/{case}/acknowledge/", {"note": "Mine now"}),
    "resolve": ("post", "/api/v1/surgeon/inbox/{case}/resolve/", {"outcome": "advice_sent"}),
}


@pytest.mark.parametrize("role", ["surgeon", "nurse"])
@pytest.mark.parametrize("what", sorted(API_REQUESTS))
def test_the_care_team_api_answers_404_to_another_team_and_changes_nothing(api_client, records, role, what):
    outsider = SurgeonFactory() if role == "surgeon" else NurseFactory()
    api_client.force_authenticate(outsider.user)
    method, path, body = API_REQUESTS[what]
    before = stored(records["patient"])

    response = getattr(api_client, method)(path.format(patient=records["patient"].pk, case=records["case"].pk),
                                           body, format="json")

    assert response.status_code == 404
    assert "Zelda" not in response.content.decode()
    assert stored(records["patient"]) == before
