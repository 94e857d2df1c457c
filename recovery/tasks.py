"""Celery tasks of the clinical domain: thin wrappers over services (DESIGN.md)."""
from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from recovery.services import escalations, reachability, refill_safety_net, reminders, retention


@shared_task(acks_late=True, ignore_result=True)
def dispatch_reminders() -> int:
    """Periodic (every minute): daily check-in prompts and the other scheduled reminders, one bulk task per
    time zone (all for the same moment), so that a large dispatch runs on every bulk worker process at once.
    Returns how many zone tasks it queued."""
    now = timezone.now()
    zones = reminders.zones_with_patients()
    for zone_name in zones:
        dispatch_zone_reminders.delay(zone_name, now.isoformat())
    return len(zones)


@shared_task(acks_late=True, ignore_result=True)
def dispatch_zone_reminders(zone_name: str, at: str) -> dict[str, int]:
    """Bulk queue: the reminders of one zone due at the moment `at` (ISO 8601) of the periodic dispatch."""
    return reminders.dispatch_zone_reminders(zone_name, now=datetime.fromisoformat(at))


@shared_task(acks_late=True, ignore_result=True)
def pass_on_overdue_escalations() -> int:
    """Periodic (every minute): pass unacknowledged escalations on to the backup or on-call surgeon, and
    those whose holders lost every push device at once (a catch-all for the devices_lost signal)."""
    return len(escalations.pass_on_overdue_escalations()) + reachability.recheck_unreachable_escalations()


@shared_task(acks_late=True, ignore_result=True)
def prune_expired_data() -> dict[str, int]:
    """Nightly: expired refresh tokens, sent/dead outbox rows past OUTBOX_RETENTION_DAYS (audit kept)."""
    return retention.prune_expired_data()


@shared_task(acks_late=True, ignore_result=True)
def run_refill_safety_net() -> dict[str, int]:
    """Periodic (every minute): raise missed pump refills to the care team."""
    return refill_safety_net.run_refill_safety_net()
