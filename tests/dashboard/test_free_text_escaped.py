"""What patients and staff type (names, notes, messages, contact details) is shown as text on every dashboard page,
the printed handout and the dashboard's notices: markup in it is escaped, never run or rendered."""
from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from recovery.services import escalations, messages
from tests.factories import CheckInFactory, EscalationFactory, IncisionCheckFactory, PatientFactory

pytestmark = pytest.mark.django_db

MARKUP = '<script>alert("{}")</script>'


@pytest.fixture
def patient(surgeon, nurse):
    patient = PatientFactory(enrolled=True, surgeon=surgeon, display_name=MARKUP.format("name"),
                             phone="+12125550100", emergency_contact_name=MARKUP.format("contact"),
                             emergency_contact_phone="+12125550199", preferred_contact_time=MARKUP.format("time"))
    case = EscalationFactory(warning_report__patient=patient, warning_report__note=MARKUP.format("report"))
    escalations.acknowledge_escalation(case, nurse.user, note=MARKUP.format("acknowledgement"))
    CheckInFactory(patient=patient, note=MARKUP.format("checkin"))
    IncisionCheckFactory(patient=patient, note=MARKUP.format("incision"))
    messages.send_patient_message(patient, client_id=uuid.uuid4(), body=MARKUP.format("message"))
    return patient


def test_every_page_shows_typed_markup_as_text(surgeon_client, surgeon, patient):
    surgeon.display_name = MARKUP.format("surgeon")
    surgeon.save()
    pages = [reverse("dashboard:inbox"), reverse("dashboard:inbox-open"), reverse("dashboard:patients"),
             reverse("dashboard:worklist"), reverse("dashboard:patient", args=[patient.pk]),
             reverse("dashboard:patient-edit", args=[patient.pk]), reverse("dashboard:enrolled", args=[patient.pk])]
    shown = ""
    for url in pages:
        html = surgeon_client.get(url).content.decode()
        assert "<script>alert" not in html, url
        shown += html
    for field in ("name", "contact", "time", "report", "acknowledgement", "checkin", "incision", "message"):
        assert f"&lt;script&gt;alert(&quot;{field}&quot;)&lt;/script&gt;" in shown, field


def test_a_notice_quoting_a_note_shows_its_markup_as_text(nurse_client, surgeon, patient):
    case = patient.escalations.get()
    escalations.resolve_escalation(case, surgeon.user, outcome="advice_sent", note=MARKUP.format("resolution"))

    response = nurse_client.post(reverse("dashboard:case-note", args=[case.pk]), {
        "note": MARKUP.format("late note"), "back": "inbox", "reports_seen": "1",
        "reasons_seen": ",".join(case.reasons)}, follow=True)

    html = response.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;late note&quot;)&lt;/script&gt;" in html
