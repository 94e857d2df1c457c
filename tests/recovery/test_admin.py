"""The Django admin: every model is browsable by staff, audit fields are read-only, and looking at a
patient's records leaves an audit event."""
import pytest
from django.urls import reverse
from django.utils import timezone

from recovery.models import AuditEvent, PromptLog
from recovery.services import audit
from recovery.services.accounts import issue_activation_code
from tests.factories import (
    AcknowledgementNoteFactory,
    CheckInFactory,
    DeviceFactory,
    EscalationFactory,
    IncisionCheckFactory,
    NurseFactory,
    PatientFactory,
    PatientMessageFactory,
    PumpDoseChangeFactory,
    PumpFactory,
    PumpRefillFactory,
    RefillAlertFactory,
    SurgeonFactory,
    UserFactory,
    WarningReportFactory,
)
from tests.notifications.factories import NotificationFactory
from tests.support import admin_url

pytestmark = pytest.mark.django_db


def activation_code():
    patient = PatientFactory(user=None)
    issue_activation_code(patient)
    return patient.activation_codes.get()


def audit_event():
    patient = PatientFactory()
    audit.record(actor=UserFactory(), action=AuditEvent.Action.VIEW, patient=patient, obj=patient)
    return AuditEvent.objects.latest("id")


def prompt_log():
    return PromptLog.objects.create(patient=PatientFactory(), kind="checkin_prompt", local_date=timezone.localdate())


MAKERS = {
    "recovery.user": UserFactory,
    "recovery.surgeon": SurgeonFactory,
    "recovery.nurse": NurseFactory,
    "recovery.patient": PatientFactory,
    "recovery.pump": PumpFactory,
    "recovery.pumprefill": PumpRefillFactory,
    "recovery.pumpdosechange": PumpDoseChangeFactory,
    "recovery.refillalert": RefillAlertFactory,
    "recovery.activationcode": activation_code,
    "recovery.milestone": lambda: PatientFactory(enrolled=True).milestones.first(),
    "recovery.restriction": lambda: PatientFactory(enrolled=True).restrictions.first(),
    "recovery.checkin": CheckInFactory,
    "recovery.incisioncheck": IncisionCheckFactory,
    "recovery.warningreport": WarningReportFactory,
    "recovery.escalation": EscalationFactory,
    "recovery.escalationreport": lambda: EscalationFactory().case_reports.get(),
    "recovery.acknowledgementnote": AcknowledgementNoteFactory,
    "recovery.patientmessage": PatientMessageFactory,
    "recovery.auditevent": audit_event,
    "notifications.device": DeviceFactory,
    "notifications.notification": NotificationFactory,
    "recovery.promptlog": prompt_log,
}


def test_every_model_of_both_apps_is_registered():
    from django.apps import apps
    from django.contrib import admin

    models = [*apps.get_app_config("recovery").get_models(), *apps.get_app_config("notifications").get_models()]
    assert {m._meta.label_lower for m in models} == set(MAKERS)
    assert all(admin.site.is_registered(m) for m in models)


@pytest.mark.parametrize("label", sorted(MAKERS))
def test_changelist_lists_the_record(staff_client, label):
    obj = MAKERS[label]()

    response = staff_client.get(admin_url(label, "changelist"))

    assert response.status_code == 200
    assert obj.pk in [row.pk for row in response.context["cl"].result_list]


@pytest.mark.parametrize("label", sorted(MAKERS))
def test_change_page_opens(staff_client, label):
    obj = MAKERS[label]()

    response = staff_client.get(admin_url(label, "change", obj.pk))

    assert response.status_code == 200
    assert response.context["original"] == obj


@pytest.mark.parametrize("label", ["recovery.patient", "recovery.checkin"])
def test_changelist_search_finds_by_patient_name(staff_client, label):
    wanted = MAKERS[label](**{"display_name" if label == "recovery.patient" else "patient__display_name": "Zelda"})
    MAKERS[label]()

    response = staff_client.get(admin_url(label, "changelist"), {"q": "Zelda"})

    assert [row.pk for row in response.context["cl"].result_list] == [wanted.pk]


def test_changelist_queries_do_not_grow_with_rows(staff_client, django_assert_max_num_queries):
    CheckInFactory.create_batch(3)
    staff_client.get(admin_url("recovery.checkin", "changelist"))
    CheckInFactory.create_batch(10)

    with django_assert_max_num_queries(8):
        staff_client.get(admin_url("recovery.checkin", "changelist"))


def test_viewing_a_patient_writes_an_audit_event(staff_client):
    patient = PatientFactory()

    staff_client.get(admin_url("recovery.patient", "change", patient.pk), HTTP_USER_AGENT="audit-test")

    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.patient, event.object_type, event.object_id) == (
        staff_client.admin_user, "view", patient, "recovery.Patient", str(patient.pk)
    )
    assert event.user_agent == "audit-test"


def test_listing_check_ins_audits_one_view_per_patient_shown(staff_client):
    first, second = PatientFactory(), PatientFactory()
    CheckInFactory.create_batch(2, patient=first)
    CheckInFactory(patient=second)

    staff_client.get(admin_url("recovery.checkin", "changelist"))

    assert sorted(AuditEvent.objects.values_list("patient", "action", "object_type")) == [
        (first.pk, "view", "recovery.CheckIn"), (second.pk, "view", "recovery.CheckIn")
    ]


def test_viewing_a_check_in_audits_it_against_its_patient(staff_client):
    checkin = CheckInFactory()

    staff_client.get(admin_url("recovery.checkin", "change", checkin.pk))

    event = AuditEvent.objects.get()
    assert (event.patient, event.object_type, event.object_id) == (checkin.patient, "recovery.CheckIn", str(checkin.pk))


def test_changing_a_patient_writes_an_update_audit_event(staff_client):
    patient = PumpFactory().patient
    form = {
        "display_name": "Renamed", "surgeon": patient.surgeon_id, "surgery_date": patient.surgery_date.isoformat(),
        "timezone": patient.timezone, "checkin_time": "08:30", "binder_prescribed": "on", "language": "en",
        "user": patient.user_id,
        "pump-TOTAL_FORMS": "1", "pump-INITIAL_FORMS": "1", "pump-MIN_NUM_FORMS": "0", "pump-MAX_NUM_FORMS": "1",
        "pump-0-id": patient.pump.pk, "pump-0-patient": patient.pk, "pump-0-kind": "programmable",
        "pump-0-drug": "morphine",
    }

    response = staff_client.post(admin_url("recovery.patient", "change", patient.pk), form)

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.display_name == "Renamed"
    assert sorted(AuditEvent.objects.values_list("action", "patient", "object_type")) == [
        ("update", patient.pk, "recovery.Patient"), ("update", patient.pk, "recovery.Pump")  # the pump's drug changed
    ]


def test_deleting_a_check_in_writes_a_delete_audit_event(staff_client):
    checkin = CheckInFactory()

    staff_client.post(admin_url("recovery.checkin", "delete", checkin.pk), {"post": "yes"})

    assert list(AuditEvent.objects.values_list("action", "object_id", "patient")) == [
        ("delete", str(checkin.pk), checkin.patient_id)
    ]


def test_phone_record_idempotency_and_triage_fields_are_read_only(staff_client):
    checkin = CheckInFactory()

    response = staff_client.get(admin_url("recovery.checkin", "change", checkin.pk))

    form_fields = set(response.context["adminform"].form.fields)
    assert not form_fields & {"client_id", "payload_fingerprint", "created_at", "triage_level", "triage_reasons"}
    assert "pain_score" in form_fields


def test_audit_events_cannot_be_added_changed_or_deleted(staff_client):
    event = audit_event()

    assert staff_client.get(admin_url("recovery.auditevent", "add")).status_code == 403
    assert staff_client.post(admin_url("recovery.auditevent", "delete", event.pk), {"post": "yes"}).status_code == 403
    change = staff_client.post(admin_url("recovery.auditevent", "change", event.pk), {"action": "delete"})
    assert change.status_code == 403
    event.refresh_from_db()
    assert event.action == "view"


def test_reading_the_audit_trail_is_audited_as_a_view_of_each_patient_it_names(staff_client):
    read = audit_event()
    other = PatientFactory()
    audit.record(actor=UserFactory(), action=AuditEvent.Action.UPDATE, patient=other, obj=other)

    staff_client.get(admin_url("recovery.auditevent", "changelist"))
    staff_client.get(admin_url("recovery.auditevent", "change", read.pk))

    by_the_reader = AuditEvent.objects.filter(actor=staff_client.admin_user, action="view",
                                              object_type="recovery.AuditEvent")
    # The list: one view per patient it names; the page of one event: a view of its patient.
    assert sorted(by_the_reader.values_list("patient", flat=True)) == sorted([read.patient_id, other.pk,
                                                                              read.patient_id])


def test_a_page_refused_for_lack_of_permission_writes_no_audit_event(client):
    patient = PatientFactory()
    client.force_login(UserFactory(is_staff=True))  # staff, but no permission on patients or users

    refused = [client.get(admin_url(label, view, pk)).status_code for label, pk in
               (("recovery.patient", patient.pk), ("recovery.user", patient.user.pk)) for view in ("change", "history")]

    assert refused == [403, 403, 403, 403]
    assert not AuditEvent.objects.exists()


def test_device_push_token_is_not_shown(staff_client):
    device = DeviceFactory()

    response = staff_client.get(admin_url("notifications.device", "change", device.pk))

    assert device.token not in response.content.decode()


def test_admin_turns_away_users_who_are_not_staff(client):
    client.force_login(PatientFactory().user)

    response = client.get(admin_url("recovery.patient", "changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
