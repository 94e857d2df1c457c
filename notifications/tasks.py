"""Celery tasks: thin wrappers that move work; the rules live in services (DESIGN.md)."""
from __future__ import annotations

from celery import shared_task

from notifications.services import delivery


@shared_task(acks_late=True, ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> int:
    """Send these outbox rows (those still due); returns how many were sent."""
    return delivery.deliver_notifications(notification_ids).sent


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox() -> int:
    """Periodic: send every due pending or failed row, e.g. those queued while Redis was down."""
    return delivery.deliver_due().sent
