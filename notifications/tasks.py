"""Celery tasks: thin wrappers that move work; the rules live in services (DESIGN.md).

Each task's queue is in settings.CELERY_TASK_ROUTES (notifications/queues.py).
"""
from __future__ import annotations

import logging

from celery import shared_task

from notifications import health
from notifications.queues import BULK_QUEUE, URGENT_QUEUE
from notifications.services import delivery

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def deliver_urgent_notifications(notification_ids: list[int]) -> int:
    """Urgent queue: send these escalation / care-team rows (those still due); returns how many were sent."""
    return delivery.deliver_notifications(notification_ids, queue=URGENT_QUEUE).sent


@shared_task(acks_late=True, ignore_result=True)
def deliver_bulk_notifications(notification_ids: list[int]) -> int:
    """Bulk queue: send these prompt / reminder rows (one batch of a fan-out); returns how many were sent."""
    return delivery.deliver_notifications(notification_ids, queue=BULK_QUEUE).sent


@shared_task(acks_late=True, ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> int:
    """Tasks queued under the single-queue name before an upgrade: send them (urgent queue)."""
    return delivery.deliver_notifications(notification_ids).sent


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox() -> int:
    """Periodic, urgent queue: send every due urgent row, e.g. those queued while Redis was down, then
    hand the same sweep of prompts and reminders to the bulk queue; then raise the operational alert if
    escalation pushes are failing (notifications.health)."""
    sent = delivery.deliver_due(queue=URGENT_QUEUE).sent
    try:
        sweep_bulk_outbox.delay()
    except Exception:  # noqa: BLE001 - broker down: the next sweep tries again
        logger.warning("Could not enqueue the bulk outbox sweep", exc_info=True)
    health.alert_if_failing()
    return sent


@shared_task(acks_late=True, ignore_result=True)
def sweep_urgent_outbox() -> int:
    """Periodic, urgent queue, every few seconds (settings.URGENT_SWEEP_SECONDS): send every due urgent row.
    An escalation push whose hand-off from the web failed (Redis down or hung, or the web process still
    skipping the broker after a failure: notifications/handoff.py) then waits that long once Redis answers,
    not up to the minute of the full sweep. Finding nothing is one probe of the urgent due index."""
    return delivery.deliver_due(queue=URGENT_QUEUE).sent


@shared_task(acks_late=True, ignore_result=True)
def sweep_bulk_outbox() -> int:
    """Bulk queue: send every due prompt / reminder row that no delivery task has sent."""
    return delivery.deliver_due(queue=BULK_QUEUE).sent
