"""The nightly clean-up (Celery beat, `recovery.tasks.prune_expired_data`; by hand:
`manage.py prune_expired_data`): expired refresh tokens and old finished outbox rows (not those of an open
escalation).

Audit events are never deleted here: they are the record of who saw which patient's data.
"""
from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from notifications.retention import prune_finished_notifications
from recovery.models import Escalation
from recovery.services.pushes import escalation_topic


def flush_expired_tokens() -> int:
    """What simplejwt's `flushexpiredtokens` does (their blacklist rows go with them), returning a count."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def prune_expired_data() -> dict[str, int]:
    """The pushes of escalations still open are kept whatever their age: the inbox reads from their sent rows
    whether the case reached anyone, and a device registering later is resent only what it never got."""
    open_topics = [escalation_topic(pk) for pk in
                   Escalation.objects.filter(resolved_at__isnull=True).values_list("pk", flat=True)]
    return {
        "expired_token_rows": flush_expired_tokens(),
        "outbox_rows": prune_finished_notifications(older_than=settings.OUTBOX_RETENTION, keep_topics=open_topics),
    }
