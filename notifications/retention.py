"""How long outbox rows are kept: sent ones (and ones that will never be sent) only for a while."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from notifications.models import Notification

FINISHED = (Notification.Status.SENT, Notification.Status.DEAD, Notification.Status.CANCELLED)


def prune_finished_notifications(*, older_than: timedelta, now: datetime | None = None,
                                 keep_topics: Iterable[str] = ()) -> int:
    """Delete sent, dead or cancelled outbox rows created before `now - older_than`; pending and retrying rows
    stay, and so do the rows of `keep_topics` (the caller's still-open matters: whether a push of an open
    escalation reached anyone is read from its sent rows)."""
    cutoff = (now or timezone.now()) - older_than
    finished = Notification.objects.filter(status__in=FINISHED, created_at__lt=cutoff)
    keep = list(keep_topics)
    if keep:
        finished = finished.exclude(topic__in=keep)
    deleted, _ = finished.delete()
    return deleted
