"""What recovery tells people by push: the kinds and their lock-screen texts, written to the
notifications outbox (which knows nothing of patients or escalations)."""
from __future__ import annotations

from datetime import date

from django.db import models

from notifications.services import outbox
from recovery.models import Escalation


class PushKind(models.TextChoices):
    ESCALATION = "escalation"
    ESCALATION_PASSED_ON = "escalation_passed_on"
    TRIAGE_ADVICE = "triage_advice"
    CHECKIN_PROMPT = "checkin_prompt"
    CHECKIN_MISSING = "checkin_missing"
    REFILL_REMINDER = "refill_reminder"
    PLAN_REMINDER = "plan_reminder"


# Lock-screen text: says nothing about health. The app fetches details with its own token.
NEUTRAL_TEXT: dict[str, tuple[str, str]] = {
    PushKind.ESCALATION: ("A patient needs attention", "Open the dashboard to review."),
    PushKind.ESCALATION_PASSED_ON: ("A patient needs attention", "An alert was passed on to you. Open the dashboard."),
    PushKind.TRIAGE_ADVICE: ("New message from your care team", "Open the app to read it."),
    PushKind.CHECKIN_PROMPT: ("Time for your daily check-in", "Open the app to check in."),
    PushKind.CHECKIN_MISSING: ("Your daily check-in is waiting", "Open the app to check in."),
    PushKind.REFILL_REMINDER: ("A reminder from your care team", "Open the app for details."),
    PushKind.PLAN_REMINDER: ("A reminder from your recovery plan", "Open the app for details."),
}


def push(user_id: int, kind: str, dedupe_key: str, data: dict[str, str]) -> outbox.Push:
    title, body = NEUTRAL_TEXT[kind]
    return outbox.Push(user_id=user_id, kind=str(kind), title=title, body=body, dedupe_key=dedupe_key, data=data)


def queue_escalation_pushes(escalation: Escalation) -> list[int]:
    """The pushes announcing `escalation`: its surgeon's devices, and the patient's ("New message from
    your care team", pointing at the advice message). Delivery starts after commit.

    Called inside the report's transaction (DESIGN.md step 2).
    """
    data = {"escalation_id": str(escalation.pk)}
    pushes = [push(escalation.assigned_surgeon.user_id, PushKind.ESCALATION, f"escalation:{escalation.pk}", data)]
    if escalation.patient.user_id is not None:
        pushes.append(push(escalation.patient.user_id, PushKind.TRIAGE_ADVICE, f"triage_advice:{escalation.pk}", data))
    return outbox.queue_pushes(pushes)


def queue_pass_on_pushes(escalation: Escalation) -> list[int]:
    """Tell the surgeon an escalation was passed on to them; delivery after commit."""
    target = escalation.escalated_to
    if target is None:
        raise ValueError("only a passed-on escalation is announced")
    return outbox.queue_pushes([push(
        target.user_id, PushKind.ESCALATION_PASSED_ON, f"passed_on:{escalation.pk}:{target.pk}",
        {"escalation_id": str(escalation.pk)},
    )])


def queue_reminder_pushes(kind: str, day: date, patients: list[tuple[int, int]]) -> list[int]:
    """One reminder of `kind` for `day` to each (patient id, user id); at most once per patient and day."""
    return outbox.queue_pushes(
        push(user_id, kind, f"{kind}:{patient_id}:{day.isoformat()}",
             {"patient_id": str(patient_id), "local_date": day.isoformat()})
        for patient_id, user_id in patients
    )
