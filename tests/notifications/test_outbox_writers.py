"""The outbox's two writers (one SQL statement on PostgreSQL, the ORM elsewhere, e.g. `make run` on
SQLite) write the same rows: one per enabled device, at most once per dedupe key, on the push's queue."""
from __future__ import annotations

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.queues import BULK_QUEUE, URGENT_QUEUE
from notifications.services import outbox
from tests.factories import DeviceFactory, UserFactory

pytestmark = pytest.mark.django_db

WRITERS = [outbox._write_in_one_statement, outbox._write_with_orm]


def push(user, key: str, urgent: bool = False) -> outbox.Push:
    return outbox.Push(user_id=user.pk, kind="checkin_prompt", title="Time for your daily check-in",
                       body="Open the app to check in.", dedupe_key=key, data={"patient_id": "7"}, urgent=urgent)


@pytest.mark.parametrize("write", WRITERS, ids=lambda w: w.__name__)
def test_one_row_per_enabled_device_on_the_pushes_queue(write):
    user = UserFactory()
    phone, tablet = DeviceFactory(user=user), DeviceFactory(user=user)
    DeviceFactory(user=user, disabled_at=timezone.now())
    other = DeviceFactory()
    written = write([push(user, "p:1"), push(other.user, "e:1", urgent=True)])
    rows = Notification.objects.order_by("id")
    assert sorted(written) == sorted((row.id, row.queue) for row in rows)
    assert {(row.device_id, row.queue, row.dedupe_key) for row in rows} == {
        (phone.id, BULK_QUEUE, f"p:1:{phone.id}"), (tablet.id, BULK_QUEUE, f"p:1:{tablet.id}"),
        (other.id, URGENT_QUEUE, f"e:1:{other.id}"),
    }
    row = rows.get(device=phone)
    assert (row.recipient_id, row.status, row.attempts, row.data) == (
        user.id, Notification.Status.PENDING, 0, {"kind": "checkin_prompt", "patient_id": "7"})
    assert row.next_attempt_at <= timezone.now()


@pytest.mark.parametrize("write", WRITERS, ids=lambda w: w.__name__)
def test_writing_the_same_push_again_adds_nothing_and_answers_the_existing_rows(write):
    device = DeviceFactory()
    first = write([push(device.user, "p:2")])
    again = write([push(device.user, "p:2"), push(device.user, "p:2")])
    assert again == first
    assert Notification.objects.count() == 1


def written_rows() -> set[tuple]:
    fields = ("recipient_id", "device_id", "kind", "queue", "title", "body", "data", "dedupe_key", "status",
              "attempts", "category", "topic", "expires_at")
    return {tuple(str(value) for value in row) for row in Notification.objects.values_list(*fields)}


def test_both_writers_write_the_same_rows_for_pushes_of_many_contents():
    """Contents (kind, queue, texts, category, topic, expiry) are sent once each by the SQL writer: rows of
    several contents in one call, a data key named "kind" and a push for one device come out as the ORM's."""
    user, other = UserFactory(), UserFactory()
    phone, tablet, elsewhere = DeviceFactory(user=user), DeviceFactory(user=user), DeviceFactory(user=other)
    expiry = timezone.now().replace(microsecond=123456)
    pushes = [
        outbox.Push(user_id=user.pk, kind="checkin_prompt", title="Hora", body="Ábrela «ya»", dedupe_key="a:1",
                    data={"patient_id": "7"}, category=Notification.Category.REMINDER, expires_at=expiry),
        outbox.Push(user_id=other.pk, kind="checkin_prompt", title="Hora", body="Ábrela «ya»", dedupe_key="a:2",
                    data={"patient_id": "8"}, category=Notification.Category.REMINDER, expires_at=expiry),
        outbox.Push(user_id=user.pk, kind="escalation", title="New alert", body='"quoted" \\ text', dedupe_key="e:1",
                    data={"escalation_id": "3", "kind": "override"}, urgent=True, topic="escalation:3",
                    category=Notification.Category.EMERGENCY),
        outbox.Push(user_id=user.pk, kind="message", title="Message", body="From your care team", dedupe_key="m:1",
                    data={}, device_id=tablet.pk),
    ]
    outbox._write_with_orm(pushes)
    by_orm = written_rows()
    Notification.objects.all().delete()
    outbox._write_in_one_statement(pushes)
    assert written_rows() == by_orm
    assert len(by_orm) == 6 and {row[1] for row in by_orm} == {str(phone.pk), str(tablet.pk), str(elsewhere.pk)}
