"""What recovery tells people by push: the kinds and their lock-screen texts, written to the
notifications outbox (which knows nothing of patients or escalations)."""
from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification
from notifications.services import outbox
from recovery import access
from recovery.i18n import SUPPORTED, patient_language
from recovery.models import Escalation, PatientMessage

Category = Notification.Category


class PushKind(models.TextChoices):
    ESCALATION = "escalation"
    ESCALATION_PASSED_ON = "escalation_passed_on"
    ESCALATION_UPDATED = "escalation_updated"
    TRIAGE_ADVICE = "triage_advice"
    CHECKIN_PROMPT = "checkin_prompt"
    CHECKIN_MISSING = "checkin_missing"
    REFILL_REMINDER = "refill_reminder"
    PLAN_REMINDER = "plan_reminder"
    REMINDERS = "reminders"  # several reminders due at once, combined into one push
    BATTERY_REMINDER = "battery_reminder"
    CARE_TEAM_MESSAGE = "care_team_message"  # the care team wrote to the patient
    PATIENT_MESSAGE = "patient_message"  # a patient wrote to their care team


# Lock-screen text: says nothing about health. The app fetches details with its own token. Texts a
# patient reads are written in the patient's language; the care team's stay English.
NEUTRAL_TEXT: dict[str, tuple[str | Promise, str | Promise]] = {
    PushKind.ESCALATION: ("A patient needs attention", "Open the dashboard to review."),
    PushKind.ESCALATION_PASSED_ON: ("A patient needs attention", "An alert was passed on to you. Open the dashboard."),
    PushKind.ESCALATION_UPDATED: ("An alert you took has news", "Open the dashboard to review."),
    PushKind.TRIAGE_ADVICE: (_("New message from your care team"), _("Open the app to read it.")),
    PushKind.CHECKIN_PROMPT: (_("Time for your daily check-in"), _("Open the app to check in.")),
    PushKind.CHECKIN_MISSING: (_("Your daily check-in is waiting"), _("Open the app to check in.")),
    PushKind.REFILL_REMINDER: (_("A reminder from your care team"), _("Open the app for details.")),
    PushKind.PLAN_REMINDER: (_("A reminder from your recovery plan"), _("Open the app for details.")),
    PushKind.REMINDERS: (_("Reminders from your recovery plan"), _("Open the app for details.")),
    PushKind.BATTERY_REMINDER: (_("A reminder from your care team"), _("Open the app for details.")),
    PushKind.CARE_TEAM_MESSAGE: (_("New message from your care team"), _("Open the app to read it.")),
    PushKind.PATIENT_MESSAGE: ("A patient sent a message", "Open the dashboard to read it."),
}


# The scheduled prompts and reminders travel on the bulk queue; every other push (escalations and news of
# them, triage advice, messages between the care team and a patient) on the urgent queue, never behind a
# fan-out of reminders (notifications/queues.py). Named by what is bulk, so a new kind is urgent unless
# said otherwise (escalation_updated, left out of a list of urgent kinds, waited behind the fan-out).
BULK_KINDS = frozenset({PushKind.CHECKIN_PROMPT, PushKind.CHECKIN_MISSING, PushKind.REFILL_REMINDER,
                        PushKind.PLAN_REMINDER, PushKind.REMINDERS, PushKind.BATTERY_REMINDER})
URGENT_KINDS = frozenset(PushKind) - BULK_KINDS

# How long a reminder is worth showing; after that neither FCM nor the outbox delivers it.
REMINDER_TTL: dict[str, timedelta] = {
    PushKind.CHECKIN_PROMPT: timedelta(hours=12),
    PushKind.CHECKIN_MISSING: timedelta(hours=5),  # 19:00 until the day is over
    PushKind.PLAN_REMINDER: timedelta(hours=8),
    PushKind.REFILL_REMINDER: timedelta(hours=24),
}
DEFAULT_REMINDER_TTL = timedelta(hours=12)


def escalation_topic(escalation_id: int) -> str:
    """The outbox topic of an escalation's pushes to the care team: cancelled together when it closes."""
    return f"escalation:{escalation_id}"


def push(user_id: int, kind: str, dedupe_key: str | None, data: dict[str, str], language: str = "en",
         **presentation: object) -> outbox.Push:
    """One push of `kind`, its neutral text written in `language`, on the urgent queue if the care team's;
    `presentation`: category, topic, expires_at, device_id (notifications.services.outbox.Push)."""
    title, body = neutral_text(kind, language)
    return outbox.Push(
        user_id=user_id, kind=str(kind), title=title, body=body, dedupe_key=dedupe_key, data=data,
        urgent=kind in URGENT_KINDS,
        **presentation,  # type: ignore[arg-type]
    )


@functools.cache
def neutral_text(kind: str, language: str) -> tuple[str, str]:
    """The (title, body) of `kind` in `language`, translated once per process: switching the active
    language for every push was a third of the dispatcher's CPU in a 100,000-patient fan-out."""
    title, body = NEUTRAL_TEXT[kind]
    with patient_language(language):
        return str(title), str(body)


def to_care_team(escalation: Escalation, user_id: int, kind: str, dedupe_key: str,
                 device_id: int | None = None) -> outbox.Push:
    """A push about `escalation` to one member of the care team: its level's category, retried until the
    escalation is acknowledged."""
    return push(user_id, kind, dedupe_key, {"escalation_id": str(escalation.pk)}, category=escalation.level,
                topic=escalation_topic(escalation.pk), device_id=device_id)


def queue_escalation_pushes(escalation: Escalation) -> list[int]:
    """The pushes announcing `escalation`: its surgeon's and their team's nurses' devices, and the patient's
    ("New message from your care team", pointing at the advice message). Delivery starts after commit.

    Called inside the report's transaction (DESIGN.md step 2).
    """
    data = {"escalation_id": str(escalation.pk)}
    pushes = [to_care_team(escalation, user_id, PushKind.ESCALATION, f"escalation:{escalation.pk}")
              for user_id in access.care_team_user_ids(escalation.assigned_surgeon)]
    if escalation.patient.user_id is not None:
        pushes.append(push(escalation.patient.user_id, PushKind.TRIAGE_ADVICE, f"triage_advice:{escalation.pk}", data,
                           escalation.patient.text_language))
    return outbox.queue_pushes(pushes)


def queue_case_raised_pushes(case: Escalation, *, also_user_ids: Iterable[int | None] = ()) -> list[int]:
    """Re-alert at once when a case's level rises: the assigned surgeon's team, the team it was passed on
    to and whoever had acknowledged it (`also_user_ids`); and the patient (new advice). Once per level."""
    data = {"escalation_id": str(case.pk)}
    clinicians = {*access.care_team_user_ids(case.assigned_surgeon), *(uid for uid in also_user_ids if uid is not None)}
    if case.escalated_to is not None:
        clinicians.update(access.care_team_user_ids(case.escalated_to))
    batch = [to_care_team(case, uid, PushKind.ESCALATION, f"escalation:{case.pk}:{case.level}")
             for uid in sorted(clinicians)]
    if case.patient.user_id is not None and case.patient.user_id not in clinicians:
        batch.append(push(case.patient.user_id, PushKind.TRIAGE_ADVICE, f"triage_advice:{case.pk}:{case.level}", data,
                          case.patient.text_language))
    return outbox.queue_pushes(batch)


def queue_patient_advice_push(case: Escalation, dedupe_key: str) -> list[int]:
    """Tell the patient a new advice message about `case` is waiting when raising the case pushed them nothing
    (a periodic job's message on a case it joined without a rise); at most once per `dedupe_key`."""
    if case.patient.user_id is None:
        return []
    return outbox.queue_pushes([push(case.patient.user_id, PushKind.TRIAGE_ADVICE, dedupe_key,
                                     {"escalation_id": str(case.pk)}, case.patient.text_language)])


def queue_case_report_added_push(case: Escalation) -> list[int]:
    """Tell whoever acknowledged a case that a report joined it: one push per acknowledgement, however
    many reports follow (no flood)."""
    if case.acknowledged_by_id is None or case.acknowledged_at is None:
        return []
    epoch = int(case.acknowledged_at.timestamp() * 1000)
    return outbox.queue_pushes([to_care_team(
        case, case.acknowledged_by_id, PushKind.ESCALATION_UPDATED, f"case_report_added:{case.pk}:{epoch}",
    )])


def queue_pass_on_pushes(escalation: Escalation) -> list[int]:
    """Tell the surgeon an escalation was passed on to them, and their team's nurses; delivery after commit."""
    target = escalation.escalated_to
    if target is None:
        raise ValueError("only a passed-on escalation is announced")
    return outbox.queue_pushes([
        to_care_team(escalation, user_id, PushKind.ESCALATION_PASSED_ON, f"passed_on:{escalation.pk}:{target.pk}")
        for user_id in access.care_team_user_ids(target)
    ])


def queue_message_pushes(message: PatientMessage) -> list[int]:
    """Announce a message to the other side of the thread: a care-team message to the patient's devices,
    a patient's message to their surgeon and the team's nurses. Neutral text; the id is all the app needs."""
    data = {"message_id": str(message.pk), "patient_id": str(message.patient_id)}
    if message.kind == PatientMessage.Kind.PATIENT:
        return outbox.queue_pushes(
            push(user_id, PushKind.PATIENT_MESSAGE, f"patient_message:{message.pk}", data)
            for user_id in access.care_team_user_ids(message.patient.surgeon)
        )
    if message.patient.user_id is None:
        return []
    return outbox.queue_pushes([
        push(message.patient.user_id, PushKind.CARE_TEAM_MESSAGE, f"care_team_message:{message.pk}", data,
             message.patient.text_language)
    ])


def queue_reminder_pushes(day: date, due: Iterable[tuple[int, int, str, tuple[str, ...]]],
                          *, now: datetime | None = None) -> list[int]:
    """One push per (patient id, user id, language, kinds due) for `day`: the kind's own text, or the
    combined one when several reminders fell due at once. Without a dedupe key: the caller writes them for
    the reminders it has just recorded in PromptLog, whose unique key makes them at most once per patient, kind
    and day (a key per push cost the outbox two unique index entries each: notifications 0013).
    Each expires with the shortest REMINDER_TTL of its kinds, counted from the dispatch moment `now`, or
    from the real now when an operator replays a missed run for a past moment (it is still sent then).
    (On PostgreSQL the dispatch writes the same pushes in its own statement: reminder_contents.)"""
    now = reminder_clock(now)
    local_date = day.isoformat()
    expiry: dict[tuple[str, ...], datetime] = {}  # per combination of kinds: a fan-out has one or two
    pushes = []
    for patient_id, user_id, language, kinds in due:
        if kinds not in expiry:
            expiry[kinds] = _reminder_expiry(kinds, now)
        pushes.append(push(user_id, _reminder_kind(kinds), None,
                           {"patient_id": str(patient_id), "local_date": local_date}, language,
                           category=Category.REMINDER, expires_at=expiry[kinds]))
    return outbox.queue_pushes(pushes)


def reminder_clock(now: datetime | None) -> datetime:
    """The moment a reminder's expiry counts from: the dispatch's, or the real now if that is later."""
    return max(now, timezone.now()) if now is not None else timezone.now()


def _reminder_kind(kinds: Sequence[str]) -> str:
    return kinds[0] if len(kinds) == 1 else PushKind.REMINDERS


def _reminder_expiry(kinds: Sequence[str], now: datetime) -> datetime:
    return now + min(REMINDER_TTL.get(kind, DEFAULT_REMINDER_TTL) for kind in kinds)


def reminder_contents(kinds: Sequence[str], now: datetime) -> list[tuple[str, str, outbox.PushContent]]:
    """Every reminder push a dispatch of `kinds` can write, as queue_reminder_pushes writes it: for each
    combination of them due at once (in this order, joined by "+") and each language a patient's texts are
    written in, (combination, language, content)."""
    contents = []
    for size in range(1, len(kinds) + 1):
        for combination in itertools.combinations(kinds, size):
            kind, expires_at = _reminder_kind(combination), _reminder_expiry(combination, now)
            for language in SUPPORTED:
                title, body = neutral_text(kind, language)
                contents.append(("+".join(combination), language, outbox.PushContent(
                    kind=str(kind), title=title, body=body, category=Category.REMINDER, expires_at=expires_at)))
    return contents
