"""Push tokens and the notification outbox: every push is a row before it is a request."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Device(models.Model):
    """A phone or browser push token owned by a patient's or surgeon's login."""

    class Platform(models.TextChoices):
        ANDROID = "android"
        IOS = "ios"
        WEB = "web"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    token = models.CharField(max_length=4096)
    token_digest = models.CharField(max_length=64, unique=True, help_text="sha256 of the token, for uniqueness.")
    platform = models.CharField(max_length=8, choices=Platform.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["user"], condition=Q(disabled_at__isnull=True), name="device_active_user")]
        constraints = [
            # What the outbox's foreign key (device, recipient) points at: a push goes to its device's owner.
            models.UniqueConstraint(fields=["id", "user"], name="device_id_with_user"),
        ]

    def __str__(self) -> str:
        # By id: a patient's login name says who is a patient here (the admin shows this string unaudited).
        return f"{self.platform} device {self.pk} of user {self.user_id}"

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None


class Notification(models.Model):
    """One push to one device. Title and body are neutral; `data` carries ids only."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"  # last attempt failed; will be retried at next_attempt_at
        DEAD = "dead"  # will never be sent (token gone, reminder expired or out of attempts)
        CANCELLED = "cancelled"  # no longer needed: its topic was closed (e.g. the escalation acknowledged)

    class Category(models.TextChoices):
        """How the push is presented and how long it is retried (notifications.push_categories)."""

        EMERGENCY = "emergency"
        URGENT = "urgent"
        MESSAGE = "message"
        REMINDER = "reminder"

    # On PostgreSQL one foreign key checks both, (device, recipient) against (device id, its user): a push's
    # recipient is its device's owner, so a token taken over by another user can never carry the old owner's
    # pushes (notifications 0010). One check per row instead of two: the deferred checks of a fan-out's
    # foreign keys were a fifth of PostgreSQL's CPU (bench/README.md, "Seventh pass"). Deletes cascade in Django,
    # through the device: a user's devices go with them, and every push of theirs is on one of their devices. So
    # no query looks pushes up by recipient alone, and the recipient has no index of its own, which every push
    # wrote at its insert and again at its update to "sent" (notifications 0012; bench/README.md, "Thirteenth
    # pass"); the device index serves the cascade.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING,
                                  related_name="notifications", db_constraint=False, db_index=False)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="notifications", db_constraint=False)
    kind = models.CharField(max_length=32, help_text="What the push is about, named by the app that sent it.")
    # The Celery queue it travels on (notifications/queues.py): "urgent" rows never wait behind "bulk" ones.
    queue = models.CharField(max_length=8, default="bulk", help_text="urgent or bulk (notifications/queues.py).")
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.MESSAGE)
    # What the push is about, e.g. "escalation:42": rows of one topic are cancelled together when it is
    # closed, and queried to tell whether it reached anyone. Empty for reminders.
    # Indexed in Meta (notification_topic), without the LIKE twin Django adds to a db_index CharField.
    topic = models.CharField(max_length=64, blank=True, default="")
    # Reminders stop being worth sending (TTL); None: retried until sent or cancelled.
    expires_at = models.DateTimeField(null=True, blank=True)
    title = models.CharField(max_length=120)
    body = models.CharField(max_length=240)
    data = models.JSONField(default=dict, blank=True)
    # Makes a push happen at most once, e.g. "care_team_message:<message>:<device>". Unique in Meta
    # (notification_dedupe_key), without the LIKE twin index Django adds to a unique CharField. NULL: the writer
    # makes the push at most once itself, as the reminder dispatch does through PromptLog's unique key, and the
    # row is not in the index (notifications 0013).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL: no key
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    fcm_message_id = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        # Each index is paid by every insert and (the predicate naming `status`: no HOT update) by the
        # update to "sent" of every push: only those a query uses (bench/README.md, "PostgreSQL per prompt").
        # No LIKE twins (nothing matches topic or dedupe_key by prefix); one due index, per queue: every
        # claim and sweep names its queue, and a claim by ids goes by primary key.
        indexes = [
            models.Index(
                fields=["queue", "next_attempt_at"],
                condition=Q(status__in=["pending", "failed"]),
                name="notification_due_per_queue",
            ),
            # Only rows with a topic (escalation pushes): a reminder has none, and every query by topic names one,
            # so a fan-out writes no entry here (notifications 0011). A query by topic says `topic <> ''` when the
            # planner cannot see that its topic is not empty (e.g. one built from an id).
            models.Index(fields=["topic"], condition=~Q(topic=""), name="notification_topic"),
            # /metrics counts the failed and dead rows on every scrape: without it a scan of the whole outbox
            # (about 0.1 s with 800,000 rows). Sent and pending rows are not in it, so a fan-out never writes it.
            models.Index(fields=["status"], condition=Q(status__in=["failed", "dead"]),
                         name="notification_failed_or_dead"),
        ]
        constraints = [
            # ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL of the outbox writer infers this one. Only rows
            # with a key: a fan-out's reminders have none, and each wrote an entry at its insert and another at its
            # update to "sent", with a uniqueness probe each (notifications 0013).
            models.UniqueConstraint(fields=["dedupe_key"], condition=Q(dedupe_key__isnull=False),
                                    name="notification_dedupe_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to user {self.recipient_id} ({self.status})"
