"""An audit event keeps naming the patient it is about after the patient is deleted (the admin, through
staff_edits.delete_records, is what deletes patients): the trail still answers who looked at that patient's
records, its rows are never rewritten, and the audit trail's pages still show and find them."""
from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from recovery.models import AuditEvent, Escalation, Patient
from recovery.services import audit, staff_edits
from tests.factories import CheckInFactory, EscalationFactory, PatientFactory, SurgeonFactory, UserFactory
from tests.support import admin_url, migrate

pytestmark = pytest.mark.django_db

TRAIL = ("actor_id", "action", "patient_id", "object_type", "object_id", "path", "at")


def looked_at(patient: Patient) -> list[tuple]:
    """A surgeon reads the patient and a check-in, and updates the patient: three audit rows about them."""
    reader = SurgeonFactory(user__username="dr.reader").user  # no digits: a search by id cannot find it by name
    audit.record(actor=reader, action=AuditEvent.Action.VIEW, patient=patient, obj=patient)
    audit.record(actor=reader, action=AuditEvent.Action.VIEW, patient=patient, obj=CheckInFactory(patient=patient))
    audit.record(actor=reader, action=AuditEvent.Action.UPDATE, patient=patient, obj=patient)
    return list(AuditEvent.objects.filter(patient_id=patient.pk).order_by("id").values_list(*TRAIL))


@pytest.mark.django_db(transaction=True)  # really committed: a constraint left on the column would refuse it
def test_a_deleted_patients_audit_events_keep_its_id_unchanged():
    patient = PatientFactory(enrolled=True)
    patient_id, before = patient.pk, looked_at(patient)
    staff = UserFactory(is_staff=True)

    staff_edits.delete_records([patient], by=staff)

    assert not Patient.objects.filter(pk=patient_id).exists()
    after = list(AuditEvent.objects.filter(patient_id=patient_id).order_by("id").values_list(*TRAIL))
    assert after[:3] == before
    assert [(actor, action) for actor, action, *_ in after[3:]] == [(staff.pk, "delete")]


@pytest.mark.django_db(transaction=True)
def test_a_patient_of_a_resolved_case_is_still_deleted_and_its_audit_events_keep_its_id():
    case = EscalationFactory(resolved_at=timezone.now(), outcome=Escalation.Outcome.ADVICE_SENT)
    patient_id = case.patient_id
    before = looked_at(case.patient)

    staff_edits.delete_records([case.patient], by=UserFactory(is_staff=True))

    assert not Escalation.objects.filter(pk=case.pk).exists()
    assert list(AuditEvent.objects.filter(patient_id=patient_id).order_by("id").values_list(*TRAIL))[:3] == before


@pytest.mark.django_db
def test_deleting_a_patient_in_the_admin_still_works_and_its_audit_events_keep_its_id(staff_client):
    patient = PatientFactory(enrolled=True)
    patient_id, before = patient.pk, looked_at(patient)

    response = staff_client.post(admin_url("recovery.patient", "delete", patient_id), {"post": "yes"})

    assert response.status_code == 302
    assert not Patient.objects.filter(pk=patient_id).exists()
    kept = AuditEvent.objects.filter(patient_id=patient_id).order_by("id")
    assert list(kept.values_list(*TRAIL))[:3] == before
    assert kept.filter(action="delete", actor=staff_client.admin_user).count() == 1


@pytest.fixture
def deleted_patients_events():
    patient = PatientFactory(display_name="Zelda Gone")
    looked_at(patient)
    patient_id = patient.pk
    staff_edits.delete_records([patient], by=UserFactory(is_staff=True))
    events = list(AuditEvent.objects.filter(patient_id=patient_id).order_by("id"))
    assert len(events) == 4  # the three looks and the deletion
    return patient_id, events


def test_the_audit_trail_list_shows_a_deleted_patients_events_by_its_id(staff_client, deleted_patients_events):
    patient_id, events = deleted_patients_events
    living = PatientFactory(display_name="Ada Here")
    audit.record(actor=UserFactory(), action=AuditEvent.Action.VIEW, patient=living, obj=living)

    response = staff_client.get(admin_url("recovery.auditevent", "changelist"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count(f"patient #{patient_id} (deleted)") == len(events)
    assert "Ada Here" in html


def test_the_page_of_a_deleted_patients_event_opens_and_names_it(staff_client, deleted_patients_events):
    patient_id, events = deleted_patients_events

    response = staff_client.get(admin_url("recovery.auditevent", "change", events[0].pk))

    assert response.status_code == 200
    assert f"patient #{patient_id} (deleted)" in response.content.decode()


def test_the_audit_trail_finds_a_deleted_patients_events_by_its_id(staff_client, deleted_patients_events):
    patient_id, events = deleted_patients_events

    response = staff_client.get(admin_url("recovery.auditevent", "changelist"), {"q": str(patient_id)})

    assert {event.pk for event in events} <= {row.pk for row in response.context["cl"].result_list}


def test_reading_a_deleted_patients_events_is_audited_against_its_id(staff_client, deleted_patients_events):
    patient_id, events = deleted_patients_events
    shown = events[0].pk

    staff_client.get(admin_url("recovery.auditevent", "changelist"))
    staff_client.get(admin_url("recovery.auditevent", "change", shown))

    reads = AuditEvent.objects.filter(actor=staff_client.admin_user, object_type="recovery.AuditEvent")
    assert list(reads.order_by("id").values_list("action", "patient_id")) == [("view", patient_id)] * 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest_schema")
def test_the_migration_drops_the_columns_constraint_only_and_rewrites_no_row():
    table = AuditEvent._meta.db_table

    def patient_constraints():
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        return {(bool(c["foreign_key"]), bool(c["index"])) for c in found.values() if c["columns"] == ["patient_id"]}

    migrate([("recovery", "0017_escalation_acknowledge_note_removed")])
    patient = PatientFactory()
    before = looked_at(patient)
    assert (True, False) in patient_constraints()

    migrate([("recovery", "0018_audit_patient_kept")])

    assert (True, False) not in patient_constraints() and (False, True) in patient_constraints()
    assert list(AuditEvent.objects.filter(patient_id=patient.pk).order_by("id").values_list(*TRAIL)) == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest_schema")
def test_going_back_from_the_migration_after_a_deletion_sets_the_deleted_patients_ids_to_null_as_before():
    """The old rule's foreign key cannot come back over ids of patients deleted since: they become NULL first, as
    SET_NULL made them, and the events of patients still there keep theirs."""
    kept, deleted = PatientFactory(), PatientFactory()
    looked_at(kept)
    audit.record(actor=UserFactory(is_staff=True), action=AuditEvent.Action.VIEW, patient=deleted, obj=deleted)
    deleted_id = deleted.pk
    staff_edits.delete_records([deleted], by=UserFactory(is_staff=True))

    migrate([("recovery", "0017_escalation_acknowledge_note_removed")])

    assert AuditEvent.objects.filter(patient_id=deleted_id).count() == 0
    assert AuditEvent.objects.filter(patient_id=kept.pk).count() == 3
    assert AuditEvent.objects.filter(patient_id__isnull=True, object_id=str(deleted_id)).exists()
