"""FCM down for longer than the old retry budget, and a surgeon whose only token is dead: with a real
Celery worker, Redis, PostgreSQL and the stand-in, no escalation is lost and none is pushed twice."""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from functools import partial

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from notifications import health
from notifications.fcm_standin import FcmStandIn
from notifications.models import Notification
from notifications.services.delivery import ESCALATION_BACKOFF_CAP, MAX_ATTEMPTS
from notifications.tasks import sweep_outbox
from recovery.models import Escalation
from recovery.tasks import pass_on_overdue_escalations
from tests.factories import DeviceFactory, NurseFactory, PatientFactory, SurgeonFactory
from tests.faults.conftest import wait_for
from tests.recovery.api.conftest import bearer

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Status = Notification.Status


def post_emergency(patient) -> Escalation:
    answer = bearer(APIClient(), patient.user).post(
        "/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": ["difficulty_breathing"]},
        format="json")
    assert answer.status_code == 201, answer.content
    return Escalation.objects.get(warning_report_id=answer.json()["id"])


def accepted(standin: FcmStandIn, token: str, escalation: Escalation, kind: str = "") -> list[dict]:
    return [m for m in standin.sent_messages() if m["token"] == token
            and m["data"].get("escalation_id") == str(escalation.pk) and (not kind or m["data"]["kind"] == kind)]


def attempts_reached(row_id: int, attempts: int) -> bool:
    return Notification.objects.get(pk=row_id).attempts == attempts


def inbox_fragment(user) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("dashboard:inbox-open")).content.decode()


def test_fcm_down_longer_than_the_old_budget_then_back_delivers_the_escalation_once(
    fcm_standin, worker, caplog, settings
):
    surgeon = SurgeonFactory()
    device = DeviceFactory(user=surgeon.user)
    port = int(fcm_standin.url.rsplit(":", 1)[1])
    fcm_standin.stop()  # FCM unreachable
    escalation = post_emergency(PatientFactory(surgeon=surgeon))
    row = Notification.objects.get(device=device)
    wait_for(lambda: Notification.objects.get(pk=row.pk).attempts == 1, what="the first failed attempt")
    start = timezone.now()
    for attempt in range(2, MAX_ATTEMPTS + 3):  # two attempts more than the old budget of 8
        with time_machine.travel(start + attempt * (ESCALATION_BACKOFF_CAP + timedelta(seconds=1))):
            sweep_outbox.delay()
            wait_for(partial(attempts_reached, row.pk, attempt), what=f"attempt {attempt}")
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == MAX_ATTEMPTS + 2
    assert health.push_health().failing
    assert any(r.levelno == logging.ERROR and r.getMessage().startswith("ALERT pushes failing")
               for r in caplog.records)
    assert "Pushes are failing" in inbox_fragment(surgeon.user)
    assert "pump_push_escalation_delivery_failing 1.0" in Client().get("/metrics").content.decode()

    back = FcmStandIn(port=port).start()  # FCM is back, at the same address
    try:
        with time_machine.travel(start + (MAX_ATTEMPTS + 4) * (ESCALATION_BACKOFF_CAP + timedelta(seconds=1))):
            sweep_outbox.delay()
            wait_for(lambda: Notification.objects.get(pk=row.pk).status == Status.SENT, what="delivery after FCM")
            sweep_outbox.delay()  # a later sweep sends nothing again
            wait_for(lambda: not health.push_health().undelivered_escalation_pushes, what="nothing left due")
        assert len(accepted(back, device.token, escalation)) == 1
        assert not health.push_health().failing
    finally:
        back.stop()


def test_acknowledging_an_escalation_stops_retrying_its_pushes(fcm_standin, worker):
    surgeon = SurgeonFactory()
    DeviceFactory(user=surgeon.user)
    fcm_standin.fail_next(1, "QUOTA_EXCEEDED")
    escalation = post_emergency(PatientFactory(surgeon=surgeon))
    wait_for(lambda: Notification.objects.filter(status=Status.FAILED).exists(), what="a failed attempt")
    answer = bearer(APIClient(), surgeon.user).post(f"/api/v1/surgeon/inbox/{escalation.pk}/acknowledge/")
    assert answer.status_code == 200
    assert set(Notification.objects.filter(topic=f"escalation:{escalation.pk}").values_list("status", flat=True)) \
        == {Status.CANCELLED}


def test_surgeon_with_only_a_dead_token_is_passed_on_to_the_backup_and_resent_after_re_registering(
    fcm_standin, worker
):
    backup = SurgeonFactory()
    backup_device = DeviceFactory(user=backup.user)
    surgeon = SurgeonFactory(backup=backup)
    dead = DeviceFactory(user=surgeon.user)
    fcm_standin.fail_token(dead.token, "UNREGISTERED")
    first = post_emergency(PatientFactory(surgeon=surgeon))  # its push finds the token dead: device disabled
    wait_for(lambda: accepted(fcm_standin, backup_device.token, first, "escalation_passed_on"),
             what="the first escalation at the backup")
    second = post_emergency(PatientFactory(surgeon=surgeon))  # no working device any more: passed on at once
    assert Escalation.objects.get(pk=second.pk).escalated_to == backup
    wait_for(lambda: accepted(fcm_standin, backup_device.token, second, "escalation_passed_on"),
             what="the second escalation at the backup")
    assert inbox_fragment(surgeon.user).count("not delivered") == 2

    new_token = f"fresh-{uuid.uuid4()}"
    answer = bearer(APIClient(), surgeon.user).post("/api/v1/devices/", {"token": new_token, "platform": "ios"},
                                                    format="json")
    assert answer.status_code == 201
    for escalation in (first, second):
        wait_for(partial(accepted, fcm_standin, new_token, escalation, "escalation"), what="the resend")
    # the app registering the same token again (as apps do on launch) resends nothing
    bearer(APIClient(), surgeon.user).post("/api/v1/devices/", {"token": new_token, "platform": "ios"}, format="json")
    sweep_outbox.delay()
    wait_for(lambda: not Notification.objects.filter(status__in=[Status.PENDING, Status.FAILED]).exists(),
             what="nothing due")
    for escalation in (first, second):
        assert len(accepted(fcm_standin, new_token, escalation)) == 1
        assert len(accepted(fcm_standin, backup_device.token, escalation)) == 1
    assert inbox_fragment(surgeon.user).count("not delivered") == 0


def test_nobody_reachable_is_logged_once_and_shown_on_the_dashboard(fcm_standin, worker, caplog):
    surgeon = SurgeonFactory()  # no device, no backup, nobody on call
    escalation = post_emergency(PatientFactory(surgeon=surgeon))
    assert Escalation.objects.get(pk=escalation.pk).unreachable_at is not None
    pass_on_overdue_escalations.apply()  # the periodic re-check does not log it again
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and "reaches nobody" in r.getMessage()]
    assert len(errors) == 1
    assert "could not be pushed to anyone" in inbox_fragment(SurgeonFactory().user)
    assert "not delivered" in inbox_fragment(surgeon.user)


def test_on_call_surgeon_takes_what_the_backup_cannot(fcm_standin, worker, settings):
    on_call = SurgeonFactory()
    on_call_device = DeviceFactory(user=on_call.user)
    settings.ON_CALL_SURGEONS = [on_call.user.username]
    backup = SurgeonFactory()  # no device
    surgeon = SurgeonFactory(backup=backup)  # no device
    escalation = post_emergency(PatientFactory(surgeon=surgeon))
    assert Escalation.objects.get(pk=escalation.pk).escalated_to == on_call
    wait_for(lambda: accepted(fcm_standin, on_call_device.token, escalation), what="the push to the on-call surgeon")


def test_surgeon_without_a_device_whose_nurse_has_one_keeps_the_escalation_and_it_shows_delivered(
    fcm_standin, worker
):
    backup = SurgeonFactory()
    backup_device = DeviceFactory(user=backup.user)
    surgeon = SurgeonFactory(backup=backup)  # no device of their own
    nurse = NurseFactory(teams=[surgeon])
    nurse_device = DeviceFactory(user=nurse.user)
    escalation = post_emergency(PatientFactory(surgeon=surgeon))
    wait_for(partial(accepted, fcm_standin, nurse_device.token, escalation, "escalation"), what="the nurse's push")
    stored = Escalation.objects.get(pk=escalation.pk)
    assert (stored.escalated_to, stored.unreachable_at) == (None, None)
    assert not accepted(fcm_standin, backup_device.token, escalation)
    inbox = inbox_fragment(surgeon.user)
    assert "Push delivered" in inbox and "not delivered" not in inbox
