"""Delivery of outbox rows through FCM.

Delivery is at-least-once per row and never concurrent for one row: a sender claims rows with
SELECT ... FOR UPDATE SKIP LOCKED and keeps the lock until it has recorded FCM's answer. A worker
killed mid-send rolls back, so the rows stay due and are sent again (acks late re-queues the task,
the sweep catches the rest); two workers never send one row at the same time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from notifications import fcm, signals
from notifications.models import Device, Notification
from notifications.push_categories import PushCategory
from notifications.queues import QUEUES

Status = Notification.Status
Category = Notification.Category

DUE_STATUSES = (Status.PENDING, Status.FAILED)
# Every other status: "not finished" is "due", said so that a claim by ids cannot use the partial due index.
FINISHED_STATUSES = tuple(status for status in Status if status not in DUE_STATUSES)
# Reminders and messages give up after MAX_ATTEMPTS (reminders also at their expiry). Escalation pushes
# never do: they are retried, at most ESCALATION_BACKOFF_CAP apart, until their topic is cancelled (the
# escalation acknowledged), so an FCM outage of any length ends in delivery.
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
ESCALATION_BACKOFF_CAP = timedelta(minutes=2)


@dataclass(slots=True)
class ClaimedRow:
    """What sending and recording one claimed outbox row needs. Plain values, not model instances: building
    two model instances (row and device) per message was the largest cost of a 500-row batch outside the
    HTTP requests themselves (fan-out profile)."""

    id: int
    recipient_id: int
    device_id: int
    title: str
    body: str
    data: dict
    category: str
    expires_at: datetime | None
    status: str
    attempts: int
    last_error: str
    token: str
    device_disabled_at: datetime | None
    device_disabled_reason: str
    fcm_message_id: str = ""


CLAIMED_FIELDS = (
    "id", "recipient_id", "device_id", "title", "body", "data", "category", "expires_at", "status", "attempts",
    "last_error", "device__token", "device__disabled_at", "device__disabled_reason",
)
# The claim by ids on PostgreSQL (_claim_by_ids): CLAIMED_FIELDS in that order, `data` as its JSON text and
# `expires_at` as microseconds since the epoch (exact), both decoded in Python.
_CLAIM_BY_IDS = f"""
    SELECT n.id, n.recipient_id, n.device_id, n.title, n.body, n.data::text, n.category,
           (extract(epoch FROM n.expires_at) * 1000000)::bigint, n.status, n.attempts, n.last_error,
           d.token, d.disabled_at, d.disabled_reason
    FROM {Notification._meta.db_table} n JOIN {Device._meta.db_table} d ON d.id = n.device_id
    WHERE n.id = ANY(%s::bigint[]) AND n.next_attempt_at <= %s AND n.status <> ALL(%s::text[])
      AND (%s::text IS NULL OR n.queue = %s::text)
    ORDER BY n.next_attempt_at, n.id
    LIMIT %s
    FOR UPDATE OF n SKIP LOCKED
"""  # noqa: S608 - the models' tables; every value is a parameter
_DATA_AT, _EXPIRES_AT = CLAIMED_FIELDS.index("data"), CLAIMED_FIELDS.index("expires_at")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        """The counts of two deliveries together (a sweep's batches, its queues)."""
        return DeliveryReport(self.claimed + other.claimed, self.sent + other.sent, self.failed + other.failed,
                              self.dead + other.dead)


def retry_delay(attempts: int, category: str = Category.MESSAGE) -> timedelta:
    """Exponential backoff after the n-th failed attempt: 30 s, 1 min, 2 min ... at most an hour
    (at most ESCALATION_BACKOFF_CAP for escalation pushes)."""
    cap = ESCALATION_BACKOFF_CAP if category in PushCategory.ESCALATIONS else BACKOFF_CAP
    return min(BACKOFF_BASE * (2 ** min(max(attempts - 1, 0), 20)), cap)


def gives_up(row: ClaimedRow, now: datetime) -> bool:
    """Whether a failed row is not retried again: escalation pushes never give up (until cancelled)."""
    if row.category in PushCategory.ESCALATIONS:
        return False
    return row.attempts >= MAX_ATTEMPTS or _expired(row, now)


def _expired(row: ClaimedRow, now: datetime) -> bool:
    return row.expires_at is not None and row.expires_at <= now


def deliver_notifications(
    notification_ids: list[int] | None = None, *, limit: int = fcm.MAX_BATCH, queue: str | None = None,
    now: datetime | None = None,
) -> DeliveryReport:
    """Send due rows (the given ids, or any due ones; only those of `queue` if given) in one FCM batch
    and record each outcome, as of `now` (default: the real now).

    Rows another sender holds are skipped, rows already sent or not yet due (at `now`) are left alone.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if notification_ids is not None and connection.vendor == "postgresql":
            rows = _claim_by_ids(notification_ids, queue, now, limit)
        else:
            rows = [ClaimedRow(*values) for values in _claim(notification_ids, queue, now).values_list(
                *CLAIMED_FIELDS)[:limit]]
        if not rows:
            return DeliveryReport()
        live = [row for row in rows if row.device_disabled_at is None and not _expired(row, now)]
        for row in rows:
            if row.device_disabled_at is not None:
                row.status, row.last_error = Status.DEAD, f"device disabled: {row.device_disabled_reason}"
            elif _expired(row, now):
                row.status, row.last_error = Status.DEAD, "expired: no longer worth showing"
        outcomes = fcm.send_batch(
            fcm.PushMessage(token=row.token, title=row.title, body=row.body, data=row.data,
                            category=row.category, expires_at=row.expires_at)
            for row in live
        )
        dead_tokens: dict[int, str] = {}
        for row, outcome in zip(live, outcomes, strict=True):
            row.attempts += 1
            if outcome.ok:
                row.status, row.fcm_message_id, row.last_error = Status.SENT, outcome.message_id, ""
                continue
            row.last_error = f"{outcome.error_code}: {outcome.error}"[:2000]
            if outcome.token_is_dead:
                row.status = Status.DEAD
                dead_tokens[row.device_id] = outcome.error_code
            elif gives_up(row, now):
                row.status = Status.DEAD
            else:
                row.status = Status.FAILED  # retried at now + retry_delay (_record_outcomes)
        _record_outcomes(rows, now)
        for device_id, code in dead_tokens.items():
            Device.objects.filter(pk=device_id, disabled_at__isnull=True).update(
                disabled_at=now, disabled_reason=code
            )
        if dead_tokens:
            lost = sorted({row.recipient_id for row in live if row.device_id in dead_tokens})
            transaction.on_commit(lambda: signals.devices_lost.send(sender=Device, user_ids=lost), robust=True)
    counts = {status: sum(1 for row in rows if row.status == status) for status in Status}
    return DeliveryReport(claimed=len(rows), sent=counts[Status.SENT], failed=counts[Status.FAILED],
                          dead=counts[Status.DEAD])


def _claim(notification_ids: list[int] | None, queue: str | None, now: datetime) -> QuerySet[Notification]:
    """The due rows (of these ids, of `queue`), locked, those another sender holds skipped: the sweep's claim, and
    every claim on SQLite."""
    claim = (
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
    )
    if notification_ids is None:
        claim = claim.filter(status__in=DUE_STATUSES)
    else:
        # By primary key: the same rows as status__in=DUE_STATUSES, but a condition the partial due index
        # cannot serve. With it, PostgreSQL's statistics from before a fan-out (next to no due rows) made
        # every claim of 500 ids walk the due index past the whole backlog of the fan-out.
        claim = claim.filter(_id_among(notification_ids)).exclude(status__in=FINISHED_STATUSES)
    if queue is not None:
        claim = claim.filter(queue=queue)
    return claim


def _claim_by_ids(notification_ids: list[int], queue: str | None, now: datetime, limit: int) -> list[ClaimedRow]:
    """_claim of these ids on PostgreSQL, as one statement written once (_CLAIM_BY_IDS): every batch of a fan-out,
    every escalation push. Django compiled the claim's query again for each batch (1.9 us a row of a bulk worker's
    CPU), and its timestamptz loader (a Python subclass of psycopg's, so psycopg cannot use its C one) and
    JSONField's converter took 6 us a row more (bench/README.md, "Thirteenth pass" and "Fourteenth pass")."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_BY_IDS, [_bigint_array(notification_ids), now, list(FINISHED_STATUSES), queue, queue,
                                       limit])
        found = cursor.fetchall()
    rows = []
    for row in found:
        values = list(row)
        values[_DATA_AT] = json.loads(values[_DATA_AT])
        if values[_EXPIRES_AT] is not None:
            values[_EXPIRES_AT] = _EPOCH + timedelta(microseconds=values[_EXPIRES_AT])
        rows.append(ClaimedRow(*values))
    return rows


def _id_among(ids: list[int]) -> Q:
    """`id IN ids` as one array parameter on PostgreSQL: Django writes IN with a placeholder per id, and
    preparing, quoting and parsing 500 of them was a tenth of a fan-out batch's CPU outside the HTTP
    requests (py-spy)."""
    if connection.vendor != "postgresql":
        return Q(id__in=ids)
    among = f'"{Notification._meta.db_table}"."id" = ANY(%s::bigint[])'  # the model's table; the ids a parameter
    return Q(RawSQL(among, (_bigint_array(ids),), output_field=BooleanField()))  # noqa: S611


def _bigint_array(ids: list[int]) -> str:
    """A PostgreSQL array literal of integers, made in C (psycopg's list dumper walks the list in Python)."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"


def _record_outcomes(rows: list[ClaimedRow], now: datetime) -> None:
    """Store each row's outcome in a constant number of queries (bulk_update's CASE per field and row
    was half the cost of a 500-row batch); sent rows, the common case, share one UPDATE."""
    sent = [row for row in rows if row.status == Status.SENT]
    if sent:
        _record_sent([(row.id, row.fcm_message_id) for row in sent], now)
    failed = [Notification(pk=row.id, status=row.status, attempts=row.attempts, last_error=row.last_error,
                           next_attempt_at=now + retry_delay(row.attempts, row.category))
              for row in rows if row.status == Status.FAILED]
    if failed:
        Notification.objects.bulk_update(failed, ["status", "attempts", "last_error", "next_attempt_at"])
    dead = [Notification(pk=row.id, status=row.status, attempts=row.attempts, last_error=row.last_error)
            for row in rows if row.status == Status.DEAD]
    if dead:
        Notification.objects.bulk_update(dead, ["status", "attempts", "last_error"])


def _record_sent(pairs: list[tuple[int, str]], now: datetime) -> None:
    """Mark rows sent with their FCM message ids: one UPDATE ... FROM unnest() on PostgreSQL, the ORM
    elsewhere."""
    if connection.vendor != "postgresql":
        Notification.objects.filter(pk__in=[pk for pk, _ in pairs]).update(
            status=Status.SENT, attempts=F("attempts") + 1, sent_at=now, last_error=""
        )
        Notification.objects.bulk_update(
            [Notification(pk=pk, fcm_message_id=message_id) for pk, message_id in pairs], ["fcm_message_id"]
        )
        return
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        # "n.id = ANY(ids)" as well as the join: rows found by primary key. With the join alone the planner,
        # misled by statistics from before a fan-out, hashed the whole table for every batch. The pairs go
        # as one JSON parameter and the ids as an array literal: both made in C (bench/README.md).
        cursor.execute(
            f"UPDATE {table} AS n SET status = %s, attempts = n.attempts + 1, sent_at = %s, last_error = '', "  # noqa: S608
            "fcm_message_id = v.sent ->> 1 FROM jsonb_array_elements(%s::jsonb) AS v(sent) "
            "WHERE n.id = (v.sent ->> 0)::bigint AND n.id = ANY(%s::bigint[])",
            [Status.SENT, now, json.dumps(pairs, separators=(",", ":")), _bigint_array([pk for pk, _ in pairs])],
        )


def deliver_due(max_batches: int = 200, *, queue: str | None = None, now: datetime | None = None) -> DeliveryReport:
    """The sweep: send every row due at `now` (pending or failed; of `queue` if given, else of each queue,
    urgent first), batch after batch, until none is left."""
    if queue is None:
        # One queue at a time: the due index is per queue (notification_due_per_queue).
        return sum((deliver_due(max_batches, queue=each, now=now) for each in QUEUES), DeliveryReport())
    totals = DeliveryReport()
    for _ in range(max_batches):
        report = deliver_notifications(queue=queue, now=now)
        totals += report
        if report.claimed < fcm.MAX_BATCH:
            break
    return totals
