"""The clinical reminder rules (check-in prompt, missing check-in, refill, binder) and the periodic
dispatcher that sends them in each patient's own zone, at most once per patient, kind and local day."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from notifications import fcm
from recovery.models import CheckIn, Patient, PromptLog, Restriction
from recovery.selectors import in_force_on
from recovery.services.pushes import PushKind, queue_reminder_pushes

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
    ReminderRule(PushKind.CHECKIN_PROMPT, None, lambda day: Q()),
    ReminderRule(PushKind.CHECKIN_MISSING, EVENING_REMINDER_AT, _no_checkin_on),
    ReminderRule(PushKind.REFILL_REMINDER, None, _refill_soon),
    ReminderRule(PushKind.PLAN_REMINDER, BINDER_REMINDER_AT, _binder_in_force),
)


def _prompt_batch(kind: str, day: date, patients: list[tuple[int, int]]) -> list[int]:
    """Record the reminder for these (patient id, user id) pairs and write their pushes: constant queries."""
    with transaction.atomic():
        PromptLog.objects.bulk_create(
            [PromptLog(patient_id=patient_id, kind=kind, local_date=day) for patient_id, _ in patients],
            ignore_conflicts=True,
        )
        return queue_reminder_pushes(kind, day, patients)


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
