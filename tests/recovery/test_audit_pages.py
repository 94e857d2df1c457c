"""Every staff page that shows patient data leaves an audit row naming its path; repeated views merge
within settings.AUDIT_VIEW_MERGE_WINDOW; an audit row and the write it describes commit or roll back
together."""
import io
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from recovery.models import AuditEvent, Escalation, Milestone, Patient, PromptLog
from recovery.services import audit
from recovery.services.enrollment import enroll_patient
from tests.factories import (
    CheckInFactory,
    EscalationFactory,
    IncisionCheckFactory,
    PatientMessageFactory,
    SurgeonFactory,
    UserFactory,
    WarningReportFactory,
)


def jpeg_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "JPEG")
    return SimpleUploadedFile("incision.jpg", buffer.getvalue(), content_type="image/jpeg")


def patient_with_records(surgeon) -> dict:
    patient = enroll_patient(
        surgeon=surgeon, display_name="Ada", surgery_date=timezone.localdate() - timedelta(days=3),
        timezone_name="Europe/London", pump={"kind": "programmable", "drug": "baclofen"},
    ).patient
    AuditEvent.objects.all().delete()  # the enrollment's own row
    return {
        "patient": patient,
        "pump": patient.pump,
        "activationcode": patient.activation_codes.get(),
        "milestone": patient.milestones.first(),
        "restriction": patient.restrictions.first(),
        "checkin": CheckInFactory(patient=patient),
        "incisioncheck": IncisionCheckFactory(patient=patient, photo=jpeg_upload()),
        "warningreport": WarningReportFactory(patient=patient),
        "escalation": EscalationFactory(warning_report__patient=patient),
        "patientmessage": PatientMessageFactory(patient=patient),
        "promptlog": PromptLog.objects.create(patient=patient, kind="checkin_prompt", local_date=timezone.localdate()),
    }


DASHBOARD_PAGES = {
    "dashboard:inbox": lambda r: [],
    "dashboard:inbox-open": lambda r: [],
    "dashboard:patients": lambda r: [],
    "dashboard:patient": lambda r: [r["patient"].pk],
    "dashboard:enrolled": lambda r: [r["patient"].pk],
    "dashboard:incision-photo": lambda r: [r["incisioncheck"].pk],
}
ADMIN_MODELS = ["patient", "pump", "activationcode", "milestone", "restriction", "checkin", "incisioncheck",
                "warningreport", "escalation", "patientmessage", "promptlog"]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(DASHBOARD_PAGES))
def test_each_dashboard_page_showing_a_patient_is_audited(url_name):
    surgeon = SurgeonFactory()
    records = patient_with_records(surgeon)
    client = Client()
    client.force_login(surgeon.user)
    url = reverse(url_name, args=DASHBOARD_PAGES[url_name](records))

    assert client.get(url, HTTP_USER_AGENT="audit-pages").status_code == 200

    event = AuditEvent.objects.get(path=url)
    assert (event.actor, event.action, event.patient, event.user_agent) == (
        surgeon.user, "view", records["patient"], "audit-pages")


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "view"), [
    (label, view) for label in ADMIN_MODELS for view in ["changelist", "change", "history", "delete"]
    if (label, view) != ("escalation", "delete")  # no delete page: cases are never deleted (test_admin_safety)
])
def test_each_admin_page_showing_a_patient_record_is_audited(label, view):
    staff = UserFactory(is_staff=True, is_superuser=True)
    records = patient_with_records(SurgeonFactory())
    client = Client()
    client.force_login(staff)
    obj = records[label]
    url = reverse(f"admin:recovery_{label}_{view}", args=[] if view == "changelist" else [obj.pk])

    assert client.get(url).status_code == 200

    event = AuditEvent.objects.get(path=url)
    assert (event.actor, event.action, event.patient) == (staff, "view", records["patient"])
    assert event.object_type == obj._meta.label
    assert event.object_id == str(records["patient"].pk if view == "changelist" else obj.pk)


@pytest.mark.django_db
def test_polling_the_inbox_writes_one_row_per_merge_window(settings):
    settings.AUDIT_VIEW_MERGE_WINDOW = timedelta(minutes=10)
    surgeon = SurgeonFactory()
    EscalationFactory(warning_report__patient__surgeon=surgeon)
    client = Client()
    client.force_login(surgeon.user)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)

    with time_machine.travel(start, tick=False):
        for _ in range(5):
            client.get(reverse("dashboard:inbox-open"))
    assert AuditEvent.objects.count() == 1
    with time_machine.travel(start + timedelta(minutes=9, seconds=59), tick=False):
        client.get(reverse("dashboard:inbox-open"))
    assert AuditEvent.objects.count() == 1
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        client.get(reverse("dashboard:inbox-open"))
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_views_by_another_person_or_of_another_page_are_their_own_rows():
    surgeon = SurgeonFactory()
    patient = EscalationFactory(warning_report__patient__surgeon=surgeon).patient
    colleague = Client()
    colleague.force_login(UserFactory(is_staff=True, is_superuser=True))
    client = Client()
    client.force_login(surgeon.user)

    client.get(reverse("dashboard:inbox"))
    client.get(reverse("dashboard:patient", args=[patient.pk]))
    colleague.get(reverse("admin:recovery_patient_change", args=[patient.pk]))

    assert AuditEvent.objects.filter(patient=patient).count() == 3


@pytest.mark.django_db
def test_writes_are_never_merged(settings):
    patient = Patient.objects.create(surgeon=SurgeonFactory(), display_name="Ada", surgery_date=timezone.localdate())
    for _ in range(2):
        audit.record(actor=patient.surgeon.user, action=AuditEvent.Action.UPDATE, patient=patient)
    assert AuditEvent.objects.count() == 2


def fail_after_the_audit_row(monkeypatch):
    """Make the audit write succeed, then fail the request, as a later error in the same transaction would."""
    written = audit.record

    def record_then_fail(**kwargs):
        written(**kwargs)
        assert AuditEvent.objects.filter(action=kwargs["action"]).exists()
        raise DatabaseError("failure after the audit row")

    monkeypatch.setattr(audit, "record", record_then_fail)


@pytest.mark.django_db(transaction=True)
def test_a_failed_acknowledgement_leaves_neither_the_acknowledgement_nor_its_audit_row(monkeypatch):
    surgeon = SurgeonFactory()
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    client = Client(raise_request_exception=False)
    client.force_login(surgeon.user)
    fail_after_the_audit_row(monkeypatch)

    response = client.post(reverse("dashboard:acknowledge", args=[escalation.pk]))

    assert response.status_code == 500
    assert Escalation.objects.get(pk=escalation.pk).acknowledged_at is None
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_admin_change_leaves_neither_the_change_nor_its_audit_row(monkeypatch):
    patient = enroll_patient(
        surgeon=SurgeonFactory(), display_name="Ada", surgery_date=timezone.localdate(), timezone_name="UTC",
        pump={"kind": "programmable", "drug": "baclofen"},
    ).patient
    AuditEvent.objects.all().delete()
    due_before = dict(Milestone.objects.filter(patient=patient).values_list("key", "due_date"))
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    fail_after_the_audit_row(monkeypatch)
    new_date = (patient.surgery_date + timedelta(days=7)).isoformat()

    response = client.post(reverse("admin:recovery_patient_change", args=[patient.pk]), {
        "display_name": "Renamed", "surgeon": patient.surgeon_id, "surgery_date": new_date,
        "timezone": "UTC", "checkin_time": "09:00", "binder_prescribed": "on", "user": "",
        "pump-TOTAL_FORMS": "1", "pump-INITIAL_FORMS": "1", "pump-MIN_NUM_FORMS": "1", "pump-MAX_NUM_FORMS": "1",
        "pump-0-id": patient.pump.pk, "pump-0-patient": patient.pk, "pump-0-kind": "programmable",
        "pump-0-drug": "baclofen",
    })

    assert response.status_code == 500
    patient.refresh_from_db()
    assert patient.display_name == "Ada"
    assert dict(Milestone.objects.filter(patient=patient).values_list("key", "due_date")) == due_before
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_audit_row_that_cannot_be_written_undoes_the_write(monkeypatch):
    surgeon = SurgeonFactory()
    escalation = EscalationFactory(warning_report__patient__surgeon=surgeon)
    client = Client(raise_request_exception=False)
    client.force_login(surgeon.user)

    def refuse(*args, **kwargs):
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr(AuditEvent.objects, "bulk_create", refuse)

    assert client.post(reverse("dashboard:acknowledge", args=[escalation.pk])).status_code == 500
    assert Escalation.objects.get(pk=escalation.pk).acknowledged_at is None


@pytest.mark.django_db
def test_a_patient_search_is_audited_without_its_query_string():
    surgeon = SurgeonFactory()
    patient_with_records(surgeon)
    client = Client()
    client.force_login(surgeon.user)
    url = reverse("dashboard:patients")

    response = client.get(url, {"q": "Ada", "sort": "name"})

    assert response.status_code == 200
    assert "Ada" in response.content.decode()
    event = AuditEvent.objects.get()
    assert event.path == url
    assert not AuditEvent.objects.filter(path__contains="Ada").exists()


@pytest.mark.django_db(transaction=True)
def test_a_view_rolled_back_is_written_again_and_a_new_window_gets_its_row(settings):
    settings.AUDIT_VIEW_MERGE_WINDOW = timedelta(minutes=10)
    surgeon = SurgeonFactory()
    patient = Patient.objects.create(surgeon=surgeon, display_name="Ada", surgery_date=timezone.localdate())
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)

    def view() -> None:
        audit.record(actor=surgeon.user, action=AuditEvent.Action.VIEW, patient=patient)

    with time_machine.travel(start, tick=False):
        with pytest.raises(DatabaseError), transaction.atomic():
            view()
            raise DatabaseError("the page failed after its audit row")
        assert AuditEvent.objects.count() == 0
        view()  # not remembered as written: the row is written now
        view()
        assert AuditEvent.objects.count() == 1
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        view()
    assert AuditEvent.objects.count() == 2
