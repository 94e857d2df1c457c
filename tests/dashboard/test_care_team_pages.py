"""The dashboard for the whole care team: nurses, contact details, messages, edits, zone labels,
the new activation code, every note the patient wrote, and the signed-out answer of the polled inbox."""
from __future__ import annotations

import uuid
import zoneinfo
from datetime import time, timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Notification
from recovery.models import ActivationCode, AuditEvent, PatientMessage
from recovery.services import messages
from tests.factories import (
    DeviceFactory,
    EscalationFactory,
    IncisionCheckFactory,
    NurseFactory,
    PatientFactory,
    SurgeonFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(surgeon):
    return PatientFactory(enrolled=True, surgeon=surgeon, display_name="Mina Mine", timezone="America/Los_Angeles",
                          phone="+12125550100", emergency_contact_name="Ali Mine",
                          emergency_contact_phone="+12125550199", preferred_contact_time="weekday mornings")


def test_a_nurse_logs_in_to_the_dashboard():
    nurse = NurseFactory()
    response = Client().post(reverse("dashboard:login"),
                             {"username": nurse.user.username, "password": "correct-horse-battery"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:inbox")


def test_a_nurse_sees_the_team_inbox_with_contact_and_tel_links(nurse_client, patient):
    escalation = EscalationFactory(warning_report__patient=patient)
    foreign = EscalationFactory()
    html = nurse_client.get(reverse("dashboard:inbox")).content.decode()
    assert f'data-escalation="{escalation.pk}"' in html and f'data-escalation="{foreign.pk}"' not in html
    assert 'href="tel:+12125550100"' in html and 'href="tel:+12125550199"' in html
    assert "weekday mornings" in html


def test_a_nurse_gets_404_for_a_patient_of_another_team(nurse_client):
    other = PatientFactory(enrolled=True, display_name="Otto Other")
    for name in ("dashboard:patient", "dashboard:patient-edit"):
        assert nurse_client.get(reverse(name, args=[other.pk])).status_code == 404
    assert nurse_client.post(reverse("dashboard:patient-messages", args=[other.pk]), {"body": "hi"}).status_code == 404
    assert not PatientMessage.objects.filter(patient=other).exists()


def test_a_waiting_message_shows_in_the_inbox_and_on_the_patients_list_until_read(nurse_client, patient):
    messages.send_patient_message(patient, client_id=uuid.uuid4(), body="Can I shower yet?")
    inbox = nurse_client.get(reverse("dashboard:inbox")).content.decode()
    assert f'data-thread="{patient.pk}"' in inbox and "Can I shower yet?" in inbox
    patients = nurse_client.get(reverse("dashboard:patients")).content.decode()
    assert f'href="/dashboard/patients/{patient.pk}/#messages">1</a>' in patients
    nurse_client.get(reverse("dashboard:patient", args=[patient.pk]))
    assert f'data-thread="{patient.pk}"' not in nurse_client.get(reverse("dashboard:inbox")).content.decode()


def test_a_reply_from_the_patient_page_reaches_the_patient_with_a_neutral_push(nurse, nurse_client, patient):
    device = DeviceFactory(user=patient.user)
    response = nurse_client.post(reverse("dashboard:patient-messages", args=[patient.pk]),
                                 {"body": "A short shower is fine."})
    assert response.status_code == 302 and response["Location"].endswith("#messages")
    message = PatientMessage.objects.get(patient=patient, kind="care_team")
    assert message.body == "A short shower is fine." and message.sender == nurse.user
    push = Notification.objects.get(device=device, kind="care_team_message")
    assert "shower" not in push.body and "shower" not in push.title
    page = nurse_client.get(reverse("dashboard:patient", args=[patient.pk])).content.decode()
    assert "A short shower is fine." in page and "Nurse Noor (care team)" in page


def rendered_reply_form(client: Client, patient) -> dict[str, str]:
    """What the patient page's reply form sends: its hidden client_id, made when the page was drawn."""
    form = client.get(reverse("dashboard:patient", args=[patient.pk])).context["reply_form"]
    return {"client_id": str(form["client_id"].value())}


def test_each_drawing_of_the_patient_page_has_a_fresh_hidden_client_id(nurse_client, patient):
    first, second = rendered_reply_form(nurse_client, patient), rendered_reply_form(nurse_client, patient)
    assert uuid.UUID(first["client_id"]) != uuid.UUID(second["client_id"])
    html = nurse_client.get(reverse("dashboard:patient", args=[patient.pk])).content.decode()
    assert 'type="hidden" name="client_id"' in html


def test_a_double_submitted_reply_is_one_message_and_one_push(nurse_client, patient):
    DeviceFactory(user=patient.user)
    sent = {**rendered_reply_form(nurse_client, patient), "body": "A short shower is fine."}
    url = reverse("dashboard:patient-messages", args=[patient.pk])
    answers = [nurse_client.post(url, sent) for _ in range(2)]  # a double click, or the browser sending it again
    assert [a.status_code for a in answers] == [302, 302] and answers[1]["Location"].endswith("#messages")
    message = PatientMessage.objects.get(patient=patient, kind="care_team")
    assert str(message.client_id) == sent["client_id"]
    assert Notification.objects.filter(kind="care_team_message").count() == 1


def test_the_same_reply_form_sent_again_with_another_text_is_refused_and_offered_under_a_new_id(nurse_client,
                                                                                                patient):
    sent = {**rendered_reply_form(nurse_client, patient), "body": "A short shower is fine."}
    url = reverse("dashboard:patient-messages", args=[patient.pk])
    nurse_client.post(url, sent)
    response = nurse_client.post(url, {**sent, "body": "A short shower is fine, no bath."})
    assert response.status_code == 409 and "already sent with another text" in response.content.decode()
    offered = response.context["reply_form"]
    assert offered["body"].value() == "A short shower is fine, no bath."
    assert str(offered["client_id"].value()) != sent["client_id"]
    assert PatientMessage.objects.filter(patient=patient, kind="care_team").count() == 1
    assert nurse_client.post(url, {"body": offered["body"].value(),
                                   "client_id": str(offered["client_id"].value())}).status_code == 302
    assert PatientMessage.objects.filter(patient=patient, kind="care_team").count() == 2


# What the browser sends for a textarea it let hold 3999 of its 4000 characters (maxlength counts a line break as
# one): each of its 19 line breaks as CRLF, so 4018 characters. They used to be refused as over 4000, the text lost.
FULL_TEXTAREA = "\r\n".join(["x" * 199] * 20)


def test_a_reply_as_long_as_its_box_allows_is_sent_with_its_line_breaks(nurse_client, patient):
    response = nurse_client.post(reverse("dashboard:patient-messages", args=[patient.pk]), {"body": FULL_TEXTAREA})

    assert response.status_code == 302
    assert PatientMessage.objects.get(patient=patient).body == FULL_TEXTAREA.replace("\r\n", "\n")


@pytest.mark.parametrize(("url_name", "data"), [
    ("dashboard:acknowledge", {}), ("dashboard:resolve", {"outcome": "called_patient"})])
def test_a_case_note_as_long_as_its_box_allows_is_kept_with_its_line_breaks(nurse_client, patient, url_name, data):
    case = EscalationFactory(warning_report__patient=patient)

    response = nurse_client.post(reverse(url_name, args=[case.pk]), {"note": FULL_TEXTAREA, **data})

    assert response.status_code == 302
    case.refresh_from_db()
    kept = case.resolution_note if url_name == "dashboard:resolve" else case.acknowledge_note
    assert kept == FULL_TEXTAREA.replace("\r\n", "\n")


def test_an_empty_reply_is_refused_on_the_page(nurse_client, patient):
    response = nurse_client.post(reverse("dashboard:patient-messages", args=[patient.pk]), {"body": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert not PatientMessage.objects.filter(patient=patient).exists()


def test_editing_the_surgery_date_on_the_dashboard_rebuilds_the_plan(nurse, nurse_client, patient):
    wound_check = patient.milestones.get(key="wound_check").due_date
    form = nurse_client.get(reverse("dashboard:patient-edit", args=[patient.pk])).context["form"]
    data = {**{k: v for k, v in form.initial.items() if v is not None}, "binder_prescribed": "on",
            "surgery_date": (patient.surgery_date + timedelta(days=3)).isoformat(), "checkin_time": "08:30",
            "phone": "(646) 555-0123"}
    response = nurse_client.post(reverse("dashboard:patient-edit", args=[patient.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    patient.refresh_from_db()
    assert patient.phone == "+16465550123"
    assert patient.milestones.get(key="wound_check").due_date == wound_check + timedelta(days=3)
    assert AuditEvent.objects.filter(actor=nurse.user, action="update", patient=patient).exists()


class FormFields(HTMLParser):
    """What a browser sends for a page's form as it was drawn: inputs (checked boxes only) and selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "input" and "name" in attr and (attr.get("type") != "checkbox" or "checked" in attr):
            self.data[attr["name"]] = attr.get("value", "on" if attr.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = attr.get("name")
        elif tag == "option" and self._select and "selected" in attr:
            self.data[self._select] = attr.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def drawn_form(client: Client, url: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(client.get(url).content.decode())
    return parser.data


def test_saving_the_edit_form_keeps_what_the_patient_changed_since_it_was_drawn(nurse_client, patient):
    """It used to write every field of the form back: a check-in time or zone the patient changed in the app while
    the page was open went back to what the page showed, unsaid."""
    url = reverse("dashboard:patient-edit", args=[patient.pk])
    data = drawn_form(nurse_client, url)
    assert data["initial-checkin_time"] == data["checkin_time"] == "09:00:00"  # the hidden copy of what it showed
    app = APIClient()
    app.force_authenticate(patient.user)
    assert app.patch("/api/v1/me/", {"checkin_time": "18:30", "timezone": "Europe/London"},
                     format="json").status_code == 200

    response = nurse_client.post(url, {**data, "phone": "(646) 555-0123"})

    assert response.status_code == 302, response.context["form"].errors
    patient.refresh_from_db()
    assert patient.phone == "+16465550123"
    assert (patient.checkin_time, patient.timezone) == (time(18, 30), "Europe/London")


def test_what_the_nurse_changes_on_the_edit_form_is_saved_over_what_the_page_showed(nurse_client, patient):
    url = reverse("dashboard:patient-edit", args=[patient.pk])
    data = drawn_form(nurse_client, url)
    patient.__class__.objects.filter(pk=patient.pk).update(phone="+12125550177")  # a colleague's edit meanwhile

    response = nurse_client.post(url, {**data, "checkin_time": "07:15", "display_name": "Mina Mine-Ode"})

    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.checkin_time, patient.display_name, patient.phone) == (time(7, 15), "Mina Mine-Ode",
                                                                            "+12125550177")


def test_a_bad_phone_on_the_edit_form_is_shown_and_nothing_changes(nurse_client, patient):
    form = nurse_client.get(reverse("dashboard:patient-edit", args=[patient.pk])).context["form"]
    data = {**{k: v for k, v in form.initial.items() if v is not None}, "phone": "12", "display_name": "Changed"}
    response = nurse_client.post(reverse("dashboard:patient-edit", args=[patient.pk]), data)
    assert response.status_code == 200 and "Enter a valid phone number" in response.content.decode()
    patient.refresh_from_db()
    assert patient.display_name == "Mina Mine"


@pytest.mark.parametrize("surgery_date", ["9999-12-31", "0001-01-01"])
def test_a_surgery_date_out_of_any_plausible_window_is_refused_on_the_edit_form(nurse_client, patient, surgery_date):
    before = patient.surgery_date
    form = nurse_client.get(reverse("dashboard:patient-edit", args=[patient.pk])).context["form"]
    data = {**{k: v for k, v in form.initial.items() if v is not None}, "surgery_date": surgery_date}
    response = nurse_client.post(reverse("dashboard:patient-edit", args=[patient.pk]), data)
    assert response.status_code == 200 and "Must be between" in str(response.context["form"].errors["surgery_date"])
    patient.refresh_from_db()
    assert patient.surgery_date == before and not AuditEvent.objects.filter(action="update").exists()


def test_a_new_activation_code_is_issued_from_the_patient_page(surgeon_client, surgeon):
    waiting = PatientFactory(enrolled=True, surgeon=surgeon, user=None)
    page = surgeon_client.get(reverse("dashboard:patient", args=[waiting.pk])).content.decode()
    assert reverse("dashboard:new-code", args=[waiting.pk]) in page
    response = surgeon_client.post(reverse("dashboard:new-code", args=[waiting.pk]), follow=True)
    assert response.context["activation_code"]
    assert sum(code.is_usable() for code in ActivationCode.objects.filter(patient=waiting)) == 1


def test_the_patient_page_shows_every_note_the_patient_wrote(surgeon_client, patient):
    IncisionCheckFactory(patient=patient, note="A little crust at the top of the back incision")
    messages.send_patient_message(patient, client_id=uuid.uuid4(), body="Is the crust normal?")
    page = surgeon_client.get(reverse("dashboard:patient", args=[patient.pk])).content.decode()
    assert "A little crust at the top of the back incision" in page and "Is the crust normal?" in page


def test_times_are_labelled_with_the_clinic_zone_and_patient_dates_with_the_patients(surgeon_client, patient,
                                                                                      settings):
    settings.CLINIC_TIME_ZONE = "Europe/London"
    report = EscalationFactory(warning_report__patient=patient).warning_report
    page = surgeon_client.get(reverse("dashboard:patient", args=[patient.pk])).content.decode()
    local = timezone.localtime(report.created_at, timezone=zoneinfo.ZoneInfo("Europe/London"))
    assert f"{local:%b} {local.day} {local:%H:%M} {local.tzname()}" in page
    assert "Day (America/Los_Angeles)" in page and "clinic's zone (Europe/London)" in page


def test_only_clinic_side_milestones_are_marked_done_by_the_care_team(surgeon_client, patient):
    physical_therapy = patient.milestones.get(key="physical_therapy_start")
    response = surgeon_client.post(reverse("dashboard:complete-milestone", args=[physical_therapy.pk]))
    assert response.status_code == 403
    physical_therapy.refresh_from_db()
    assert physical_therapy.completed_at is None


def test_the_polled_inbox_answers_401_once_the_session_has_ended(surgeon_client):
    surgeon_client.logout()
    response = surgeon_client.get(reverse("dashboard:inbox-open"), HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 401 and response.json()["detail"] == "signed_out"


def test_a_nurse_resolves_a_case_with_an_outcome_and_is_named_in_the_history(nurse, nurse_client, patient):
    escalation = EscalationFactory(warning_report__patient=patient)
    nurse_client.post(reverse("dashboard:resolve", args=[escalation.pk]),
                      {"outcome": "called_patient", "note": "Spoke to Mina; feeling better."})
    html = nurse_client.get(reverse("dashboard:inbox")).content.decode()
    assert "just now by Nurse Noor" in html and "Spoke to Mina" in html
    escalation.refresh_from_db()
    assert escalation.resolved_by == nurse.user and escalation.outcome == "called_patient"


def test_a_surgeon_of_another_team_cannot_reply_to_this_patient(patient):
    client = Client()
    client.force_login(SurgeonFactory().user)
    assert client.post(reverse("dashboard:patient-messages", args=[patient.pk]), {"body": "hi"}).status_code == 404
