"""Writing pushes: every push is an outbox row (one per device) before it is a request to FCM.

Callers (the product code) decide kind, neutral text and ids; this module knows nothing of what a
push is about. Rows are written in the caller's transaction and handed to Celery after commit.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from notifications import fcm
from notifications.models import Notification
from notifications.queues import BULK_QUEUE, URGENT_QUEUE
from notifications.services.devices import active_devices

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Push:
    """One push to every active device of one user. Title and body must say nothing about health;
    `data` carries ids only. `dedupe_key` makes it at-most-once (the device id is appended per row).
    `urgent` pushes (escalations, the care team's messages) go on the urgent queue, never behind a
    fan-out of bulk ones (notifications/queues.py)."""

    user_id: int
    kind: str
    title: str
    body: str
    dedupe_key: str
    data: dict[str, str] = field(default_factory=dict)
    urgent: bool = False


def queue_pushes(pushes: Iterable[Push]) -> list[int]:
    """Write the outbox rows of these pushes (those whose dedupe key is new) and start their delivery
    after commit. Returns the ids of all their rows, new or already there. Constant queries."""
    pushes = list(pushes)
    by_user: dict[int, list[Push]] = {}
    for push in pushes:
        by_user.setdefault(push.user_id, []).append(push)
    rows = [
        Notification(
            recipient_id=user_id, device_id=device_id, kind=push.kind, title=push.title, body=push.body,
            data={"kind": push.kind, **push.data}, dedupe_key=f"{push.dedupe_key}:{device_id}",
            queue=URGENT_QUEUE if push.urgent else BULK_QUEUE,
        )
        for device_id, user_id in active_devices(by_user)
        for push in by_user[user_id]
    ]
    ids: list[int] = []
    for queue in (URGENT_QUEUE, BULK_QUEUE):
        queue_ids = _write_rows([row for row in rows if row.queue == queue])
        enqueue_delivery_on_commit(queue_ids, queue=queue)
        ids += queue_ids
    return ids


def _write_rows(rows: list[Notification]) -> list[int]:
    """Insert outbox rows whose dedupe key is new and return the ids of all of them (two queries)."""
    if not rows:
        return []
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    keys = [row.dedupe_key for row in rows]
    return list(Notification.objects.filter(dedupe_key__in=keys).values_list("id", flat=True))


def enqueue_delivery(notification_ids: list[int], *, queue: str) -> None:
    """Hand rows of one queue to Celery, 500 per task. If the broker is down, log and leave them to the
    periodic sweep."""
    # the tasks module imports the services
    from notifications.tasks import deliver_bulk_notifications, deliver_urgent_notifications

    task = deliver_urgent_notifications if queue == URGENT_QUEUE else deliver_bulk_notifications
    for start in range(0, len(notification_ids), fcm.MAX_BATCH):
        chunk = notification_ids[start : start + fcm.MAX_BATCH]
        try:
            task.delay(chunk)
        except Exception:  # noqa: BLE001 - any broker failure: the rows are safe, the sweep sends them
            logger.warning("Could not enqueue delivery of %d notifications; the sweep will send them",
                           len(chunk), exc_info=True)


def enqueue_delivery_on_commit(notification_ids: list[int], *, queue: str) -> None:
    if notification_ids:
        transaction.on_commit(lambda: enqueue_delivery(notification_ids, queue=queue))
