"""What the admin must not do: lose an escalation case by a delete, serve patient names from its
autocomplete endpoint without an audit row, erase who did an audited read, edit the push outbox, or hand a
push device to another user."""
import pytest
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from notifications.models import Device, Notification
from recovery.models import AuditEvent, CheckIn, Escalation, EscalationReport, Patient, User, WarningReport
from recovery.services import audit, staff_edits
from tests.factories import (
    CheckInFactory,
    DeviceFactory,
    EscalationFactory,
    EscalationReportFactory,
    PatientFactory,
    PumpFactory,
    UserFactory,
)
from tests.notifications.factories import NotificationFactory
from tests.support import admin_url

pytestmark = pytest.mark.django_db


def open_cases() -> int:
    return Escalation.objects.filter(resolved_at__isnull=True).count()


def test_deleting_the_patient_of_an_open_case_is_refused_with_the_reason(staff_client):
    case = EscalationFactory()

    response = staff_client.post(admin_url("recovery.patient", "delete", case.patient_id), {"post": "yes"})

    assert response.status_code == 200  # the confirmation page again, nothing deleted
    assert "open escalation case" in response.content.decode()
    assert Patient.objects.filter(pk=case.patient_id).exists()
    assert open_cases() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DELETE).exists()


def test_deleting_the_report_that_opened_an_open_case_is_refused(staff_client):
    case = EscalationFactory()
    EscalationReportFactory(escalation=case)
    later = case.case_reports.latest("id")

    staff_client.post(admin_url("recovery.warningreport", "delete", case.warning_report_id), {"post": "yes"})

    assert open_cases() == 1
    assert EscalationReport.objects.filter(pk=later.pk).exists()


def test_deleting_a_report_that_joined_an_open_case_is_refused(staff_client):
    case = EscalationFactory()
    EscalationReportFactory(escalation=case)
    joined = case.case_reports.latest("id")

    staff_client.post(admin_url("recovery.warningreport", "delete", joined.warning_report_id), {"post": "yes"})

    assert WarningReport.objects.count() == 2  # the opening report and the joined one
    assert EscalationReport.objects.filter(pk=joined.pk).exists()


def test_delete_selected_refuses_check_ins_of_an_open_case_and_deletes_none(staff_client):
    opening = CheckInFactory(triage_level="emergency")
    case = EscalationFactory(warning_report=None, checkin=opening, patient=opening.patient)
    unrelated = CheckInFactory()

    response = staff_client.post(admin_url("recovery.checkin", "changelist"), {
        "action": "delete_selected", "_selected_action": [case.checkin_id, unrelated.pk], "post": "yes",
    })

    assert response.status_code == 200
    assert "open escalation case" in response.content.decode()
    assert CheckIn.objects.count() == 2
    assert open_cases() == 1


def test_a_patient_whose_case_is_resolved_is_still_deleted_by_the_service():
    case = EscalationFactory(resolved_at=timezone.now(), outcome=Escalation.Outcome.ADVICE_SENT)

    staff_edits.delete_records([case.patient], by=UserFactory(is_staff=True))

    assert not Patient.objects.filter(pk=case.patient_id).exists()


def test_the_service_refuses_what_the_admin_refuses_whoever_calls_it():
    case = EscalationFactory()

    with pytest.raises(staff_edits.DeletionRefused):
        staff_edits.delete_records([PumpFactory(), case.patient], by=UserFactory(is_staff=True))

    assert open_cases() == 1
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("label", ["recovery.escalation", "recovery.escalationreport"])
def test_escalations_and_their_reports_cannot_be_deleted_in_the_admin(staff_client, label):
    case = EscalationFactory(resolved_at=timezone.now(), outcome=Escalation.Outcome.ADVICE_SENT)
    obj = case if label == "recovery.escalation" else case.case_reports.get()

    refused = staff_client.post(admin_url(label, "delete", obj.pk), {"post": "yes"})
    changelist = staff_client.get(admin_url(label, "changelist"))
    bulk = staff_client.post(admin_url(label, "changelist"),
                             {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})

    assert refused.status_code == 403
    assert "delete_selected" not in changelist.content.decode()
    assert bulk.status_code in (200, 302)
    assert Escalation.objects.filter(pk=case.pk).exists()
    assert EscalationReport.objects.filter(escalation=case).count() == 1


@pytest.mark.parametrize(("model_name", "field_name"), [
    ("pump", "patient"), ("escalationreport", "escalation"), ("pumprefill", "pump"), ("escalation", "checkin"),
])
def test_autocomplete_serves_no_patient_records(staff_client, model_name, field_name):
    PatientFactory(display_name="Zelda Example", enrolled=True)
    EscalationFactory(patient__display_name="Zelda Case")

    response = staff_client.get(reverse("admin:autocomplete"), {
        "app_label": "recovery", "model_name": model_name, "field_name": field_name, "term": "Zelda",
    })

    assert response.status_code == 403
    assert "Zelda" not in response.content.decode()


def test_autocomplete_of_logins_serves_no_patients_login(staff_client):
    patient = PatientFactory(user__username="zelda.patient")
    nurse = UserFactory(username="zelda.nurse", role=User.Role.NURSE)

    response = staff_client.get(reverse("admin:autocomplete"), {
        "app_label": "recovery", "model_name": "patient", "field_name": "user", "term": "zelda",
    })

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(nurse.pk)]
    assert patient.user.username not in response.content.decode()


def test_the_users_list_audits_a_view_of_each_patient_whose_login_it_shows(staff_client):
    patient = PatientFactory()
    UserFactory(role=User.Role.NURSE)

    staff_client.get(admin_url("recovery.user", "changelist"))
    staff_client.get(admin_url("recovery.user", "change", patient.user.pk))
    staff_client.get(admin_url("recovery.user", "change", staff_client.admin_user.pk))

    assert list(AuditEvent.objects.order_by("id").values_list("patient", "action", "object_type", "object_id")) == [
        (patient.pk, "view", "recovery.User", str(patient.pk)),
        (patient.pk, "view", "recovery.User", str(patient.user.pk)),
    ]


def test_autocomplete_of_surgeons_still_answers(staff_client):
    response = staff_client.get(reverse("admin:autocomplete"), {
        "app_label": "recovery", "model_name": "patient", "field_name": "surgeon", "term": "",
    })

    assert response.status_code == 200


def test_a_user_named_in_the_audit_trail_is_not_deleted_in_the_admin(staff_client):
    reader = UserFactory(is_staff=True)
    patient = PatientFactory()
    audit.record(actor=reader, action=AuditEvent.Action.VIEW, patient=patient, obj=patient)

    response = staff_client.post(admin_url("recovery.user", "delete", reader.pk), {"post": "yes"})

    assert response.status_code == 200
    assert "deactivate" in response.content.decode()
    assert AuditEvent.objects.get().actor == reader


def test_delete_selected_users_refuses_those_named_in_the_audit_trail(staff_client):
    reader, unaudited = UserFactory(is_staff=True), UserFactory()
    audit.record(actor=reader, action=AuditEvent.Action.VIEW, patient=None, obj=PatientFactory())

    staff_client.post(admin_url("recovery.user", "changelist"), {
        "action": "delete_selected", "_selected_action": [reader.pk, unaudited.pk], "post": "yes",
    })

    assert User.objects.filter(pk__in=[reader.pk, unaudited.pk]).count() == 2


def test_a_user_with_no_audit_events_can_still_be_deleted(staff_client):
    user = UserFactory()

    staff_client.post(admin_url("recovery.user", "delete", user.pk), {"post": "yes"})

    assert not User.objects.filter(pk=user.pk).exists()


def test_the_database_layer_also_keeps_an_audited_actor():
    reader = UserFactory(is_staff=True)
    audit.record(actor=reader, action=AuditEvent.Action.VIEW, patient=None, obj=PatientFactory())

    with pytest.raises(ProtectedError):
        reader.delete()


def test_the_notification_change_page_is_read_only(staff_client):
    push = NotificationFactory()

    page = staff_client.get(admin_url("notifications.notification", "change", push.pk))
    edit = staff_client.post(admin_url("notifications.notification", "change", push.pk),
                             {"status": "sent", "queue": "x", "next_attempt_at_0": "2030-01-01"})

    assert page.status_code == 200
    assert not page.context["adminform"].form.fields
    assert edit.status_code == 403
    push.refresh_from_db()
    assert push.status != "sent"


def test_notifications_cannot_be_deleted_in_the_admin(staff_client):
    push = NotificationFactory()

    one = staff_client.post(admin_url("notifications.notification", "delete", push.pk), {"post": "yes"})
    staff_client.post(admin_url("notifications.notification", "changelist"),
                      {"action": "delete_selected", "_selected_action": [push.pk], "post": "yes"})

    assert one.status_code == 403
    assert Notification.objects.filter(pk=push.pk).exists()


def test_the_admin_keeps_a_resolved_case_too_by_refusing_its_patients_deletion(staff_client):
    case = EscalationFactory(resolved_at=timezone.now(), outcome=Escalation.Outcome.ADVICE_SENT)

    response = staff_client.post(admin_url("recovery.patient", "delete", case.patient_id), {"post": "yes"})

    assert response.status_code == 403  # cascading to a case needs a delete permission nobody has
    assert Escalation.objects.filter(pk=case.pk).exists()


def test_the_admin_shows_a_devices_owner_but_cannot_change_it(staff_client):
    device, other = DeviceFactory(), UserFactory()
    owner = device.user_id

    page = staff_client.get(admin_url("notifications.device", "change", device.pk))
    staff_client.post(admin_url("notifications.device", "change", device.pk),
                      {"user": other.pk, "platform": Device.Platform.IOS, "disabled_reason": ""})

    assert "user" not in page.context["adminform"].form.fields
    device.refresh_from_db()
    assert (device.user_id, device.platform) == (owner, Device.Platform.IOS)  # the rest of the form was saved


def test_the_device_and_outbox_pages_name_a_patient_by_user_id_never_by_login_name(staff_client):
    push = NotificationFactory(device__user=PatientFactory(user__username="zelda.patient").user)
    pages = [admin_url("notifications.device", "changelist"),
             admin_url("notifications.device", "change", push.device_id),
             admin_url("notifications.notification", "changelist"),
             admin_url("notifications.notification", "change", push.pk)]

    answers = [staff_client.get(page) for page in pages]
    found = staff_client.get(admin_url("notifications.device", "changelist"), {"q": str(push.recipient_id)})

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
    assert not [page for page, answer in zip(pages, answers, strict=True) if "zelda" in answer.content.decode()]
    assert all(str(push.recipient_id) in answer.content.decode() for answer in answers)
    assert [device.pk for device in found.context["cl"].result_list] == [push.device_id]


@pytest.mark.parametrize("label", ["recovery.user", "recovery.checkin"])
def test_the_confirmation_of_delete_selected_is_audited_as_a_view_of_each_patient_it_names(staff_client, label):
    checkin = CheckInFactory()
    selected = checkin.patient.user.pk if label == "recovery.user" else checkin.pk

    page = staff_client.post(admin_url(label, "changelist"),
                             {"action": "delete_selected", "_selected_action": [selected]})

    assert page.status_code == 200 and "Are you sure" in page.content.decode()
    views = AuditEvent.objects.filter(actor=staff_client.admin_user, action="view")
    assert list(views.values_list("patient", flat=True)) == [checkin.patient_id]
    assert CheckIn.objects.filter(pk=checkin.pk).exists()

