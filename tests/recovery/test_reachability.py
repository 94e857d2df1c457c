"""Reachability counts whoever an escalation is pushed to: the surgeon and the nurses of their team
(access.in_care_team_of). A team whose surgeon has no working device but whose nurse has one keeps its
escalation; a team with no working device at all is passed on at once. Reports go through the phone
API; pushes are counted as outbox rows."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from notifications import signals
from notifications.models import Device, Notification
from recovery import access
from recovery.models import Escalation
from recovery.services import reachability
from tests.factories import DeviceFactory, NurseFactory, PatientFactory, SurgeonFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db


def report(patient, *symptoms: str) -> Escalation:
    answer = bearer(APIClient(), patient.user).post(
        "/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": list(symptoms)}, format="json")
    assert answer.status_code == 201, answer.content
    return Escalation.objects.get(patient=patient, resolved_at__isnull=True)


def pushed(user, escalation: Escalation, kind: str = "escalation") -> int:
    return Notification.objects.filter(recipient=user, kind=kind, topic=f"escalation:{escalation.pk}").count()


@pytest.fixture
def backup():
    """A reachable backup: were the escalation passed on, it would land here."""
    backup = SurgeonFactory()
    DeviceFactory(user=backup.user)
    return backup


@pytest.fixture
def surgeon(backup):
    return SurgeonFactory(backup=backup)  # no device


def test_a_nurse_with_a_working_device_keeps_the_escalation_in_the_team(surgeon, backup):
    nurse = NurseFactory(teams=[surgeon])
    DeviceFactory(user=nurse.user)

    escalation = report(PatientFactory(enrolled=True, surgeon=surgeon), "difficulty_breathing")

    assert (escalation.escalated_to, escalation.unreachable_at) == (None, None)
    assert pushed(nurse.user, escalation) == 1
    assert pushed(backup.user, escalation, "escalation_passed_on") == 0


def test_a_team_with_no_working_device_at_all_is_passed_on_at_once(surgeon, backup):
    nurse = NurseFactory(teams=[surgeon])
    DeviceFactory(user=nurse.user, disabled_at=timezone.now())
    DeviceFactory(user=NurseFactory().user)  # a nurse of another team does not count

    escalation = report(PatientFactory(enrolled=True, surgeon=surgeon), "difficulty_breathing")

    assert escalation.escalated_to == backup and escalation.unreachable_at is None
    assert pushed(backup.user, escalation, "escalation_passed_on") == 1


def test_a_backup_reachable_only_through_their_nurse_takes_it_and_the_nurse_is_pushed():
    backup = SurgeonFactory()  # no device
    backup_nurse = NurseFactory(teams=[backup])
    DeviceFactory(user=backup_nurse.user)
    surgeon = SurgeonFactory(backup=backup)

    escalation = report(PatientFactory(enrolled=True, surgeon=surgeon), "difficulty_breathing")

    assert escalation.escalated_to == backup
    assert escalation.unreachable_at is None  # somebody is pushed: not "reaches nobody"
    assert pushed(backup_nurse.user, escalation, "escalation_passed_on") == 1


def test_the_periodic_recheck_leaves_a_team_reachable_through_its_nurse_and_passes_it_on_when_not(surgeon, backup):
    nurse = NurseFactory(teams=[surgeon])
    device = DeviceFactory(user=nurse.user)
    escalation = report(PatientFactory(enrolled=True, surgeon=surgeon), "difficulty_breathing")

    assert reachability.recheck_unreachable_escalations() == 0
    assert Escalation.objects.get(pk=escalation.pk).escalated_to is None

    Device.objects.filter(pk=device.pk).update(disabled_at=timezone.now(), disabled_reason="unregistered")
    assert reachability.recheck_unreachable_escalations() == 1
    assert Escalation.objects.get(pk=escalation.pk).escalated_to == backup


def test_the_nurses_last_device_dying_passes_the_teams_escalation_on(surgeon, backup):
    nurse = NurseFactory(teams=[surgeon])
    device = DeviceFactory(user=nurse.user)
    escalation = report(PatientFactory(enrolled=True, surgeon=surgeon), "difficulty_breathing")
    assert escalation.escalated_to is None

    Device.objects.filter(pk=device.pk).update(disabled_at=timezone.now(), disabled_reason="UNREGISTERED")
    signals.devices_lost.send(sender=Device, user_ids=[nurse.user_id])  # as delivery does after FCM's answer

    assert Escalation.objects.get(pk=escalation.pk).escalated_to == backup


def test_a_nurse_registering_a_device_gets_the_open_escalations_of_her_team_and_it_is_reachable_again():
    surgeon = SurgeonFactory()  # no device, no backup, nobody on call
    nurse = NurseFactory(teams=[surgeon])
    escalation = report(PatientFactory(enrolled=True, surgeon=surgeon), "difficulty_breathing")
    assert escalation.unreachable_at is not None

    device = DeviceFactory(user=nurse.user)
    signals.device_registered.send(sender=Device, user_id=nurse.user_id, device_id=device.pk)

    assert Notification.objects.filter(device=device, kind="escalation", topic=f"escalation:{escalation.pk}").exists()
    assert Escalation.objects.get(pk=escalation.pk).unreachable_at is None


def test_a_rise_re_alerts_the_nurses_of_the_team_too(surgeon):
    nurse = NurseFactory(teams=[surgeon])
    DeviceFactory(user=nurse.user)
    patient = PatientFactory(enrolled=True, surgeon=surgeon)

    report(patient, "fever")
    escalation = report(patient, "difficulty_breathing")

    assert escalation.level == "emergency" and escalation.escalated_to is None
    assert pushed(nurse.user, escalation) == 2


def test_whom_a_case_is_pushed_to_is_whom_reachability_counts(surgeon):
    nurses = NurseFactory.create_batch(2, teams=[surgeon])
    NurseFactory()  # another team's
    assert access.care_team_user_ids(surgeon) == [surgeon.user_id, *sorted(n.user_id for n in nurses)]
    DeviceFactory(user=nurses[1].user)
    unreachable = SurgeonFactory()
    DeviceFactory(user=NurseFactory().user)  # a nurse of another team
    assert reachability.reachable_teams([surgeon, unreachable]) == {surgeon.pk}


def a_nurse_device_whose_alert_is(surgeon, status: str):
    """A nurse of the team, their device, and the rows of an emergency's alert to it, put in `status`."""
    nurse = NurseFactory(teams=[surgeon])
    device = DeviceFactory(user=nurse.user)
    escalation = report(PatientFactory(enrolled=True, surgeon=surgeon), "difficulty_breathing")
    rows = Notification.objects.filter(device=device, topic=f"escalation:{escalation.pk}")
    rows.update(status=status)
    return nurse, device, rows


@pytest.mark.parametrize("status", ["pending", "failed", "sent"])
def test_re_registering_a_device_whose_alert_is_on_its_way_queues_no_second_one(surgeon, status):
    """An app re-registering on every launch while FCM fails: the row still retried would arrive as well."""
    nurse, device, rows = a_nurse_device_whose_alert_is(surgeon, status)
    for seconds in (0, 2, 4):  # each launch a different second: the resend's dedupe key changed each time
        with time_machine.travel(timezone.now() + timedelta(seconds=seconds)):
            signals.device_registered.send(sender=Device, user_id=nurse.user_id, device_id=device.pk)
    assert rows.count() == 1


@pytest.mark.parametrize("status", ["dead", "cancelled"])
def test_a_device_whose_alert_never_arrived_gets_it_again_once(surgeon, status):
    nurse, device, rows = a_nurse_device_whose_alert_is(surgeon, status)
    signals.device_registered.send(sender=Device, user_id=nurse.user_id, device_id=device.pk)
    signals.device_registered.send(sender=Device, user_id=nurse.user_id, device_id=device.pk)
    assert rows.count() == 2 and rows.exclude(status=status).count() == 1


def test_a_deactivated_nurse_is_neither_pushed_nor_counted_as_reaching_the_team(surgeon, backup):
    """Staff who leave are deactivated, not deleted (their audit trail stays): their phone must not keep the
    team's escalations from being passed on, nor keep receiving them."""
    nurse = NurseFactory(teams=[surgeon])
    DeviceFactory(user=nurse.user)
    nurse.user.is_active = False
    nurse.user.save()

    escalation = report(PatientFactory(enrolled=True, surgeon=surgeon), "difficulty_breathing")

    assert escalation.escalated_to == backup
    assert pushed(backup.user, escalation, "escalation_passed_on") == 1
    assert Notification.objects.filter(recipient=nurse.user).count() == 0
    assert nurse.user_id not in access.care_team_user_ids(surgeon)
