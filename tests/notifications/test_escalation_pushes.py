"""Escalation pushes: rows written in the report's transaction, pass-on after the deadline."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from recovery.selectors import inbox_for
from recovery.services.escalations import acknowledge_escalation, pass_on_overdue_escalations
from recovery.services.pushes import PushKind, queue_escalation_pushes
from tests.factories import DeviceFactory, EscalationFactory, PatientFactory, SurgeonFactory

pytestmark = pytest.mark.django_db

Kind = PushKind


def test_escalation_writes_a_row_per_active_surgeon_device_and_per_patient_device():
    escalation = EscalationFactory()
    surgeon_devices = DeviceFactory.create_batch(2, user=escalation.assigned_surgeon.user)
    DeviceFactory(user=escalation.assigned_surgeon.user, disabled_at=timezone.now())
    patient_device = DeviceFactory(user=escalation.patient.user)
    queue_escalation_pushes(escalation)
    rows = {(row.device_id, row.kind) for row in Notification.objects.all()}
    assert rows == {(d.pk, Kind.ESCALATION) for d in surgeon_devices} | {(patient_device.pk, Kind.TRIAGE_ADVICE)}


def test_rows_carry_only_ids_in_their_data():
    escalation = EscalationFactory()
    DeviceFactory(user=escalation.assigned_surgeon.user)
    queue_escalation_pushes(escalation)
    assert Notification.objects.get().data == {"kind": "escalation", "escalation_id": str(escalation.pk)}


def test_queueing_the_same_escalation_twice_writes_no_duplicates():
    escalation = EscalationFactory()
    DeviceFactory(user=escalation.assigned_surgeon.user)
    first = queue_escalation_pushes(escalation)
    second = queue_escalation_pushes(escalation)
    assert first == second
    assert Notification.objects.count() == 1


def test_rows_are_rolled_back_with_the_report_transaction():
    escalation = EscalationFactory()
    DeviceFactory(user=escalation.assigned_surgeon.user)
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_escalation_pushes(escalation)
        raise RuntimeError("the report failed to save")
    assert not Notification.objects.exists()


def test_delivery_is_enqueued_only_after_commit(django_capture_on_commit_callbacks):
    escalation = EscalationFactory()
    DeviceFactory(user=escalation.assigned_surgeon.user)
    with django_capture_on_commit_callbacks() as callbacks:
        queue_escalation_pushes(escalation)
    assert len(callbacks) == 1


# --- Pass-on -------------------------------------------------------------------------------

def overdue_escalation(**kwargs):
    return EscalationFactory(ack_due_at=timezone.now() - timedelta(minutes=1), **kwargs)


def test_overdue_escalation_is_passed_on_to_the_backup_surgeon():
    backup = SurgeonFactory()
    escalation = overdue_escalation(patient=PatientFactory(surgeon=SurgeonFactory(backup=backup)))
    pass_on_overdue_escalations()
    escalation.refresh_from_db()
    assert escalation.escalated_to == backup
    assert escalation.escalated_at is not None


def test_passed_on_escalation_shows_in_the_backups_inbox():
    backup = SurgeonFactory()
    escalation = overdue_escalation(patient=PatientFactory(surgeon=SurgeonFactory(backup=backup)))
    pass_on_overdue_escalations()
    assert list(inbox_for(backup)) == [escalation]


def test_pass_on_pushes_the_backup_surgeons_devices():
    backup = SurgeonFactory()
    device = DeviceFactory(user=backup.user)
    overdue_escalation(patient=PatientFactory(surgeon=SurgeonFactory(backup=backup)))
    pass_on_overdue_escalations()
    row = Notification.objects.get(kind=Kind.ESCALATION_PASSED_ON)
    assert (row.device, row.recipient, row.title) == (device, backup.user, "A patient needs attention")


def test_without_a_backup_it_goes_to_the_first_on_call_surgeon_who_is_not_the_assignee(settings):
    assignee, on_call = SurgeonFactory(), SurgeonFactory()
    settings.ON_CALL_SURGEONS = [assignee.user.username, on_call.user.username]
    escalation = overdue_escalation(patient=PatientFactory(surgeon=assignee))
    pass_on_overdue_escalations()
    escalation.refresh_from_db()
    assert escalation.escalated_to == on_call


def test_escalation_not_yet_due_is_not_passed_on():
    escalation = EscalationFactory(patient=PatientFactory(surgeon=SurgeonFactory(backup=SurgeonFactory())))
    pass_on_overdue_escalations()
    escalation.refresh_from_db()
    assert escalation.escalated_to is None


def test_acknowledged_escalation_is_not_passed_on():
    escalation = overdue_escalation(patient=PatientFactory(surgeon=SurgeonFactory(backup=SurgeonFactory())))
    acknowledge_escalation(escalation, escalation.assigned_surgeon.user)
    pass_on_overdue_escalations()
    escalation.refresh_from_db()
    assert escalation.escalated_to is None


def test_escalation_is_passed_on_once_and_not_again_when_still_unacknowledged(settings):
    backup, on_call = SurgeonFactory(), SurgeonFactory()
    settings.ON_CALL_SURGEONS = [on_call.user.username]
    escalation = overdue_escalation(patient=PatientFactory(surgeon=SurgeonFactory(backup=backup)))
    pass_on_overdue_escalations()
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert pass_on_overdue_escalations() == []
    escalation.refresh_from_db()
    assert escalation.escalated_to == backup


def test_emergency_is_passed_on_after_its_15_minute_deadline_and_not_before():
    backup = SurgeonFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        escalation = EscalationFactory(
            patient=PatientFactory(surgeon=SurgeonFactory(backup=backup)),
            ack_due_at=start + timedelta(minutes=15),
        )
    with time_machine.travel(start + timedelta(minutes=14, seconds=59), tick=False):
        assert pass_on_overdue_escalations() == []
    with time_machine.travel(start + timedelta(minutes=15), tick=False):
        assert pass_on_overdue_escalations() == [escalation]


def test_with_nobody_to_pass_it_to_the_escalation_stays_with_its_surgeon(settings):
    settings.ON_CALL_SURGEONS = []
    escalation = overdue_escalation()
    assert pass_on_overdue_escalations() == []
    escalation.refresh_from_db()
    assert escalation.escalated_to is None


def test_escalations_nobody_can_take_do_not_hold_back_one_that_has_a_backup(settings):
    settings.ON_CALL_SURGEONS = []
    stranded = [overdue_escalation() for _ in range(3)]  # no backup, no on-call: nobody to pass them to
    backup = SurgeonFactory()
    passable = EscalationFactory(
        ack_due_at=timezone.now(),  # due after the stranded ones, so last in deadline order
        patient=PatientFactory(surgeon=SurgeonFactory(backup=backup)),
    )
    assert pass_on_overdue_escalations(limit=2) == [passable]
    assert all(e.escalated_to_id is None for e in type(passable).objects.filter(pk__in=[s.pk for s in stranded]))


def test_with_one_on_call_surgeon_their_own_escalation_waits_but_others_go_to_them(settings):
    on_call = SurgeonFactory()
    settings.ON_CALL_SURGEONS = [on_call.user.username]
    own = overdue_escalation(patient=PatientFactory(surgeon=on_call))
    other = overdue_escalation()
    assert pass_on_overdue_escalations() == [other]
    own.refresh_from_db()
    assert own.escalated_to is None
