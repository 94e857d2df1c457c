"""The surgeon dashboard's pages: who may see what, what they show, and what is audit-logged."""
import io
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from recovery.models import ActivationCode, AuditEvent, Escalation, Patient, TriageLevel, User
from recovery.services import audit, escalations
from recovery.services.accounts import hash_activation_code
from tests.factories import (
    CheckInFactory,
    EscalationFactory,
    EscalationReportFactory,
    IncisionCheckFactory,
    NurseFactory,
    PatientFactory,
    SurgeonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_login_page_logs_a_surgeon_in_and_lands_on_the_inbox(surgeon):
    response = Client().post(reverse("dashboard:login"),
                             {"username": surgeon.user.username, "password": "correct-horse-battery"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:inbox")


def test_a_patient_is_refused_at_login_with_a_clear_reason():
    patient = PatientFactory()
    response = Client().post(reverse("dashboard:login"),
                             {"username": patient.user.username, "password": "correct-horse-battery"})
    assert response.status_code == 200
    assert "Patients use the phone app" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_a_logged_in_non_surgeon_gets_403():
    client = Client()
    client.force_login(UserFactory(role=User.Role.PATIENT))
    assert client.get(reverse("dashboard:inbox")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in():
    response = Client().get(reverse("dashboard:patients"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("dashboard:login"))


def test_inbox_lists_open_escalations_emergency_first(surgeon, surgeon_client):
    urgent = EscalationFactory(warning_report__patient__surgeon=surgeon, level=TriageLevel.URGENT,
                               reasons=["incision_redness"])
    emergency = EscalationFactory(warning_report__patient__surgeon=surgeon, level=TriageLevel.EMERGENCY,
                                  reasons=["difficulty_breathing"])
    html = surgeon_client.get(reverse("dashboard:inbox")).content.decode()
    assert html.index(f'data-escalation="{emergency.pk}"') < html.index(f'data-escalation="{urgent.pk}"')
    assert "Trouble breathing" in html and "Redness at an incision" in html


def test_inbox_does_not_show_another_surgeons_escalations(surgeon_client):
    other = EscalationFactory()
    html = surgeon_client.get(reverse("dashboard:inbox")).content.decode()
    assert other.patient.display_name not in html


def test_acknowledging_with_a_note_keeps_the_case_open_and_is_audited(surgeon, surgeon_client):
    # 1.1: acknowledging marks the case seen; it leaves the open inbox only when resolved.
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    response = surgeon_client.post(reverse("dashboard:acknowledge", args=[escalation.pk]),
                                   {"note": "Calling her back at 3"})
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert (escalation.acknowledged_by, escalation.acknowledge_note) == (surgeon.user, "Calling her back at 3")
    fragment = surgeon_client.get(reverse("dashboard:inbox-open")).content.decode()
    assert f'data-escalation="{escalation.pk}"' in fragment and "Calling her back at 3" in fragment
    assert AuditEvent.objects.filter(action="acknowledge", patient=escalation.patient, actor=surgeon.user).exists()


def test_the_open_inbox_and_the_patient_page_show_every_acknowledgement_note_with_its_writer(surgeon, surgeon_client):
    nurse = NurseFactory(teams=[surgeon], display_name="Nurse Joy")
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    escalations.acknowledge_escalation(escalation, nurse.user, note="Called patient, no answer")
    escalations.acknowledge_escalation(escalation, surgeon.user, note="Spoke to patient")

    fragment = surgeon_client.get(reverse("dashboard:inbox-open")).content.decode()
    page = surgeon_client.get(reverse("dashboard:patient", args=[escalation.patient_id])).content.decode()

    for html in (fragment, page):
        first = html.index('Called patient, no answer <span class="muted">— Nurse Joy,')
        assert html.index(f'Spoke to patient <span class="muted">— {surgeon.display_name},') > first


def test_resolving_with_an_outcome_moves_the_case_to_history_and_is_audited(surgeon, surgeon_client):
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    response = surgeon_client.post(reverse("dashboard:resolve", args=[escalation.pk]),
                                   {"outcome": "called_patient", "note": "Advised rest, fever settling"})
    assert response.status_code == 302
    escalation.refresh_from_db()
    assert (escalation.outcome, escalation.resolution_note, escalation.resolved_by) == (
        "called_patient", "Advised rest, fever settling", surgeon.user)
    assert escalation.acknowledged_at is not None
    fragment = surgeon_client.get(reverse("dashboard:inbox-open")).content.decode()
    assert f'data-escalation="{escalation.pk}"' not in fragment
    history = surgeon_client.get(reverse("dashboard:inbox")).content.decode()
    assert "Called the patient" in history and "Advised rest, fever settling" in history
    assert AuditEvent.objects.filter(action="resolve", patient=escalation.patient, actor=surgeon.user).exists()


def test_resolving_a_case_a_colleague_already_resolved_says_so_and_keeps_theirs(surgeon, surgeon_client):
    """It used to redirect as after a success, the second clinician's outcome and note dropped unsaid."""
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    nurse = NurseFactory(teams=[surgeon], display_name="Nurse Joy")
    escalations.resolve_escalation(escalation, nurse.user, outcome="called_patient", note="Fever settling")
    stored = Escalation.objects.values().get(pk=escalation.pk)

    response = surgeon_client.post(reverse("dashboard:resolve", args=[escalation.pk]),
                                   {"outcome": "clinic_visit_booked", "note": "Wound check Friday"}, follow=True)

    assert response.redirect_chain == [(reverse("dashboard:inbox"), 302)]
    html = response.content.decode()
    assert f"{escalation.patient.display_name}: This case was already resolved by Nurse Joy" in html
    assert "your outcome and note were not stored" in html and "Called the patient" in html
    assert Escalation.objects.values().get(pk=escalation.pk) == stored
    assert not AuditEvent.objects.filter(action="resolve", actor=surgeon.user).exists()


@pytest.mark.parametrize("note", ["Calling her back at 3", ""])
def test_acknowledging_a_case_a_colleague_resolved_meanwhile_changes_nothing_and_says_so(surgeon, surgeon_client,
                                                                                           note):
    """The inbox was drawn while the case was open. It used to redirect as after a success: the typed note was
    quietly attached to the closed case (which no open inbox shows) and an acknowledgement was audited."""
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    nurse = NurseFactory(teams=[surgeon], display_name="Nurse Joy")
    escalations.resolve_escalation(escalation, nurse.user, outcome="called_patient", note="Fever settling")
    stored = Escalation.objects.values().get(pk=escalation.pk)

    response = surgeon_client.post(reverse("dashboard:acknowledge", args=[escalation.pk]),
                                   {"note": note, "reports_seen": "1", "reasons_seen": ",".join(escalation.reasons)},
                                   follow=True)

    assert response.redirect_chain == [(reverse("dashboard:inbox"), 302)]
    html = response.content.decode()
    assert f"{escalation.patient.display_name}: this case was resolved by Nurse Joy" in html
    assert "before your acknowledgement was sent; nothing was changed" in html
    assert (note in html) if note else "your note was not added" not in html
    assert Escalation.objects.values().get(pk=escalation.pk) == stored
    assert not escalation.acknowledgement_notes.exists()
    assert not AuditEvent.objects.filter(action="acknowledge", actor=surgeon.user).exists()


def test_a_double_submitted_resolve_is_one_resolution_and_no_warning(surgeon, surgeon_client):
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    form = {"outcome": "called_patient", "note": "Advised rest"}
    surgeon_client.post(reverse("dashboard:resolve", args=[escalation.pk]), form)
    stored = Escalation.objects.values().get(pk=escalation.pk)

    response = surgeon_client.post(reverse("dashboard:resolve", args=[escalation.pk]), form, follow=True)

    assert response.redirect_chain == [(reverse("dashboard:inbox"), 302)]
    assert "already resolved" not in response.content.decode()
    assert Escalation.objects.values().get(pk=escalation.pk) == stored


def test_resolving_without_an_outcome_is_refused_and_changes_nothing(surgeon, surgeon_client):
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    response = surgeon_client.post(reverse("dashboard:resolve", args=[escalation.pk]), {"outcome": "fixed_it"})
    assert response.status_code == 400
    escalation.refresh_from_db()
    assert escalation.resolved_at is None and escalation.acknowledged_at is None


def test_resolving_another_surgeons_case_is_404(surgeon_client):
    escalation = EscalationFactory()
    response = surgeon_client.post(reverse("dashboard:resolve", args=[escalation.pk]), {"outcome": "advice_sent"})
    assert response.status_code == 404
    assert Escalation.objects.get(pk=escalation.pk).resolved_at is None


def test_the_case_forms_send_the_number_of_reports_the_page_showed(surgeon, surgeon_client):
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    EscalationReportFactory(escalation=escalation)
    fragment = surgeon_client.get(reverse("dashboard:inbox-open")).content.decode()
    assert fragment.count('<input type="hidden" name="reports_seen" value="2">') == 2  # acknowledge, resolve
    patient_page = surgeon_client.get(reverse("dashboard:patient", args=[escalation.patient_id])).content.decode()
    assert '<input type="hidden" name="reports_seen" value="2">' in patient_page

    response = surgeon_client.post(reverse("dashboard:resolve", args=[escalation.pk]),
                                   {"outcome": "advice_sent", "reports_seen": "2"})
    assert response.status_code == 302 and Escalation.objects.get(pk=escalation.pk).outcome == "advice_sent"


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_a_case_that_gained_a_report_since_the_page_was_drawn_is_shown_again_not_changed(
        surgeon, surgeon_client, action):
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon, level=TriageLevel.URGENT,
                                   reasons=["incision_redness"])
    seen = 1
    EscalationReportFactory(escalation=escalation, warning_report__symptoms=["limb_weakness", "fever"],
                            warning_report__triage_level=TriageLevel.EMERGENCY)
    response = surgeon_client.post(reverse(f"dashboard:{action}", args=[escalation.pk]),
                                   {"outcome": "no_action_needed", "note": "Fine", "reports_seen": seen},
                                   follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("dashboard:inbox") + f"#case-{escalation.pk}", 302)]
    html = response.content.decode()
    assert "A new report joined this case since it was shown to you" in html
    assert escalation.patient.display_name in html and f'id="case-{escalation.pk}"' in html
    # the message naming the patient is kept in the server-side session, not in a cookie
    assert all(escalation.patient.display_name not in morsel.value for morsel in surgeon_client.cookies.values())
    assert "messages" not in surgeon_client.cookies
    escalation.refresh_from_db()
    assert (escalation.resolved_at, escalation.acknowledged_at, escalation.outcome) == (None, None, "")
    assert not AuditEvent.objects.filter(action=action, patient=escalation.patient).exists()


def test_a_case_that_gained_a_reason_since_the_page_was_drawn_is_not_resolved(surgeon, surgeon_client):
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon, level=TriageLevel.URGENT,
                                   reasons=["incision_redness"])
    html = surgeon_client.get(reverse("dashboard:inbox")).content.decode()
    assert '<input type="hidden" name="reasons_seen" value="incision_redness">' in html
    Escalation.objects.filter(pk=escalation.pk).update(  # the refill safety net's alarm date, no report
        level=TriageLevel.EMERGENCY, reasons=["refill_alarm_date", "incision_redness"])
    response = surgeon_client.post(reverse("dashboard:resolve", args=[escalation.pk]),
                                   {"outcome": "no_action_needed", "reports_seen": "1",
                                    "reasons_seen": "incision_redness"}, follow=True)
    assert "did not have when it was shown to you (refill_alarm_date" in response.content.decode()
    assert Escalation.objects.get(pk=escalation.pk).resolved_at is None


def test_a_bad_reports_seen_on_the_dashboard_is_400_and_changes_nothing(surgeon, surgeon_client):
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    response = surgeon_client.post(reverse("dashboard:resolve", args=[escalation.pk]),
                                   {"outcome": "advice_sent", "reports_seen": "-1"})
    assert response.status_code == 400 and "reports_seen" in response.content.decode()
    assert Escalation.objects.get(pk=escalation.pk).resolved_at is None


def test_acknowledging_another_surgeons_escalation_is_404(surgeon_client):
    escalation = EscalationFactory()
    assert surgeon_client.post(reverse("dashboard:acknowledge", args=[escalation.pk])).status_code == 404
    assert Escalation.objects.get(pk=escalation.pk).acknowledged_at is None


def test_another_surgeons_patient_page_is_404(surgeon_client):
    assert surgeon_client.get(reverse("dashboard:patient", args=[PatientFactory().pk])).status_code == 404


def test_a_backup_surgeon_sees_the_patient_whose_escalation_was_passed_to_them(surgeon, surgeon_client):
    escalation = EscalationFactory(escalated_to=surgeon, escalated_at=timezone.now())
    assert surgeon_client.get(reverse("dashboard:patient", args=[escalation.patient.pk])).status_code == 200


def test_patient_page_shows_timeline_pump_and_three_plots_and_is_audited(surgeon, surgeon_client):
    patient = PatientFactory(enrolled=True, surgeon=surgeon, surgery_date=timezone.now().date() - timedelta(days=5))
    for days_ago, pain in [(3, 6), (2, 5), (1, 4)]:
        CheckInFactory(patient=patient, pain_score=pain, temperature="99.1", binder_hours="20",
                       local_date=patient.local_date() - timedelta(days=days_ago))
    response = surgeon_client.get(reverse("dashboard:patient", args=[patient.pk]),
                                  HTTP_USER_AGENT="Clinic browser", REMOTE_ADDR="10.1.2.3")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Discharged home" in html and "Morphine" in html
    for chart in ("pain", "temperature", "binder"):
        assert f'data-chart="{chart}"' in html
    assert html.count('class="point"') == 9  # three check-ins on each of three charts
    event = AuditEvent.objects.get(patient=patient, action="view")
    assert (event.actor, event.ip_address, event.user_agent) == (surgeon.user, "10.1.2.3", "Clinic browser")


def test_patients_list_searches_by_name_and_sorts_by_open_escalations(surgeon, surgeon_client):
    calm = PatientFactory(surgeon=surgeon, display_name="Alma Calm")
    busy = PatientFactory(surgeon=surgeon, display_name="Zed Busy")
    EscalationFactory(warning_report__patient=busy)
    html = surgeon_client.get(reverse("dashboard:patients"), {"sort": "open_escalations"}).content.decode()
    assert html.index("Zed Busy") < html.index("Alma Calm")
    html = surgeon_client.get(reverse("dashboard:patients"), {"q": "alma"}).content.decode()
    assert "Alma Calm" in html and "Zed Busy" not in html
    assert set(AuditEvent.objects.filter(action="view").values_list("patient_id", flat=True)) >= {calm.pk}


@pytest.mark.parametrize(("page", "query"), [
    ("dashboard:patients", {"q": "\x00"}),
    ("dashboard:patients", {"q": "Al\x00ma"}),
    ("dashboard:patients", {"sort": "name\x00"}),
    ("dashboard:patients", {"page": "2\x00"}),
    ("dashboard:worklist", {"sort": "battery\x00"}),
])
def test_a_nul_character_in_a_list_query_is_a_400_naming_the_parameter(surgeon, surgeon_client, page, query):
    PatientFactory(surgeon=surgeon, display_name="Alma Calm")
    response = surgeon_client.get(reverse(page), query)
    assert response.status_code == 400
    assert f"{next(iter(query))}: Null characters are not allowed." in response.content.decode()


def test_the_patients_list_falls_back_to_the_name_order_for_an_unknown_sort(surgeon, surgeon_client):
    PatientFactory(surgeon=surgeon, display_name="Zed Busy")
    PatientFactory(surgeon=surgeon, display_name="Alma Calm")
    response = surgeon_client.get(reverse("dashboard:patients"), {"sort": "no_such_sort", "page": "x"})
    assert response.status_code == 200 and response.context["sort"] == "name"
    assert [p.display_name for p in response.context["patients"]] == ["Alma Calm", "Zed Busy"]


def jpeg_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "JPEG")
    return SimpleUploadedFile("incision.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_an_incision_photo_is_served_to_the_owning_surgeon_only(surgeon, surgeon_client):
    check = IncisionCheckFactory(patient__surgeon=surgeon, photo=jpeg_upload())
    response = surgeon_client.get(reverse("dashboard:incision-photo", args=[check.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    stranger = Client()
    stranger.force_login(SurgeonFactory().user)
    assert stranger.get(reverse("dashboard:incision-photo", args=[check.pk])).status_code == 404


def enroll_form(**overrides) -> dict:
    form = {
        "display_name": "Nina Newcomer", "surgery_date": "2026-11-20", "timezone": "Europe/London",
        "checkin_time": "08:30", "binder_prescribed": "on", "pump_kind": "programmable",
        "pump_drug": "baclofen", "next_refill_date": "2027-01-15", "battery_replacement_due": "",
        "submission_id": str(uuid.uuid4()),
    }
    form.update(overrides)
    return form


def test_enrolling_shows_a_working_activation_code_exactly_once(surgeon, surgeon_client):
    response = surgeon_client.post(reverse("dashboard:enroll"), enroll_form(), follow=True)
    patient = Patient.objects.get(display_name="Nina Newcomer")
    code = response.context["activation_code"]
    assert code and code in response.content.decode()
    assert ActivationCode.objects.get(patient=patient).code_hash == hash_activation_code(code)
    assert (patient.surgeon, patient.timezone, patient.pump.drug) == (surgeon, "Europe/London", "baclofen")
    again = surgeon_client.get(reverse("dashboard:enrolled", args=[patient.pk]))
    assert code not in again.content.decode() and "already shown" in again.content.decode()


def test_submitting_the_same_enrollment_form_twice_enrolls_one_patient(surgeon, surgeon_client):
    form = enroll_form()
    first = surgeon_client.post(reverse("dashboard:enroll"), form)
    second = surgeon_client.post(reverse("dashboard:enroll"), form)
    patient = Patient.objects.get(display_name="Nina Newcomer")
    assert first.url == second.url == reverse("dashboard:enrolled", args=[patient.pk])


def test_each_rendered_enrollment_form_carries_a_new_submission_id(surgeon_client):
    first, second = (surgeon_client.get(reverse("dashboard:enroll")).context["form"]["submission_id"].value()
                     for _ in range(2))
    assert first and second and first != second


def test_the_submission_id_is_hidden_from_the_surgeon(surgeon_client):
    html = surgeon_client.get(reverse("dashboard:enroll")).content.decode()
    assert 'type="hidden" name="submission_id"' in html and "Submission id" not in html


def test_enrolling_with_an_unknown_time_zone_names_the_field_and_stores_nothing(surgeon_client):
    response = surgeon_client.post(reverse("dashboard:enroll"), enroll_form(timezone="Mars/Olympus"))
    assert response.status_code == 200 and "timezone" in response.context["form"].errors
    assert not Patient.objects.exists()


def test_a_new_code_replaces_the_old_one(surgeon, surgeon_client):
    surgeon_client.post(reverse("dashboard:enroll"), enroll_form())
    patient = Patient.objects.get()
    response = surgeon_client.post(reverse("dashboard:new-code", args=[patient.pk]), follow=True)
    assert response.context["activation_code"]
    usable = [c for c in ActivationCode.objects.filter(patient=patient) if c.is_usable()]
    assert len(usable) == 1 and usable[0].code_hash == hash_activation_code(response.context["activation_code"])


def test_marking_a_milestone_done_shows_it_done_and_is_audited(surgeon, surgeon_client):
    patient = PatientFactory(enrolled=True, surgeon=surgeon, surgery_date=timezone.now().date() - timedelta(days=3))
    discharge = patient.milestones.get(key="discharge")
    assert discharge.status_on(patient.local_date()) == "due"  # past its window, but not a finding (recovery.overdue)
    surgeon_client.post(reverse("dashboard:complete-milestone", args=[discharge.pk]))
    discharge.refresh_from_db()
    assert discharge.status_on(patient.local_date()) == "done"
    assert AuditEvent.objects.filter(action="update", patient=patient, object_id=str(discharge.pk)).exists()


def test_a_backup_surgeon_a_case_was_passed_on_to_cannot_mark_the_patients_milestones_done(surgeon_client, surgeon):
    """The backup reads the record (recovery.access.own_patients): it used to offer "Mark done" and store it."""
    patient = PatientFactory(enrolled=True, surgery_date=timezone.now().date() - timedelta(days=3))
    EscalationFactory(warning_report__patient=patient, escalated_to=surgeon, escalated_at=timezone.now())
    discharge = patient.milestones.get(key="discharge")

    page = surgeon_client.get(reverse("dashboard:patient", args=[patient.pk])).content.decode()
    response = surgeon_client.post(reverse("dashboard:complete-milestone", args=[discharge.pk]))

    assert reverse("dashboard:complete-milestone", args=[discharge.pk]) not in page and "Mark done" not in page
    assert response.status_code == 404
    discharge.refresh_from_db()
    assert discharge.completed_at is None
    assert not AuditEvent.objects.filter(action="update", actor=surgeon.user).exists()


def test_a_clinic_step_after_surgery_cannot_be_marked_done_before_it_and_a_preop_one_can(surgeon, surgeon_client):
    patient = PatientFactory(enrolled=True, surgeon=surgeon, surgery_date=timezone.now().date() + timedelta(days=14))
    wound_check, preop_visit = patient.milestones.get(key="wound_check"), patient.milestones.get(key="preop_visit")
    response = surgeon_client.post(reverse("dashboard:complete-milestone", args=[wound_check.pk]))
    assert response.status_code == 400 and "comes after the surgery" in response.content.decode()
    wound_check.refresh_from_db()
    assert wound_check.completed_at is None and not AuditEvent.objects.filter(object_id=str(wound_check.pk)).exists()
    assert surgeon_client.post(reverse("dashboard:complete-milestone", args=[preop_visit.pk])).status_code == 302
    preop_visit.refresh_from_db()
    assert preop_visit.completed_at is not None


def test_another_surgeons_milestone_cannot_be_marked_done(surgeon_client):
    patient = PatientFactory(enrolled=True)
    milestone = patient.milestones.first()
    assert surgeon_client.post(reverse("dashboard:complete-milestone", args=[milestone.pk])).status_code == 404
    milestone.refresh_from_db()
    assert milestone.completed_at is None


def test_inbox_history_names_the_surgeon_who_acknowledged(surgeon, surgeon_client):
    EscalationFactory(warning_report__patient__surgeon=surgeon, acknowledged_at=timezone.now(),
                      acknowledged_by=surgeon.user)
    html = surgeon_client.get(reverse("dashboard:inbox")).content.decode()
    assert f"just now by {surgeon.display_name}" in html


def test_patient_audit_log_shows_who_looked_in_plain_words(surgeon, surgeon_client):
    patient = PatientFactory(surgeon=surgeon)
    IncisionCheckFactory(patient=patient)
    check = patient.incisionchecks.get()
    colleague = SurgeonFactory(display_name="Dr. Okafor")
    audit.record(actor=colleague.user, action="view", patient=patient, obj=check)
    html = surgeon_client.get(reverse("dashboard:patient", args=[patient.pk])).content.decode()
    assert '<td data-label="Who">Dr. Okafor</td><td data-label="What">view incision check</td>' in html


def test_the_polled_inbox_fragment_audits_only_the_open_escalations_it_shows(surgeon, surgeon_client):
    open_one = EscalationFactory(warning_report__patient__surgeon=surgeon)
    seen = EscalationFactory(warning_report__patient__surgeon=surgeon)
    surgeon_client.post(reverse("dashboard:resolve", args=[seen.pk]), {"outcome": "no_action_needed"})
    AuditEvent.objects.all().delete()
    fragment = surgeon_client.get(reverse("dashboard:inbox-open")).content.decode()
    assert seen.patient.display_name not in fragment
    assert list(AuditEvent.objects.values_list("patient_id", flat=True)) == [open_one.patient_id]


def test_the_printed_handout_of_a_spanish_speaking_patient_is_in_spanish(surgeon_client):
    response = surgeon_client.post(reverse("dashboard:enroll"), enroll_form(language="es"), follow=True)
    html = response.content.decode()
    assert "Su código de activación:" in html and "Set up your recovery app" not in html
    assert Patient.objects.get(display_name="Nina Newcomer").language == "es"


def test_the_patient_page_shows_a_resolved_case_with_its_outcome_and_note(surgeon, surgeon_client):
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    surgeon_client.post(reverse("dashboard:resolve", args=[escalation.pk]),
                        {"outcome": "clinic_visit_booked", "note": "Seen Tuesday"})
    html = surgeon_client.get(reverse("dashboard:patient", args=[escalation.patient_id])).content.decode()
    assert "Clinic visit booked" in html and "Seen Tuesday" in html and "1 report" in html
