"""Writes of the notification outbox. Pushes are rows first; Celery only delivers them.

Delivery is at-least-once per row and never concurrent for one row: a sender claims rows with
SELECT ... FOR UPDATE SKIP LOCKED and keeps the lock until it has recorded FCM's answer. A worker
killed mid-send rolls back, so the rows stay due and are sent again (acks late re-queues the task,
the sweep catches the rest); two workers never send one row at the same time.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from notifications import fcm
from notifications.models import Device, Notification, PromptLog
from recovery.models import CheckIn, Escalation, Patient, Restriction, User
from recovery.selectors import in_force_on

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Status = Notification.Status

# Lock-screen text: says nothing about health. The app fetches details with its own token.
NEUTRAL_TEXT: dict[str, tuple[str, str]] = {
    Kind.ESCALATION: ("A patient needs attention", "Open the dashboard to review."),
    Kind.ESCALATION_PASSED_ON: ("A patient needs attention", "An alert was passed on to you. Open the dashboard."),
    Kind.TRIAGE_ADVICE: ("New message from your care team", "Open the app to read it."),
    Kind.CHECKIN_PROMPT: ("Time for your daily check-in", "Open the app to check in."),
    Kind.CHECKIN_MISSING: ("Your daily check-in is waiting", "Open the app to check in."),
    Kind.REFILL_REMINDER: ("A reminder from your care team", "Open the app for details."),
    Kind.PLAN_REMINDER: ("A reminder from your recovery plan", "Open the app for details."),
}

DUE_STATUSES = (Status.PENDING, Status.FAILED)
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
PROMPT_BATCH_SIZE = fcm.MAX_BATCH

# The missing-check-in reminder goes out at this local time if the day has no check-in yet (and the
# patient's own check-in time is earlier).
EVENING_REMINDER_AT = time(19, 0)
# While the plan's "wear_binder" restriction is in force (recovery.plan, days 0-27 when a binder is
# prescribed), one midday reminder a day. Guide: "If needed, how and when to wear an abdominal binder
# to protect your pump." The other restrictions are shown in the app, not pushed: a daily push per
# restriction would teach patients to ignore pushes.
BINDER_REMINDER_AT = time(12, 0)
# Refill reminders this many days before Pump.next_refill_date, at the check-in time.
# Guide: "Have your medicine refilled regularly and on time".
REFILL_REMINDER_DAYS = (7, 3, 1)


# --- Devices -------------------------------------------------------------------------------

def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_device(*, user: User, token: str, platform: str) -> tuple[Device, bool]:
    """Register a push token for `user`; the same token again re-owns and re-enables it (no duplicate)."""
    now = timezone.now()
    with transaction.atomic():
        device, created = Device.objects.select_for_update().get_or_create(
            token_digest=token_digest(token),
            defaults={"user": user, "token": token, "platform": platform, "last_seen_at": now},
        )
        if not created:
            device.user = user
            device.platform = platform
            device.last_seen_at = now
            device.disabled_at = None
            device.disabled_reason = ""
            device.save(update_fields=["user", "platform", "last_seen_at", "disabled_at", "disabled_reason"])
    return device, created


def unregister_device(*, user: User, token: str) -> bool:
    """Disable the caller's own device with this token; False if it is not theirs."""
    return bool(
        Device.objects.filter(user=user, token_digest=token_digest(token)).update(
            disabled_at=timezone.now(), disabled_reason="unregistered"
        )
    )


# --- Writing outbox rows -------------------------------------------------------------------

def _write_rows(rows: list[Notification]) -> list[int]:
    """Insert outbox rows whose dedupe key is new and return the ids of all of them (two queries)."""
    if not rows:
        return []
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    keys = [row.dedupe_key for row in rows]
    return list(Notification.objects.filter(dedupe_key__in=keys).values_list("id", flat=True))


def _rows_for_devices(
    devices: Iterable[tuple[int, int]], kind: str, data: dict[str, str], dedupe_prefix: str
) -> list[Notification]:
    title, body = NEUTRAL_TEXT[kind]
    return [
        Notification(
            recipient_id=user_id, device_id=device_id, kind=kind, title=title, body=body,
            data={"kind": str(kind), **data}, dedupe_key=f"{dedupe_prefix}:{device_id}",
        )
        for device_id, user_id in devices
    ]


def _active_devices(user_ids: Iterable[int | None]) -> list[tuple[int, int]]:
    ids = [uid for uid in user_ids if uid is not None]
    return list(
        Device.objects.filter(user_id__in=ids, disabled_at__isnull=True).values_list("id", "user_id")
    ) if ids else []


def enqueue_delivery(notification_ids: list[int]) -> None:
    """Hand rows to a Celery worker. If the broker is down, log and leave them to the periodic sweep."""
    from notifications.tasks import deliver_notifications

    for start in range(0, len(notification_ids), fcm.MAX_BATCH):
        chunk = notification_ids[start : start + fcm.MAX_BATCH]
        try:
            deliver_notifications.delay(chunk)
        except Exception:  # noqa: BLE001 - any broker failure: the rows are safe, the sweep sends them
            logger.warning("Could not enqueue delivery of %d notifications; the sweep will send them",
                           len(chunk), exc_info=True)


def enqueue_delivery_on_commit(notification_ids: list[int]) -> None:
    if notification_ids:
        transaction.on_commit(lambda: enqueue_delivery(notification_ids))


def queue_escalation_pushes(escalation: Escalation) -> list[int]:
    """Write the outbox rows announcing `escalation`: its surgeon's devices, and the patient's
    ("New message from your care team", pointing at the advice message). Delivery starts after commit.

    Called by recovery.services inside the report's transaction (DESIGN.md step 2).
    """
    data = {"escalation_id": str(escalation.pk)}
    surgeon_user_id = escalation.assigned_surgeon.user_id
    patient_user_id = escalation.patient.user_id
    devices = _active_devices([surgeon_user_id, patient_user_id])
    rows = _rows_for_devices(
        [d for d in devices if d[1] == surgeon_user_id], Kind.ESCALATION, data, f"escalation:{escalation.pk}"
    ) + _rows_for_devices(
        [d for d in devices if d[1] == patient_user_id], Kind.TRIAGE_ADVICE, data, f"triage_advice:{escalation.pk}"
    )
    ids = _write_rows(rows)
    enqueue_delivery_on_commit(ids)
    return ids


def queue_pass_on_pushes(escalation: Escalation) -> list[int]:
    """Write the rows telling the surgeon an escalation was passed on to them; delivery after commit."""
    target = escalation.escalated_to
    rows = _rows_for_devices(
        _active_devices([target.user_id]), Kind.ESCALATION_PASSED_ON,
        {"escalation_id": str(escalation.pk)}, f"passed_on:{escalation.pk}:{target.pk}",
    )
    ids = _write_rows(rows)
    enqueue_delivery_on_commit(ids)
    return ids


# --- Delivery --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt: 30 s, 1 min, 2 min ... at most an hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def deliver_notifications(notification_ids: list[int] | None = None, *, limit: int = fcm.MAX_BATCH) -> DeliveryReport:
    """Send due rows (the given ids, or any due ones) in one FCM batch and record each outcome.

    Rows another sender holds are skipped, rows already sent or not yet due are left alone.
    """
    now = timezone.now()
    with transaction.atomic():
        claim = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("device")
            .filter(status__in=DUE_STATUSES, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
        )
        if notification_ids is not None:
            claim = claim.filter(id__in=notification_ids)
        rows = list(claim[:limit])
        if not rows:
            return DeliveryReport()
        live = [row for row in rows if row.device.disabled_at is None]
        for row in rows:
            if row.device.disabled_at is not None:
                row.status, row.last_error = Status.DEAD, f"device disabled: {row.device.disabled_reason}"
        outcomes = fcm.send_batch(
            fcm.PushMessage(token=row.device.token, title=row.title, body=row.body, data=row.data) for row in live
        )
        dead_tokens: dict[int, str] = {}
        for row, outcome in zip(live, outcomes):
            row.attempts += 1
            if outcome.ok:
                row.status, row.sent_at, row.fcm_message_id, row.last_error = Status.SENT, now, outcome.message_id, ""
                continue
            row.last_error = f"{outcome.error_code}: {outcome.error}"[:2000]
            if outcome.token_is_dead:
                row.status = Status.DEAD
                dead_tokens[row.device_id] = outcome.error_code
            elif row.attempts >= MAX_ATTEMPTS:
                row.status = Status.DEAD
            else:
                row.status, row.next_attempt_at = Status.FAILED, now + retry_delay(row.attempts)
        _record_outcomes(rows, now)
        for device_id, code in dead_tokens.items():
            Device.objects.filter(pk=device_id, disabled_at__isnull=True).update(
                disabled_at=now, disabled_reason=code
            )
    counts = {status: sum(1 for row in rows if row.status == status) for status in Status}
    return DeliveryReport(claimed=len(rows), sent=counts[Status.SENT], failed=counts[Status.FAILED],
                          dead=counts[Status.DEAD])


def _record_outcomes(rows: list[Notification], now: datetime) -> None:
    """Store each row's outcome in a constant number of queries (bulk_update's CASE per field and row
    was half the cost of a 500-row batch); sent rows are the common case and share one UPDATE."""
    sent = [row for row in rows if row.status == Status.SENT]
    if sent:
        Notification.objects.filter(pk__in=[row.pk for row in sent]).update(
            status=Status.SENT, attempts=F("attempts") + 1, sent_at=now, last_error=""
        )
        _record_message_ids([(row.pk, row.fcm_message_id) for row in sent])
    others = [row for row in rows if row.status != Status.SENT]
    if others:
        Notification.objects.bulk_update(others, ["status", "attempts", "last_error", "next_attempt_at"])


def _record_message_ids(pairs: list[tuple[int, str]]) -> None:
    """Set fcm_message_id per row: one UPDATE ... FROM unnest() on PostgreSQL, bulk_update elsewhere."""
    if connection.vendor != "postgresql":
        Notification.objects.bulk_update(
            [Notification(pk=pk, fcm_message_id=message_id) for pk, message_id in pairs], ["fcm_message_id"]
        )
        return
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS n SET fcm_message_id = v.message_id "  # noqa: S608 - table name is ours
            "FROM unnest(%s::bigint[], %s::text[]) AS v(id, message_id) WHERE n.id = v.id",
            [[pk for pk, _ in pairs], [message_id for _, message_id in pairs]],
        )


def deliver_due(max_batches: int = 200) -> DeliveryReport:
    """The sweep: send every due pending or failed row, batch after batch, until none is left."""
    totals = DeliveryReport()
    for _ in range(max_batches):
        report = deliver_notifications()
        totals = DeliveryReport(*(a + b for a, b in zip(
            (totals.claimed, totals.sent, totals.failed, totals.dead),
            (report.claimed, report.sent, report.failed, report.dead),
        )))
        if report.claimed < fcm.MAX_BATCH:
            break
    return totals


# --- Scheduled reminders ----------------------------------------------------------------------

@dataclass(frozen=True)
class ReminderRule:
    """A daily reminder: when it falls due in the patient's zone and which patients it is for that day."""

    kind: str
    at: time | None  # fixed local time; None means the patient's own check-in time
    applies_on: Callable[[date], Q]


def _no_checkin_on(day: date) -> Q:
    return Q(checkin_time__lt=EVENING_REMINDER_AT) & ~Q(
        Exists(CheckIn.objects.filter(patient=OuterRef("pk"), local_date=day))
    )


def _refill_soon(day: date) -> Q:
    return Q(pump__next_refill_date__in=[day + timedelta(days=n) for n in REFILL_REMINDER_DAYS])


def _binder_in_force(day: date) -> Q:
    return Q(Exists(
        Restriction.objects.filter(in_force_on(day), patient=OuterRef("pk"), key="wear_binder")
    ))


REMINDER_RULES: tuple[ReminderRule, ...] = (
    ReminderRule(Kind.CHECKIN_PROMPT, None, lambda day: Q()),
    ReminderRule(Kind.CHECKIN_MISSING, EVENING_REMINDER_AT, _no_checkin_on),
    ReminderRule(Kind.REFILL_REMINDER, None, _refill_soon),
    ReminderRule(Kind.PLAN_REMINDER, BINDER_REMINDER_AT, _binder_in_force),
)


def _prompt_batch(kind: str, day: date, patients: list[tuple[int, int]]) -> list[int]:
    """Record the reminder for these (patient id, user id) pairs and write their rows: constant queries."""
    with transaction.atomic():
        PromptLog.objects.bulk_create(
            [PromptLog(patient_id=patient_id, kind=kind, local_date=day) for patient_id, _ in patients],
            ignore_conflicts=True,
        )
        patient_of_user = {user_id: patient_id for patient_id, user_id in patients}
        rows: list[Notification] = []
        for device_id, user_id in _active_devices(patient_of_user):
            patient_id = patient_of_user[user_id]
            rows += _rows_for_devices(
                [(device_id, user_id)], kind, {"patient_id": str(patient_id), "local_date": day.isoformat()},
                f"{kind}:{patient_id}:{day.isoformat()}",
            )
        ids = _write_rows(rows)
        enqueue_delivery_on_commit(ids)
    return ids


def dispatch_reminder(rule: ReminderRule, *, now: datetime | None = None, batch_size: int = PROMPT_BATCH_SIZE) -> int:
    """Prompt every activated patient for whom `rule` is due now in their own zone and who was not yet
    prompted for that local date. Returns how many patients were prompted.

    Zones are taken one at a time so "today" and "now" are exact (zoneinfo, DST included); a patient
    is prompted at most once per local date because PromptLog is unique and inserted ON CONFLICT DO NOTHING.
    """
    now = now or timezone.now()
    prompted = 0
    zones = Patient.objects.filter(user__isnull=False).order_by().values_list("timezone", flat=True).distinct()
    for zone_name in zones:
        local = now.astimezone(ZoneInfo(zone_name))
        day, clock = local.date(), local.time()
        if rule.at is not None and clock < rule.at:
            continue
        due = (
            Patient.objects.filter(user__isnull=False, timezone=zone_name)
            .filter(rule.applies_on(day))
            .exclude(Exists(PromptLog.objects.filter(patient=OuterRef("pk"), kind=rule.kind, local_date=day)))
        )
        if rule.at is None:
            due = due.filter(checkin_time__lte=clock)
        last_id = 0
        while True:
            batch = list(due.filter(pk__gt=last_id).order_by("pk").values_list("pk", "user_id")[:batch_size])
            if not batch:
                break
            _prompt_batch(rule.kind, day, batch)
            prompted += len(batch)
            last_id = batch[-1][0]
            if len(batch) < batch_size:
                break
    return prompted


def dispatch_reminders(*, now: datetime | None = None) -> dict[str, int]:
    """Run every reminder rule once (the periodic dispatcher): check-in prompts, missing check-ins,
    refills and binder reminders. Returns patients prompted per kind."""
    now = now or timezone.now()
    return {str(rule.kind): dispatch_reminder(rule, now=now) for rule in REMINDER_RULES}
