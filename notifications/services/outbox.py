"""Writing pushes: every push is an outbox row (one per device) before it is a request to FCM.

Callers (the product code) decide kind, neutral text and ids; this module knows nothing of what a
push is about. Rows are written in the caller's transaction and handed to Celery after commit.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from notifications import fcm, handoff
from notifications.models import Device, Notification
from notifications.push_categories import PushCategory
from notifications.queues import BULK_QUEUE, QUEUES, URGENT_QUEUE
from notifications.services.devices import active_devices

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Push:
    """One push to every active device of one user. Title and body must say nothing about health;
    `data` carries ids only. `dedupe_key` makes it at-most-once (the device id is appended per row); None only
    for a writer that makes it at-most-once itself (the reminder dispatch: PromptLog's unique key).
    `urgent` pushes (escalations, the care team's messages) go on the urgent queue, never behind a
    fan-out of bulk ones (notifications/queues.py)."""

    user_id: int
    kind: str
    title: str
    body: str
    dedupe_key: str | None
    data: dict[str, str] = field(default_factory=dict)
    urgent: bool = False
    # notifications.push_categories: how the phone presents it; escalation categories are retried until
    # their topic is cancelled, the others give up after MAX_ATTEMPTS or at `expires_at`.
    category: str = Notification.Category.MESSAGE
    topic: str = ""  # e.g. "escalation:42": cancel_topic stops the retries of all its rows at once
    expires_at: datetime | None = None
    device_id: int | None = None  # only this one of the user's devices (e.g. one just registered)


def queue_pushes(pushes: Iterable[Push]) -> list[int]:
    """Write the outbox rows of these pushes (those whose dedupe key is new, or that have none) and start their delivery
    after commit, each on its queue. Returns the ids of all their rows, new or already there. Constant
    queries: on PostgreSQL one statement (a fan-out writes 500 rows per call, and building Django
    model instances for them was most of the dispatcher's time), elsewhere the ORM."""
    pushes = list(pushes)
    if not pushes:
        return []
    written = _write_in_one_statement(pushes) if connection.vendor == "postgresql" else _write_with_orm(pushes)
    ids: list[int] = []
    for queue in QUEUES:
        queue_ids = [row_id for row_id, row_queue in written if row_queue == queue]
        enqueue_delivery_on_commit(queue_ids, queue=queue)
        ids += queue_ids
    return ids


def _queue_of(push: Push) -> str:
    """Urgent if the caller says so, and always for an escalation category: a push retried until its case is
    acknowledged must never wait behind a fan-out, whatever kind its caller forgot to mark."""
    return URGENT_QUEUE if push.urgent or push.category in PushCategory.ESCALATIONS else BULK_QUEUE


def _write_with_orm(pushes: list[Push]) -> list[tuple[int, str]]:
    by_user: dict[int, list[Push]] = {}
    for push in pushes:
        by_user.setdefault(push.user_id, []).append(push)
    rows = [
        Notification(
            recipient_id=user_id, device_id=device_id, kind=push.kind, title=push.title, body=push.body,
            data={"kind": push.kind, **push.data}, queue=_queue_of(push),
            dedupe_key=None if push.dedupe_key is None else f"{push.dedupe_key}:{device_id}",
            category=push.category, topic=push.topic, expires_at=push.expires_at,
        )
        for device_id, user_id in active_devices(by_user)
        for push in by_user[user_id]
        if push.device_id in (None, device_id)
    ]
    keyed = [row for row in rows if row.dedupe_key is not None]
    unkeyed = Notification.objects.bulk_create([row for row in rows if row.dedupe_key is None])
    written = [(row.pk, row.queue) for row in unkeyed]
    if keyed:
        Notification.objects.bulk_create(keyed, ignore_conflicts=True)
        keys = [row.dedupe_key for row in keyed]
        written += Notification.objects.filter(dedupe_key__in=keys).values_list("id", "queue")
    return written


@dataclass(frozen=True)
class PushContent:
    """What the pushes of one kind, language and expiry share: a fan-out's batch of 500 has one or a few."""

    kind: str
    title: str
    body: str
    queue: str = BULK_QUEUE
    category: str = Notification.Category.MESSAGE
    topic: str = ""
    expires_at: datetime | None = None


def push_writer_ctes(push_rows: str, contents: list[PushContent], now: datetime, *,
                     keyed: bool = True) -> tuple[str, list[Any]]:
    """Two common table expressions, `wanted` and `inserted`, for a statement that writes one outbox row per row
    of its relation `push_rows` and enabled device of that user, unless the row's dedupe key exists (a row without
    one is always written: its caller makes it at most once); `inserted` answers (id, queue) of the rows written.
    With their parameters, in the order they appear.

    `push_rows` has the columns (user_id bigint, content int: an index into `contents`, data jsonb: ids only,
    dedupe_prefix text: the device id is appended, NULL for none; device_id bigint: only that device of the user,
    or NULL). A caller that makes its pushes at most once itself says `keyed=False`: no row gets a key, and the
    INSERT is a plain one, without ON CONFLICT's speculative insertion and its confirmation per row (0.9 us a
    row of PostgreSQL's time: bench/README.md, "Fourteenth pass").
    A caller's statement selects its rows itself (the reminder dispatch: a batch of due patients), so they are
    never brought into Python and back; queue_pushes selects them from a JSON parameter.
    """
    notification, device = Notification._meta.db_table, Device._meta.db_table
    dedupe_key = "r.dedupe_prefix || ':' || d.id" if keyed else "NULL::text"
    on_conflict = "ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING" if keyed else ""
    sql = f"""
        wanted AS (
            SELECT d.user_id, d.id AS device_id, c.kind, c.queue, c.title, c.body,
                   jsonb_build_object('kind', c.kind) || r.data AS data,
                   {dedupe_key} AS dedupe_key, c.category, c.topic, c.expires_at
            FROM {push_rows} r
            JOIN jsonb_to_recordset(%s::jsonb)
                 AS c(number int, kind text, queue text, title text, body text, category text, topic text,
                      expires_at timestamptz) ON c.number = r.content
            JOIN {device} d ON d.user_id = r.user_id AND d.disabled_at IS NULL
                           AND (r.device_id IS NULL OR d.id = r.device_id)
        ), inserted AS (
            INSERT INTO {notification} (recipient_id, device_id, kind, queue, title, body, data, dedupe_key, status,
                                        attempts, next_attempt_at, last_error, created_at, fcm_message_id,
                                        category, topic, expires_at)
            SELECT user_id, device_id, kind, queue, title, body, data, dedupe_key, %s, 0, %s, '', %s, '',
                   category, topic, expires_at
            FROM wanted
            {on_conflict}
            RETURNING id, queue
        )"""  # noqa: S608 - table and relation names are the code's; every value is a parameter
    content_json = json.dumps([
        {"number": number, "kind": content.kind, "queue": content.queue, "title": content.title,
         "body": content.body, "category": content.category, "topic": content.topic,
         "expires_at": content.expires_at.isoformat() if content.expires_at else None}
        for number, content in enumerate(contents)
    ])
    return sql, [content_json, Notification.Status.PENDING, now, now]


def _write_in_one_statement(pushes: list[Push]) -> list[tuple[int, str]]:
    """One row per push and enabled device of its user, inserted unless its dedupe key exists; answers
    (id, queue) of the inserted rows and of those that were already there.

    The pushes travel as one JSON parameter (psycopg quotes a Python list of strings element by element
    in Python, which cost more than the whole statement; json.dumps is one C call): each distinct content
    (kind, queue, texts, category, topic, expiry) once (push_writer_ctes), and per push a compact array [user
    id, content number, data, dedupe prefix, only device]. A fan-out batch is 500 pushes of one content: sending
    the texts with every push made the JSON four times longer, and encoding, quoting and parsing it was most
    of the dispatcher's CPU (bench/README.md). Rows already there are looked up only if some wanted row was
    not inserted (a repeated dispatch): the usual batch skips 500 index probes."""
    now = timezone.now()
    contents: dict[PushContent, int] = {}
    rows = []
    for push in pushes:
        content = PushContent(kind=push.kind, title=push.title, body=push.body, queue=_queue_of(push),
                              category=push.category, topic=push.topic, expires_at=push.expires_at)
        number = contents.setdefault(content, len(contents))
        rows.append((push.user_id, number, push.data, push.dedupe_key, push.device_id))
    writer, writer_params = push_writer_ctes("push_rows", list(contents), now)
    sql = f"""
        WITH push_rows AS (
            SELECT (p.push ->> 0)::bigint AS user_id, (p.push ->> 1)::int AS content, p.push -> 2 AS data,
                   p.push ->> 3 AS dedupe_prefix, (p.push ->> 4)::bigint AS device_id
            FROM jsonb_array_elements(%s::jsonb) AS p(push)
        ), {writer}
        SELECT id, queue FROM inserted
        UNION
        SELECT n.id, n.queue FROM {Notification._meta.db_table} n JOIN wanted w ON n.dedupe_key = w.dedupe_key
        WHERE (SELECT count(*) FROM inserted) < (SELECT count(*) FROM wanted)
    """  # noqa: S608 - table names are the models'; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows, separators=(",", ":")), *writer_params])
        return [(row_id, queue) for row_id, queue in cursor.fetchall()]


def enqueue_delivery(notification_ids: list[int], *, queue: str) -> None:
    """Hand rows of one queue to Celery, 500 per task. If the broker is down, log and leave them to the
    periodic sweep."""
    # the tasks module imports the services
    from notifications.tasks import deliver_bulk_notifications, deliver_urgent_notifications

    task = deliver_urgent_notifications if queue == URGENT_QUEUE else deliver_bulk_notifications
    chunks = [notification_ids[start : start + fcm.MAX_BATCH]
              for start in range(0, len(notification_ids), fcm.MAX_BATCH)]
    handoff.hand_off(chunks, lambda ids: task.apply_async(  # bounded wait; a broker failure leaves them to the sweep
        (ids,), **_message_reprs(ids)
    ))


def _message_reprs(ids: list[int]) -> dict[str, Any]:
    """What a delivery task's message names as its arguments (monitoring, logs; Celery's argsrepr and kwargsrepr
    options, not in its type stubs): Celery would write the repr of up to 500 ids, a third of the CPU of
    publishing a fan-out's task."""
    return {"argsrepr": f"({len(ids)} notification ids)", "kwargsrepr": "{}"}


def enqueue_delivery_on_commit(notification_ids: list[int], *, queue: str) -> None:
    if notification_ids:
        transaction.on_commit(lambda: enqueue_delivery(notification_ids, queue=queue))


def cancel_topic(topic: str) -> int:
    """Stop retrying the undelivered pushes of `topic` (e.g. an acknowledged escalation); returns how many."""
    return Notification.objects.filter(
        topic=topic, status__in=(Notification.Status.PENDING, Notification.Status.FAILED)
    ).update(status=Notification.Status.CANCELLED, last_error="cancelled: no longer needed")
