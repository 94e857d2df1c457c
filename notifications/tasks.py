"""Celery tasks: thin wrappers that move work; the rules live in services (DESIGN.md)."""
from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task(acks_late=True, ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> int:
    """Send these outbox rows (those still due); returns how many were sent."""
    return services.deliver_notifications(notification_ids).sent


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox() -> int:
    """Periodic: send every due pending or failed row, e.g. those queued while Redis was down."""
    return services.deliver_due().sent


@shared_task(acks_late=True, ignore_result=True)
def dispatch_reminders() -> dict[str, int]:
    """Periodic (every minute): daily check-in prompts and the other scheduled reminders."""
    return services.dispatch_reminders()


@shared_task(acks_late=True, ignore_result=True)
def pass_on_overdue_escalations() -> int:
    """Periodic (every minute): pass unacknowledged escalations on to the backup or on-call surgeon."""
    from recovery.services import pass_on_overdue_escalations as pass_on

    return len(pass_on())
