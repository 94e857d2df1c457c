"""Delivering outbox rows: idempotent per row, retried with backoff, dead tokens disabled."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications.models import Notification
from notifications.services import delivery as services
from tests.factories import DeviceFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_due_row_is_sent_once_and_marked_sent(fcm_standin):
    row = NotificationFactory()
    services.deliver_notifications([row.pk])
    services.deliver_notifications([row.pk])
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert row.attempts == 1
    assert row.fcm_message_id.startswith("projects/")
    assert len(fcm_standin.sent_messages()) == 1


def test_unavailable_once_is_absorbed_by_the_sdk_retry_and_the_row_is_sent(fcm_standin):
    row = NotificationFactory()
    fcm_standin.fail_next(1, "UNAVAILABLE")
    services.deliver_notifications([row.pk])
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert [r.status for r in fcm_standin.received()] == [503, 200]


def test_quota_exceeded_marks_the_row_failed_with_a_later_next_attempt(fcm_standin):
    row = NotificationFactory()
    fcm_standin.fail_next(1, "QUOTA_EXCEEDED")
    before = timezone.now()
    services.deliver_notifications([row.pk])
    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED
    assert row.attempts == 1
    assert row.last_error.startswith("QUOTA_EXCEEDED")
    assert row.next_attempt_at >= before + services.BACKOFF_BASE


def test_failed_row_is_not_resent_before_its_next_attempt(fcm_standin):
    row = NotificationFactory(status=Notification.Status.FAILED, attempts=1,
                              next_attempt_at=timezone.now() + timedelta(minutes=5))
    services.deliver_due()
    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED
    assert fcm_standin.received() == []


def test_failed_row_is_sent_by_the_sweep_once_its_backoff_has_passed(fcm_standin):
    row = NotificationFactory()
    fcm_standin.fail_next(1, "QUOTA_EXCEEDED")
    services.deliver_notifications([row.pk])
    with time_machine.travel(timezone.now() + services.retry_delay(1) + timedelta(seconds=1)):
        services.deliver_due()
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert row.attempts == 2


def test_backoff_doubles_and_is_capped():
    assert [services.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert services.retry_delay(20) == services.BACKOFF_CAP


def test_row_out_of_attempts_is_dead(fcm_standin):
    row = NotificationFactory(status=Notification.Status.FAILED, attempts=services.MAX_ATTEMPTS - 1)
    last_due = row.next_attempt_at
    fcm_standin.fail_next(1, "QUOTA_EXCEEDED")
    services.deliver_notifications([row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.DEAD, services.MAX_ATTEMPTS)
    assert row.next_attempt_at == last_due


@pytest.mark.parametrize("error_code", ["UNREGISTERED", "INVALID_ARGUMENT"])
def test_token_error_disables_the_device_and_kills_the_row(fcm_standin, error_code):
    row = NotificationFactory()
    fcm_standin.fail_token(row.device.token, error_code)
    services.deliver_notifications([row.pk])
    row.refresh_from_db()
    row.device.refresh_from_db()
    assert row.status == Notification.Status.DEAD
    assert row.device.disabled_at is not None
    assert row.device.disabled_reason == error_code


@pytest.mark.parametrize("error_code", ["INVALID_MESSAGE", "SENDER_ID_MISMATCH"])
def test_error_that_is_not_about_the_token_keeps_the_device(fcm_standin, error_code):
    row = NotificationFactory()
    fcm_standin.fail_token(row.device.token, error_code)
    services.deliver_notifications([row.pk])
    row.refresh_from_db()
    row.device.refresh_from_db()
    assert row.device.disabled_at is None
    assert row.status == Notification.Status.FAILED


def test_dead_row_is_never_retried(fcm_standin):
    row = NotificationFactory()
    fcm_standin.fail_token(row.device.token, "UNREGISTERED")
    services.deliver_notifications([row.pk])
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        services.deliver_due()
    assert len(fcm_standin.received()) == 1


def test_row_for_a_disabled_device_is_not_sent(fcm_standin):
    device = DeviceFactory(disabled_at=timezone.now(), disabled_reason="unregistered")
    row = NotificationFactory(device=device, recipient=device.user)
    services.deliver_due()
    row.refresh_from_db()
    assert row.status == Notification.Status.DEAD
    assert fcm_standin.received() == []


def test_sweep_sends_every_due_row_in_batches_of_at_most_500(fcm_standin):
    NotificationFactory.create_batch(501)
    report = services.deliver_due()
    assert report.sent == 501
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 501


def test_a_claim_by_ids_sends_only_the_due_ones_among_them(fcm_standin):
    """A claim by ids filters by "not finished" (delivery.FINISHED_STATUSES): the same rows as "due"."""
    due = [NotificationFactory(status=status) for status in services.DUE_STATUSES]
    finished = [NotificationFactory(status=status, attempts=1) for status in services.FINISHED_STATUSES]
    later = NotificationFactory(status=Notification.Status.FAILED, next_attempt_at=timezone.now() + timedelta(hours=1))
    bystander = NotificationFactory()  # due, but not among the ids
    report = services.deliver_notifications([row.pk for row in [*due, *finished, later]])
    assert report.claimed == report.sent == len(due)
    assert {m["token"] for m in fcm_standin.sent_messages()} == {row.device.token for row in due}
    bystander.refresh_from_db()
    assert (bystander.status, bystander.attempts) == (Notification.Status.PENDING, 0)
    for row in [*finished, later]:
        before = row.status
        row.refresh_from_db()
        assert (row.status, row.attempts) == (before, 1 if row in finished else 0)


def test_the_sweep_without_a_queue_sends_the_due_rows_of_every_queue(fcm_standin):
    rows = [NotificationFactory(queue="urgent"), NotificationFactory(queue="bulk")]
    report = services.deliver_due()
    assert report.sent == 2
    assert all(Notification.objects.get(pk=row.pk).status == Notification.Status.SENT for row in rows)


def test_the_urgent_sweep_sends_the_due_urgent_rows_and_leaves_the_bulk_ones_to_the_full_sweep(fcm_standin):
    from notifications.tasks import sweep_urgent_outbox

    urgent, bulk = NotificationFactory(queue="urgent"), NotificationFactory(queue="bulk")
    assert sweep_urgent_outbox.apply().get() == 1
    assert Notification.objects.get(pk=urgent.pk).status == Notification.Status.SENT
    assert Notification.objects.get(pk=bulk.pk).status == Notification.Status.PENDING
    assert len(fcm_standin.sent_messages()) == 1


def test_the_claim_by_ids_reads_the_rows_and_values_the_orm_claim_reads_to_the_microsecond():
    """On PostgreSQL a claim by ids is one statement written once (services._claim_by_ids), `data` read as JSON text
    and `expires_at` as microseconds since the epoch: the same rows, order and values as the ORM's claim
    (services._claim), which the sweep and SQLite use. Rows sent, not yet due or of another queue are left."""
    from django.db import transaction

    now = timezone.now()
    expiring = NotificationFactory(data={"kind": "checkin_prompt", "patient_id": "12", "note": "día 3 \u2013 \"ok\""},
                                   expires_at=now + timedelta(hours=3, microseconds=7), next_attempt_at=now)
    lasting = NotificationFactory(expires_at=None, next_attempt_at=now - timedelta(minutes=2))
    urgent = NotificationFactory(queue="urgent", status=Notification.Status.FAILED,
                                 next_attempt_at=now - timedelta(minutes=1))
    left = [NotificationFactory(status=Notification.Status.SENT), NotificationFactory(next_attempt_at=now + timedelta(
        hours=1))]
    ids = [expiring.pk, lasting.pk, urgent.pk, *(row.pk for row in left)]

    for queue, expected in ((None, [lasting.pk, urgent.pk, expiring.pk]), ("bulk", [lasting.pk, expiring.pk])):
        with transaction.atomic():
            by_ids = services._claim_by_ids(ids, queue, now, 10)
            orm = [services.ClaimedRow(*values)
                   for values in services._claim(ids, queue, now).values_list(*services.CLAIMED_FIELDS)[:10]]
        assert by_ids == orm
        assert sorted(row.id for row in by_ids) == sorted(expected)
    with transaction.atomic():
        assert [row.id for row in services._claim_by_ids(ids, None, now, 1)] == [lasting.pk]
    claimed = {row.id: row for row in by_ids}
    assert claimed[expiring.pk].data == expiring.data
    assert claimed[expiring.pk].expires_at == expiring.expires_at
    assert claimed[expiring.pk].expires_at.utcoffset() == timedelta(0)
    assert claimed[lasting.pk].expires_at is None
