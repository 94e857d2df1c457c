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

    def __str__(self) -> str:
        return f"{self.platform} device of {self.user}"

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None


class Notification(models.Model):
    """One push to one device. Title and body are neutral; `data` carries ids only."""

    class Kind(models.TextChoices):
        ESCALATION = "escalation"
        ESCALATION_PASSED_ON = "escalation_passed_on"
        TRIAGE_ADVICE = "triage_advice"
        CHECKIN_PROMPT = "checkin_prompt"
        CHECKIN_MISSING = "checkin_missing"
        REFILL_REMINDER = "refill_reminder"
        PLAN_REMINDER = "plan_reminder"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"  # last attempt failed; will be retried at next_attempt_at
        DEAD = "dead"  # will never be sent (token gone, or out of attempts)

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=120)
    body = models.CharField(max_length=240)
    data = models.JSONField(default=dict, blank=True)
    # Makes a push happen at most once, e.g. "checkin_prompt:<patient>:<local date>:<device>".
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    fcm_message_id = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "failed"]),
                name="notification_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"


class PromptLog(models.Model):
    """One scheduled reminder of one kind sent to one patient for one local date.

    Its unique key is what makes the periodic dispatcher at-most-once per patient and day, even
    with two dispatchers running at the same moment (the insert is ON CONFLICT DO NOTHING).
    """

    patient = models.ForeignKey("recovery.Patient", on_delete=models.CASCADE, related_name="prompt_logs")
    kind = models.CharField(max_length=32, choices=Notification.Kind.choices)
    local_date = models.DateField(help_text="The calendar day in the patient's zone the reminder is for.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "kind", "local_date"], name="one_prompt_per_kind_and_local_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for patient {self.patient_id} on {self.local_date}"
