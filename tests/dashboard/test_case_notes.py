"""A note added on the dashboard to a case someone already acknowledged ("called again, no answer"), from the open
inbox or the patient page: kept by the acknowledgement service with its author, after the earlier notes, for the
case's care team only."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recovery.models import AcknowledgementNote, AuditEvent, Escalation, TriageLevel
from recovery.services import escalations
from tests.factories import EscalationFactory, EscalationReportFactory, NurseFactory, PatientFactory, SurgeonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(surgeon):
    """An open urgent case the surgeon acknowledged an hour ago with a note."""
    patient = PatientFactory(enrolled=True, surgeon=surgeon, display_name="Mina Mine")
    case = EscalationFactory(warning_report__patient=patient, level=TriageLevel.URGENT, reasons=["incision_redness"])
    escalations.acknowledge_escalation(case, surgeon.user, note="Left a voicemail")
    AcknowledgementNote.objects.filter(escalation=case).update(created_at=timezone.now() - timedelta(hours=1))
    return case


def note_form(html: str, case: Escalation) -> str:
    """The "Add a note" form of the case on a page, or "" when the page has none."""
    match = re.search(rf'<form[^>]*data-case-note="{case.pk}".*?</form>', html, re.S)
    return match.group(0) if match else ""


def pages(client: Client, case: Escalation) -> dict[str, str]:
    return {
        "inbox": client.get(reverse("dashboard:inbox")).content.decode(),
        "patient": client.get(reverse("dashboard:patient", args=[case.patient_id])).content.decode(),
    }


def add_note(client: Client, case: Escalation, note: str, back: str = "inbox", **fields: str):
    return client.post(reverse("dashboard:case-note", args=[case.pk]), {
        "note": note, "back": back, "reports_seen": str(case.case_reports.count()),
        "reasons_seen": ",".join(case.reasons), **fields})


def test_an_acknowledged_open_case_offers_add_a_note_on_the_inbox_and_the_patient_page(nurse_client, case):
    for name, html in pages(nurse_client, case).items():
        form = note_form(html, case)
        assert f'action="{reverse("dashboard:case-note", args=[case.pk])}"' in form, name
        assert 'name="csrfmiddlewaretoken"' in form, name
        assert '<input type="hidden" name="reports_seen" value="1">' in form, name
        assert '<input type="hidden" name="reasons_seen" value="incision_redness">' in form, name
        assert f'<input type="hidden" name="back" value="{name}">' in form, name
        assert ">Add a note</button>" in form, name


def test_an_unacknowledged_case_offers_acknowledge_and_no_separate_note_form(surgeon, nurse_client):
    case = EscalationFactory(warning_report__patient__surgeon=surgeon)
    for html in pages(nurse_client, case).values():
        assert note_form(html, case) == ""
        assert reverse("dashboard:acknowledge", args=[case.pk]) in html


def test_a_resolved_case_offers_no_note_form(surgeon, nurse_client, case):
    escalations.resolve_escalation(case, surgeon.user, outcome="advice_sent", note="Advice given by phone.")
    for html in pages(nurse_client, case).values():
        assert "Advice given by phone." in html  # the case is still on the page, resolved
        assert note_form(html, case) == ""
        assert reverse("dashboard:case-note", args=[case.pk]) not in html


def test_a_note_from_the_inbox_is_kept_after_the_earlier_one_with_its_author(surgeon, nurse, nurse_client, case):
    response = add_note(nurse_client, case, "Called again, no answer", back="inbox")

    assert response.status_code == 302 and response["Location"] == reverse("dashboard:inbox") + f"#case-{case.pk}"
    notes = list(case.acknowledgement_notes.values_list("text", "author"))
    assert notes == [("Left a voicemail", surgeon.user.pk), ("Called again, no answer", nurse.user.pk)]
    case.refresh_from_db()
    assert case.acknowledged_by == surgeon.user  # the first acknowledgement is kept
    assert AuditEvent.objects.filter(action="acknowledge", patient=case.patient, actor=nurse.user).exists()
    html = nurse_client.get(response["Location"]).content.decode()
    first = html.index(f'Left a voicemail <span class="muted">— {surgeon.display_name},')
    assert html.index('Called again, no answer <span class="muted">— Nurse Noor,') > first


def test_a_note_from_the_patient_page_returns_to_it_showing_the_note(nurse_client, case):
    response = add_note(nurse_client, case, "Called again, no answer", back="patient")

    page = reverse("dashboard:patient", args=[case.patient_id])
    assert response.status_code == 302 and response["Location"] == f"{page}#case-{case.pk}"
    html = nurse_client.get(page).content.decode()
    assert f'id="case-{case.pk}"' in html
    assert 'Called again, no answer <span class="muted">— Nurse Noor,' in html


def test_a_double_submitted_note_is_kept_once(nurse_client, case):
    answers = [add_note(nurse_client, case, "Called again, no answer") for _ in range(2)]

    assert [answer.status_code for answer in answers] == [302, 302]
    assert case.acknowledgement_notes.filter(text="Called again, no answer").count() == 1


@pytest.mark.parametrize("back", ["inbox", "patient"])
@pytest.mark.parametrize("note", ["", "  \n "])
def test_an_empty_note_is_refused_next_to_its_form_and_nothing_is_kept(nurse_client, case, back, note):
    response = add_note(nurse_client, case, note, back=back)

    assert response.status_code == 400
    html = response.content.decode()
    message = "Write the note before adding it: an empty note is not kept."
    assert html.index(message) < html.index(f'data-case-note="{case.pk}"')  # just above the case's form
    assert 'aria-invalid="true" autofocus' in note_form(html, case)
    assert case.acknowledgement_notes.count() == 1


def test_a_member_of_another_team_gets_404_and_nothing_is_kept(case):
    stranger = Client()
    stranger.force_login(NurseFactory(teams=[SurgeonFactory()]).user)

    assert add_note(stranger, case, "Called again, no answer").status_code == 404
    assert case.acknowledgement_notes.count() == 1


def test_a_note_without_the_csrf_token_is_refused(nurse, case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse.user)

    assert add_note(client, case, "Called again, no answer").status_code == 403
    assert case.acknowledgement_notes.count() == 1


def test_a_note_on_a_case_that_gained_a_report_since_the_page_was_drawn_is_not_kept(nurse_client, case):
    seen = case.case_reports.count()
    EscalationReportFactory(escalation=case, warning_report__symptoms=["limb_weakness", "fever"],
                            warning_report__triage_level=TriageLevel.EMERGENCY)

    response = add_note(nurse_client, case, "Called again, no answer", back="patient", reports_seen=str(seen))

    assert response.status_code == 302 and response["Location"] == reverse("dashboard:inbox") + f"#case-{case.pk}"
    html = nurse_client.get(response["Location"]).content.decode()
    assert "A new report joined this case since it was shown to you" in html
    assert case.acknowledgement_notes.count() == 1


@pytest.mark.parametrize("back", ["inbox", "patient"])
def test_a_note_sent_after_a_colleague_resolved_the_case_is_not_added_and_the_page_says_so(
        nurse_client, surgeon, case, back):
    """The form was drawn while the case was open; a colleague resolved it before the note was sent."""
    escalations.resolve_escalation(case, surgeon.user, outcome="called_patient", note="Spoke to her")

    response = add_note(nurse_client, case, "Called again, no answer", back=back)

    assert response.status_code == 302 and response["Location"] == reverse("dashboard:inbox")
    assert not case.acknowledgement_notes.filter(text="Called again, no answer").exists()
    page = nurse_client.get(response["Location"]).content.decode()
    assert "this case was resolved before your note was sent" in page
    assert "Called again, no answer" in page  # the text, to write elsewhere
