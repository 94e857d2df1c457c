"""End to end with a real Celery worker, Redis, PostgreSQL and the firebase-admin SDK talking to the
FCM stand-in: escalation pushes reach the surgeon's phone whatever fails on the way."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Notification
from notifications.services.delivery import retry_delay
from notifications.tasks import sweep_outbox
from recovery.models import Escalation, Patient
from recovery.services.pushes import PushKind
from recovery.tasks import pass_on_overdue_escalations
from tests.factories import DeviceFactory, PatientFactory, SurgeonFactory
from tests.support import bearer, celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Status = Notification.Status


def report_emergency(patient: Patient) -> Escalation:
    """The patient's phone reports trouble breathing through the API: the report service opens the
    escalation and queues its pushes."""
    response = bearer(APIClient(), patient.user).post(
        "/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": ["difficulty_breathing"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    return Escalation.objects.get(patient=patient)


def surgeon_row(escalation) -> Notification:
    return Notification.objects.get(kind=PushKind.ESCALATION, data__escalation_id=str(escalation.pk))


def test_emergency_report_reaches_the_surgeons_device(fcm_standin, worker):
    surgeon = SurgeonFactory()
    device = DeviceFactory(user=surgeon.user)
    escalation = report_emergency(PatientFactory(enrolled=True, surgeon=surgeon))
    [message] = wait_for(fcm_standin.sent_messages, what="the push at the stand-in")
    assert message["token"] == device.token
    assert message["notification"]["title"] == "A patient needs attention"
    assert message["data"] == {"kind": "escalation", "escalation_id": str(escalation.pk)}
    assert wait_for(lambda: surgeon_row(escalation).status == Status.SENT, what="row marked sent")


def test_report_while_redis_is_down_is_sent_by_the_sweep_once_redis_is_back(fcm_standin, redis_server, caplog):
    surgeon = SurgeonFactory()
    device = DeviceFactory(user=surgeon.user)
    redis_server.stop()
    escalation = report_emergency(PatientFactory(enrolled=True, surgeon=surgeon))
    assert "Could not enqueue delivery" in caplog.text
    assert surgeon_row(escalation).status == Status.PENDING
    redis_server.start()
    with celery_worker():
        sweep_outbox.delay()
        [message] = wait_for(fcm_standin.sent_messages, what="the swept push at the stand-in")
    assert message["token"] == device.token
    assert surgeon_row(escalation).status == Status.SENT


def test_fcm_answering_503_then_200_still_delivers(fcm_standin, worker):
    DeviceFactory(user=(surgeon := SurgeonFactory()).user)
    fcm_standin.fail_next(1, "UNAVAILABLE")
    escalation = report_emergency(PatientFactory(enrolled=True, surgeon=surgeon))
    wait_for(fcm_standin.sent_messages, what="the push after the 503")
    assert [r.status for r in fcm_standin.received()] == [503, 200]
    assert wait_for(lambda: surgeon_row(escalation).status == Status.SENT, what="row marked sent")


def test_fcm_quota_error_is_retried_by_the_sweep_after_the_backoff(fcm_standin, worker):
    DeviceFactory(user=(surgeon := SurgeonFactory()).user)
    fcm_standin.fail_next(1, "QUOTA_EXCEEDED")
    escalation = report_emergency(PatientFactory(enrolled=True, surgeon=surgeon))
    wait_for(lambda: surgeon_row(escalation).status == Status.FAILED, what="row marked failed")
    with time_machine.travel(timezone.now() + retry_delay(1) + timedelta(seconds=1)):
        sweep_outbox.delay()
        wait_for(lambda: surgeon_row(escalation).status == Status.SENT, what="row sent on retry")
    assert [r.status for r in fcm_standin.received()] == [429, 200]
    assert surgeon_row(escalation).attempts == 2


def test_unregistered_token_disables_the_device_and_is_never_retried(fcm_standin, worker):
    device = DeviceFactory(user=(surgeon := SurgeonFactory()).user)
    fcm_standin.fail_token(device.token, "UNREGISTERED")
    escalation = report_emergency(PatientFactory(enrolled=True, surgeon=surgeon))
    wait_for(lambda: surgeon_row(escalation).status == Status.DEAD, what="row marked dead")
    device.refresh_from_db()
    assert device.disabled_reason == "UNREGISTERED"
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        sweep_outbox.apply()  # a later sweep in this process finds nothing to send
    assert len(fcm_standin.received()) == 1


def test_unacknowledged_emergency_is_passed_on_and_pushed_to_the_backup_after_the_deadline(fcm_standin, worker):
    backup = SurgeonFactory()
    backup_device = DeviceFactory(user=backup.user)
    surgeon = SurgeonFactory(backup=backup)
    DeviceFactory(user=surgeon.user)  # reachable: only the deadline passes it on
    escalation = report_emergency(PatientFactory(enrolled=True, surgeon=surgeon))
    assert escalation.ack_due_at <= timezone.now() + timedelta(minutes=15)
    pass_on_overdue_escalations.apply()  # before the deadline: nothing happens
    escalation.refresh_from_db()
    assert escalation.escalated_to is None
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        pass_on_overdue_escalations.delay()
        message = wait_for(lambda: [m for m in fcm_standin.sent_messages() if m["token"] == backup_device.token],
                           what="the pass-on push")[0]
    escalation.refresh_from_db()
    assert escalation.escalated_to == backup
    assert message["data"] == {"kind": "escalation_passed_on", "escalation_id": str(escalation.pk)}


def worker_process(broker_url: str, fcm_endpoint: str) -> subprocess.Popen:
    """`celery -A backend worker` as a separate process on the test database, so it can be killed."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url,
        "FCM_ENDPOINT": fcm_endpoint,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backend", "worker", "--pool", "solo", "--loglevel", "WARNING",
         "--without-mingle", "--without-gossip", "--without-heartbeat"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def row_is_claimable(row_id: int) -> bool:
    with transaction.atomic():
        return Notification.objects.select_for_update(skip_locked=True).filter(pk=row_id).exists()


def test_worker_killed_mid_delivery_loses_nothing_and_the_sweep_sends_it_once(fcm_standin, redis_server):
    device = DeviceFactory(user=(surgeon := SurgeonFactory()).user)
    fcm_standin.hold()  # FCM does not answer: the worker is caught in the middle of its send
    worker = worker_process(redis_server.url, fcm_standin.url)
    try:
        escalation = report_emergency(PatientFactory(enrolled=True, surgeon=surgeon))
        wait_for(lambda: fcm_standin.held_count == 1, timeout=20, what="the worker's send to reach FCM")
        assert not row_is_claimable(surgeon_row(escalation).pk)  # the worker holds the row while sending
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    fcm_standin.release(drop=True)  # the killed worker's request was never accepted
    wait_for(lambda: row_is_claimable(surgeon_row(escalation).pk), what="PostgreSQL to release the row lock")
    row = surgeon_row(escalation)
    assert (row.status, row.attempts) == (Status.PENDING, 0)
    sweep_outbox.apply()
    sweep_outbox.apply()
    assert [m["token"] for m in fcm_standin.sent_messages()] == [device.token]
    assert surgeon_row(escalation).status == Status.SENT
