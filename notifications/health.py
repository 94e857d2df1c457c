"""Is push delivery working? Read from the outbox (the source of truth), so every process agrees.

- `push_health()`: the state the dashboard banner and the alert use;
- notifications.metrics: the same on /metrics (pump_push_escalation_delivery_failing, ...);
- `alert_if_failing()`: called by each outbox sweep; while escalation pushes are failing it logs one
  ERROR line starting "ALERT pushes failing" per sweep (every minute), with counts only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from notifications.models import Notification
from notifications.push_categories import PushCategory

logger = logging.getLogger(__name__)

Status = Notification.Status
DUE = (Status.PENDING, Status.FAILED)

# An escalation push not delivered this long after it was written, or after this many failed attempts,
# means delivery is failing (a healthy push is sent within seconds; FCM's own retries take under a minute).
FAILING_AFTER = timedelta(minutes=3)
FAILING_AFTER_ATTEMPTS = 3


@dataclass(frozen=True)
class PushHealth:
    failing: bool
    undelivered_escalation_pushes: int
    oldest_undelivered_since: datetime | None

    @property
    def oldest_minutes(self) -> int:
        if self.oldest_undelivered_since is None:
            return 0
        return int((timezone.now() - self.oldest_undelivered_since).total_seconds() // 60)


def push_health(now: datetime | None = None) -> PushHealth:
    """Escalation pushes still due, and whether any has been failing long enough to call it an outage."""
    now = now or timezone.now()
    due = Notification.objects.filter(status__in=DUE, category__in=PushCategory.ESCALATIONS)
    summary = due.aggregate(
        count=Count("id"), oldest=Min("created_at"),
        stuck=Count("id", filter=Q(created_at__lte=now - FAILING_AFTER) | Q(attempts__gte=FAILING_AFTER_ATTEMPTS)),
    )
    return PushHealth(failing=bool(summary["stuck"]), undelivered_escalation_pushes=summary["count"],
                      oldest_undelivered_since=summary["oldest"])


def alert_if_failing() -> PushHealth:
    """Log the operational alert while escalation pushes are failing (see the module docstring)."""
    health = push_health()
    if health.failing:
        logger.error("ALERT pushes failing: %d escalation push(es) undelivered, the oldest for %d min; "
                     "retrying until their escalations are acknowledged",
                     health.undelivered_escalation_pushes, health.oldest_minutes)
    return health
