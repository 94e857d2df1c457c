"""The clinical reminder rules (check-in prompt, missing check-in, refill, binder) and the periodic
dispatcher that sends them in each patient's own zone, at most once per patient, kind and local day.

Reminders are written for people: none in the patient's night (they wait for the morning), at most
one reminder push per patient per dispatch (several due at once are combined into one), no check-in
prompt once that day's check-in is in, and each in the patient's own language.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Case, Exists, ExpressionWrapper, OuterRef, Q, Value, When
from django.utils import timezone

from notifications import fcm
from notifications.queues import BULK_QUEUE
from notifications.services import outbox
from recovery.i18n import SUPPORTED, supported_language
from recovery.models import CheckIn, Patient, PromptLog, Restriction, User
from recovery.selectors import in_force_on
from recovery.services.pushes import PushKind, queue_reminder_pushes, reminder_clock, reminder_contents

PROMPT_BATCH_SIZE = fcm.MAX_BATCH

# The missing-check-in reminder goes out at this local time if the day has no check-in yet (and the
# patient's own check-in time is earlier).
EVENING_REMINDER_AT = time(19, 0)
# While the plan's "wear_binder" restriction is in force (recovery.plan, days 0-27 when a binder is
# prescribed), one midday reminder a day. Guide: "If needed, how and when to wear an abdominal binder
# to protect your pump." The other restrictions are shown in the app, not pushed: a daily push per
# restriction would teach patients to ignore pushes.
BINDER_REMINDER_AT = time(12, 0)
# Refill reminders this many days before Pump.next_refill_date (0: on the day), at the check-in time.
# Guide: "Have your medicine refilled regularly and on time". Once a refill is recorded the date moves on,
# so the reminders of the old date stop; a missed date is raised to the care team (services.pumps).
REFILL_REMINDER_DAYS = (7, 3, 1, 0)
# Reminders to book the battery replacement surgery this many days before Pump.battery_replacement_due,
# at the check-in time (the care team sees it from 90 days on, services.pumps.BATTERY_NOTICE_DAYS).
# Guide line 167: "Because the pump is battery-operated, you will need another surgery to replace the battery."
BATTERY_REMINDER_DAYS = (90, 30, 7)


@dataclass(frozen=True)
class ReminderRule:
    """A daily reminder: when it falls due in the patient's zone and which patients it is for that day."""

    kind: str
    at: time | None  # fixed local time; None means the patient's own check-in time
    applies_on: Callable[[date], Q]


class ProbedExists(Exists):
    """EXISTS that PostgreSQL evaluates for each row of the batch, probing the index on (patient, ...).

    The planner turns a plain NOT EXISTS into an anti join and picks its kind from the statistics of the
    probed table, which know nothing of today's rows (the check-ins and prompts of the day being written):
    believing there is about one, it scanned all of today's rows for every batch of 500 patients, 785 us
    of PostgreSQL per prompt at 20,000 and growing with the square of the fan-out (bench/README.md). An
    OFFSET keeps the subquery a subplan: at most one index probe per patient, whatever the statistics.
    """

    def as_sql(self, compiler: Any, connection: Any, template: str | None = None, **extra_context: Any) -> Any:
        sql, params = super().as_sql(compiler, connection, template=template, **extra_context)
        if connection.vendor != "postgresql" or not sql.endswith("LIMIT 1)"):
            return sql, params
        return f"{sql[:-1]} OFFSET 0)", params


def _surgery_done_by(day: date) -> Q:
    """Patients whose surgery date is `day` or earlier. The daily check-in is about recovery: the guide's
    warning signs are "post-op problems" (guide line 169), and before surgery severe chronic pain is why
    the patient is getting the pump (line 48), not something to report each day."""
    return Q(surgery_date__lte=day)


def _no_checkin_on(day: date) -> Q:
    return ~Q(ProbedExists(CheckIn.objects.filter(patient=OuterRef("pk"), local_date=day)))


def _checkin_not_in(day: date) -> Q:
    return _surgery_done_by(day) & _no_checkin_on(day)


def _evening_without_checkin(day: date) -> Q:
    return Q(checkin_time__lt=EVENING_REMINDER_AT) & _checkin_not_in(day)


def _refill_soon(day: date) -> Q:
    return Q(pump__next_refill_date__in=[day + timedelta(days=n) for n in REFILL_REMINDER_DAYS])


def _battery_soon(day: date) -> Q:
    return Q(pump__battery_replacement_due__in=[day + timedelta(days=n) for n in BATTERY_REMINDER_DAYS])


def _binder_in_force(day: date) -> Q:
    return Q(Exists(
        Restriction.objects.filter(in_force_on(day), patient=OuterRef("pk"), key="wear_binder")
    ))


# Check-in prompts start on the surgery day (a patient enrolled ahead of surgery is not asked to check in
# every day of the wait). The other rules need no such condition: the binder restriction starts on the
# surgery day (recovery.plan), and the refill and battery reminders follow the dates the care team recorded
# for the pump (a next refill date cannot be before the surgery date: services.pumps).
REMINDER_RULES: tuple[ReminderRule, ...] = (
    ReminderRule(PushKind.CHECKIN_PROMPT, None, _checkin_not_in),
    ReminderRule(PushKind.CHECKIN_MISSING, EVENING_REMINDER_AT, _evening_without_checkin),
    ReminderRule(PushKind.REFILL_REMINDER, None, _refill_soon),
    ReminderRule(PushKind.PLAN_REMINDER, BINDER_REMINDER_AT, _binder_in_force),
    ReminderRule(PushKind.BATTERY_REMINDER, None, _battery_soon),
)


@dataclass(frozen=True)
class QuietHours:
    """The patient's night, in their local time: from `start` to `end` the next morning."""

    start: time
    end: time

    def contains(self, clock: time) -> bool:
        return clock >= self.start or clock < self.end

    def checkin_time_has_come(self, clock: time) -> Q:
        """Patients whose own check-in time has come by `clock`; a check-in time inside the quiet hours
        counts as the end of them (the morning)."""
        return Q(checkin_time__lte=clock) | Q(checkin_time__gte=self.start) | Q(checkin_time__lt=self.end)


def quiet_hours() -> QuietHours | None:
    if not settings.REMINDER_QUIET_START:
        return None
    return QuietHours(
        time.fromisoformat(settings.REMINDER_QUIET_START), time.fromisoformat(settings.REMINDER_QUIET_END)
    )


def _due_condition(rule: ReminderRule, day: date, clock: time, quiet: QuietHours | None) -> Q | None:
    """Who `rule` is due for at `clock` on `day` and not yet sent; None if it is not due at all yet."""
    if rule.at is not None and clock < rule.at:
        return None
    not_yet_sent = ~Q(ProbedExists(PromptLog.objects.filter(patient=OuterRef("pk"), kind=rule.kind, local_date=day)))
    condition = rule.applies_on(day) & not_yet_sent
    if rule.at is None:
        condition &= quiet.checkin_time_has_come(clock) if quiet else Q(checkin_time__lte=clock)
    return condition


@dataclass(frozen=True)
class DuePatient:
    patient_id: int
    user_id: int
    language: str
    kinds: tuple[str, ...]


def _send_batch(day: date, batch: list[DuePatient], now: datetime) -> None:
    """Record every due reminder of the batch and write one push per patient whose reminder this call recorded:
    constant queries. PromptLog's unique key makes the push at most once (a dispatch racing another, or run
    again, records nothing and pushes nothing), so the pushes need no dedupe key of their own."""
    with transaction.atomic():
        recorded = _record_prompts(day, [(due.patient_id, kind) for due in batch for kind in due.kinds], now)
        queue_reminder_pushes(day, [(due.patient_id, due.user_id, due.language, due.kinds) for due in batch
                                    if due.patient_id in recorded], now=now)


def _record_prompts(day: date, prompts: list[tuple[int, str]], now: datetime) -> set[int]:
    """PromptLog rows for (patient id, kind) on `day` unless recorded already; the patients of the rows it wrote.
    The Python path's (SQLite, `make run`): PostgreSQL writes them in the batch's one statement. SQLite takes its
    write lock at BEGIN (transaction_mode IMMEDIATE, the caller's atomic block), so no other dispatch writes
    between this read and the insert."""
    candidates = PromptLog.objects.filter(patient_id__in={patient for patient, _ in prompts}, local_date=day,
                                          kind__in={kind for _, kind in prompts})
    recorded = set(candidates.values_list("patient_id", "kind"))
    new = [(patient_id, kind) for patient_id, kind in prompts if (patient_id, kind) not in recorded]
    PromptLog.objects.bulk_create([PromptLog(patient_id=patient_id, kind=kind, local_date=day, created_at=now)
                                   for patient_id, kind in new], ignore_conflicts=True)
    return {patient_id for patient_id, _ in new}


def _dispatch_zone(
    zone_name: str, now: datetime, rules: Iterable[ReminderRule], batch_size: int, counts: dict[str, int]
) -> None:
    local = now.astimezone(ZoneInfo(zone_name))
    day, clock = local.date(), local.time()
    quiet = quiet_hours()
    if quiet is not None and quiet.contains(clock):
        return  # the patient's night: reminders wait for the morning
    conditions = {rule.kind: c for rule in rules if (c := _due_condition(rule, day, clock, quiet)) is not None}
    if not conditions:
        return
    any_due = Q()
    for condition in conditions.values():
        any_due |= condition
    due = (
        Patient.objects.filter(reminded_logins(), timezone=zone_name)
        .filter(_only_in_zone(zone_name, any_due))
        .annotate(**_due_flags(conditions))
        .order_by("pk")
    )
    fields = ["pk", "user_id", "language", *(f"due_{kind}" for kind in conditions)]
    send = (functools.partial(_send_batch_in_one_statement, day, tuple(conditions), now)
            if connection.vendor == "postgresql" else functools.partial(_send_batch_from_python, day, conditions, now))
    last_id = 0
    while True:
        sent = send(due.filter(pk__gt=last_id).values_list(*fields)[:batch_size])
        for kind, reminded in sent.reminded.items():
            counts[kind] += reminded
        if sent.patients < batch_size:
            break
        last_id = sent.last_id


def _only_in_zone(zone_name: str, condition: Q) -> Case:
    """`condition`, tested only for the patients of `zone_name`.

    A batch walks the patients in id order, every zone's mixed together, and PostgreSQL orders a WHERE's
    tests by their estimated cost. A probe of a table whose statistics say it is empty (a new clinic's
    check-ins, the morning's first prompts, the benchmark's tables) costs nothing in its eyes, so it ran the
    "checked in or prompted today" probes on every patient of the other zones before testing the zone:
    2,499 patients probed twice for a batch of 500 in five zones (bench/README.md, "Twelfth pass"). A CASE
    tests its branch only when its WHEN holds, whatever the statistics."""
    return Case(When(timezone=zone_name, then=ExpressionWrapper(condition, output_field=BooleanField())),
                default=Value(False), output_field=BooleanField())


def _due_flags(conditions: dict[str, Q]) -> dict[str, Any]:
    """One `due_<kind>` column per rule: which of the due rules each selected patient is due for. With a
    single rule every selected patient is due for it, and the column is a constant rather than the same
    probes again."""
    if len(conditions) == 1:
        return {f"due_{kind}": Value(True, output_field=BooleanField()) for kind in conditions}
    return {f"due_{kind}": ExpressionWrapper(condition, output_field=BooleanField())
            for kind, condition in conditions.items()}


@dataclass(frozen=True)
class BatchSent:
    patients: int  # in the batch
    last_id: int  # the batch's last patient id (the next batch starts after it)
    reminded: dict[str, int]  # patients reminded per kind


def _send_batch_from_python(day: date, conditions: dict[str, Q], now: datetime, rows: Any) -> BatchSent:
    """The batch's rows read into Python, then its PromptLog rows and pushes written (SQLite: `make run`)."""
    rows = list(rows)
    batch = [DuePatient(row[0], row[1], row[2], _kinds_due(conditions, row[3:])) for row in rows]
    if batch:
        _send_batch(day, batch, now)
    reminded = {kind: sum(1 for patient in batch if kind in patient.kinds) for kind in conditions}
    return BatchSent(len(rows), rows[-1][0] if rows else 0, reminded)


def _send_batch_in_one_statement(day: date, kinds: tuple[str, ...], now: datetime, rows: Any) -> BatchSent:
    """One batch of a zone's dispatch as one PostgreSQL statement: the batch of due patients selected, their
    PromptLog rows and one push per patient written (the outbox's own writer, outbox.push_writer_ctes), the new
    rows' ids answered; no patient row comes into Python. Reading the 500 rows, building a push for each and
    encoding them for the outbox's statement was most of the dispatcher's CPU, a tenth of a 100,000-patient
    fan-out's (bench/README.md, "Ninth pass"). The same rows as _send_batch_from_python writes: each
    combination of kinds and language has its content (pushes.reminder_contents)."""
    # Per batch, as queue_reminder_pushes does: a replayed past moment counts the expiry from the real now.
    contents = reminder_contents(kinds, reminder_clock(now))
    content_numbers = json.dumps([
        {"number": number, "kinds_key": combination, "language": language}
        for number, (combination, language, _content) in enumerate(contents)
    ])
    due_sql, due_params = rows.query.sql_with_params()
    flags = [f"due_{number}" for number in range(len(kinds))]
    kinds_due = ", ".join(f"CASE WHEN b.{flag} THEN %s END" for flag in flags)
    prompts = ", ".join(f"(%s, b.{flag})" for flag in flags)
    reminded = ", ".join(f"count(*) FILTER (WHERE {flag})" for flag in flags)
    writer, writer_params = outbox.push_writer_ctes(
        "push_rows", [content for _combination, _language, content in contents], timezone.now(), keyed=False)
    local_date = day.isoformat()
    sql = f"""
        WITH batch AS MATERIALIZED (
            SELECT * FROM ({due_sql}) AS due(pk, user_id, language, {", ".join(flags)})
        ), logged AS (
            INSERT INTO {PromptLog._meta.db_table} (patient_id, kind, local_date, created_at)
            SELECT b.pk, k.kind, %s, %s FROM batch b CROSS JOIN LATERAL (VALUES {prompts}) AS k(kind, due)
            WHERE k.due
            ON CONFLICT (patient_id, kind, local_date) DO NOTHING
            RETURNING patient_id
        ), push_rows AS (
            SELECT b.user_id, c.number AS content,
                   jsonb_build_object('patient_id', b.pk::text, 'local_date', %s::text) AS data,
                   NULL::text AS dedupe_prefix, NULL::bigint AS device_id
            FROM (SELECT DISTINCT patient_id FROM logged) AS l
            JOIN batch b ON b.pk = l.patient_id
            JOIN jsonb_to_recordset(%s::jsonb) AS c(number int, kinds_key text, language text)
              ON c.kinds_key = concat_ws('+', {kinds_due})
             AND c.language = CASE WHEN b.language = ANY(%s::text[]) THEN b.language ELSE %s END
        ), {writer}
        SELECT count(*), max(pk), {reminded}, (SELECT array_agg(id) FROM inserted) FROM batch
    """  # noqa: S608 - table names are the models', columns the code's; every value is a parameter
    params = [
        *due_params, day, now, *kinds, local_date, content_numbers,
        *kinds, list(SUPPORTED), supported_language(settings.LANGUAGE_CODE), *writer_params,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        patients, last_id, *reminded_counts, ids = cursor.fetchone()
        outbox.enqueue_delivery_on_commit(ids or [], queue=BULK_QUEUE)
    return BatchSent(patients, last_id or 0, dict(zip(kinds, reminded_counts, strict=True)))


def _kinds_due(conditions: dict[str, Q], flags: tuple[bool, ...]) -> tuple[str, ...]:
    return tuple(kind for kind, due_now in zip(conditions, flags, strict=True) if due_now)


def reminded_logins() -> Q:
    """Patients who activated the app and whose login is active. A deactivated login (a lost or stolen phone, a
    patient who left the programme) is not reminded at all: its devices are disabled (recovery.signals), and no
    PromptLog row says it was. The active login is probed per patient: as a join, the planner hashed every
    user and evaluated every remaining patient of the zone for each batch of 500 of the due query (17 ms
    instead of 3.5 at 20,000 patients, growing with the square of the zone)."""
    return Q(user__isnull=False) & Q(ProbedExists(User.objects.filter(pk=OuterRef("user_id"), is_active=True)))


def zones_with_patients() -> list[str]:
    """The time zones of patients who are reminded (reminded_logins): a dispatch covers each of them. Here, over
    every patient at once, as a join: the per-patient probe was twice as slow for this one."""
    return list(Patient.objects.filter(user__is_active=True).order_by().values_list("timezone", flat=True).distinct())


def dispatch_zone_reminders(
    zone_name: str, *, now: datetime, rules: Iterable[ReminderRule] = REMINDER_RULES,
    batch_size: int = PROMPT_BATCH_SIZE,
) -> dict[str, int]:
    """The reminders due at `now` for the patients of one zone (a bulk task each: a large dispatch is
    shared by the bulk worker processes). Returns patients reminded per kind."""
    rules = tuple(rules)
    counts = {str(rule.kind): 0 for rule in rules}
    _dispatch_zone(zone_name, now, rules, batch_size, counts)
    return counts


def dispatch_reminders(
    *, now: datetime | None = None, rules: Iterable[ReminderRule] = REMINDER_RULES,
    batch_size: int = PROMPT_BATCH_SIZE,
) -> dict[str, int]:
    """Send every reminder due now in each patient's own zone and not yet sent for that local date, in
    this process (`manage.py run_periodic_jobs`, tests, the benchmark; the periodic task spreads the zones
    over tasks instead). Returns patients reminded per kind.

    Zones are taken one at a time so "today" and "now" are exact (zoneinfo, DST included); a patient
    gets each kind at most once per local date because PromptLog is unique and inserted ON CONFLICT DO
    NOTHING, and at most one push per dispatch, whatever number of kinds fell due.
    """
    now = now or timezone.now()
    rules = tuple(rules)
    counts = {str(rule.kind): 0 for rule in rules}
    for zone_name in zones_with_patients():
        _dispatch_zone(zone_name, now, rules, batch_size, counts)
    return counts


def dispatch_reminder(rule: ReminderRule, *, now: datetime | None = None, batch_size: int = PROMPT_BATCH_SIZE) -> int:
    """Send one rule's reminders only (tests and the fan-out benchmark); returns patients reminded."""
    return dispatch_reminders(now=now, rules=(rule,), batch_size=batch_size)[str(rule.kind)]
