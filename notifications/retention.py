"""How long outbox rows are kept: sent ones (and ones that will never be sent) only for a while."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from notifications.models import Notification

FINISHED = (Notification.Status.SENT, Notification.Status.DEAD, Notification.Status.CANCELLED)


def prune_finished_notifications(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete sent, dead or cancelled outbox rows created before `now - older_than`; pending and retrying rows stay."""
    cutoff = (now or timezone.now()) - older_than
    deleted, _ = Notification.objects.filter(status__in=FINISHED, created_at__lt=cutoff).delete()
    return deleted
