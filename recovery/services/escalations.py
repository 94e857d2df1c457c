"""Escalations: opened by triage, acknowledged by the care team, passed on when nobody does."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.services import outbox
from recovery import triage
from recovery.i18n import patient_language
from recovery.models import (
    SEVERITY,
    AcknowledgementNote,
    AuditEvent,
    CheckIn,
    Escalation,
    EscalationReport,
    IncisionCheck,
    Patient,
    PatientMessage,
    Surgeon,
    TriageLevel,
    WarningReport,
)
from recovery.services import audit, pushes, reachability

logger = logging.getLogger(__name__)

# The report foreign key (of Escalation and EscalationReport) that points at each kind of report.
ESCALATION_SOURCE_FIELD: dict[type[models.Model], str] = {
    CheckIn: "checkin",
    IncisionCheck: "incision_check",
    WarningReport: "warning_report",
}
TRIAGE_MESSAGE_TITLE = _("About the report you just sent")
# An acknowledgement note repeated word for word by its writer within this long is the same request sent again
# (_is_retried_note); later, it is a new note. Retries come within seconds; a second call takes longer.
NOTE_RETRY_WINDOW = timedelta(minutes=2)


def open_escalation(record: CheckIn | IncisionCheck | WarningReport, result: triage.TriageResult,
                    now: datetime) -> Escalation:
    """Open the patient's escalation case or join the open one with this phone report (shared/API.md
    1.1), store the advice message, and write the pushes. Called inside the report's transaction."""
    case = raise_case(record.patient, result.level, result.reasons, now, record=record)
    _advice_message(record, result, case, now)
    return case


def raise_case(patient: Patient, level: str, reasons: Iterable[str], now: datetime, *,
               record: CheckIn | IncisionCheck | WarningReport | None = None,
               patient_advice_key: str = "") -> Escalation:
    """Open the patient's case at `level`, or join the open one, and write the pushes; `record` (a phone
    report) becomes one of its reports. A periodic job (the refill safety net) raises without a report.
    The caller writes the patient's message, inside its transaction; opening or raising the case pushes the
    patient about it, and joining without a rise does too when the caller gives `patient_advice_key` (the
    dedupe key of that push: a job's message has no phone answer to carry it).

    One open case per patient: the patient row is locked FOR NO KEY UPDATE (which does not wait for the
    key-share lock the report insert holds), so concurrent reports of one patient queue up here and
    find the case the first one opened; the partial unique constraint one_open_escalation_case_per_patient
    is the backstop. The level only rises; a rise re-alerts at once with the new level's deadline, and the
    case must be acknowledged again. A report joining an acknowledged case without a rise tells the
    person who acknowledged it, once per acknowledgement. Reports keep their own triage.
    """
    reasons = list(reasons)
    field = ESCALATION_SOURCE_FIELD[type(record)] if record is not None else ""
    Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).values_list("pk", flat=True).first()
    case = Escalation.objects.select_for_update().filter(patient=patient, resolved_at__isnull=True).first()
    if case is None:
        case = Escalation.objects.create(
            patient=patient, level=level, reasons=reasons, assigned_surgeon=patient.surgeon,
            created_at=now, updated_at=now, ack_due_at=now + settings.ESCALATION_ACK_DEADLINES[level],
            **({field: record} if record is not None else {}),
        )
        if record is not None:
            EscalationReport.objects.create(escalation=case, created_at=record.created_at, **{field: record})
        pushes.queue_escalation_pushes(case)
        reachability.ensure_reachable(case, now=now)
        return case

    if record is not None:
        EscalationReport.objects.create(escalation=case, created_at=record.created_at, **{field: record})
    rises = SEVERITY[TriageLevel(level)] > SEVERITY[TriageLevel(case.level)]
    acknowledger_id, was_acknowledged = case.acknowledged_by_id, case.acknowledged_at is not None
    if rises:
        case.level = level
        case.reasons = list(dict.fromkeys([*reasons, *case.reasons]))
        case.ack_due_at = now + settings.ESCALATION_ACK_DEADLINES[level]
        case.acknowledged_at, case.acknowledged_by = None, None  # to be taken again at the new level
    else:
        case.reasons = list(dict.fromkeys([*case.reasons, *reasons]))
    case.updated_at = now
    case.save(update_fields=["level", "reasons", "ack_due_at", "acknowledged_at", "acknowledged_by", "updated_at"])
    if rises:
        pushes.queue_case_raised_pushes(case, also_user_ids=[acknowledger_id])
        reachability.ensure_reachable(case, now=now)
    elif was_acknowledged:
        pushes.queue_case_report_added_push(case)
    if not rises and patient_advice_key:
        pushes.queue_patient_advice_push(case, patient_advice_key)
    return case


def resolve_raised_by_job(escalation: Escalation, *, by: Any, now: datetime, note: str) -> bool:
    """Resolve a case a periodic job raised once what it was about is done (a refill recorded), unless a
    phone report joined it: that one waits for a clinician. True if it was resolved; audited as a resolution
    by `by` when staff did what closed it (it is resolved in their name)."""
    with transaction.atomic():
        case = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if case.resolved_at is not None or case.case_reports.exists():
            return False
        if case.acknowledged_at is None:
            case.acknowledged_at, case.acknowledged_by = now, by
        case.resolved_at, case.resolved_by, case.updated_at = now, by, now
        case.outcome, case.resolution_note = Escalation.Outcome.NO_ACTION_NEEDED, note
        case.save(update_fields=["acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "outcome",
                                 "resolution_note", "updated_at"])
        outbox.cancel_topic(pushes.escalation_topic(case.pk))
        if by is not None:
            audit.record(actor=by, action=AuditEvent.Action.RESOLVE, patient=case.patient, obj=case)
    return True


def _advice_message(record: CheckIn | IncisionCheck | WarningReport, result: triage.TriageResult,
                    case: Escalation, now: datetime) -> None:
    with patient_language(record.patient.text_language):
        title = str(TRIAGE_MESSAGE_TITLE)
    PatientMessage.objects.create(
        patient=record.patient, kind=PatientMessage.Kind.TRIAGE_ADVICE, title=title,
        body=result.advice, escalation=case, created_at=now,
    )


class CaseChangedSinceSeen(Exception):
    """A clinician acknowledged or resolved a case from a view older than what it now holds: a report (perhaps
    an emergency) joined it, or the refill safety net added a reason (raising it, perhaps, to an emergency)
    without a report. Nothing was changed; the API answers 409 naming `field`, the marker that told."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{message}: look at it first; nothing was changed.")


def _check_seen(case: Escalation, reports_seen: int | None, reasons_seen: list[str] | None) -> None:
    """Refuse when the case holds more reports, or reasons, than the clinician was shown. Called with the case
    row locked, so nothing can join between this check and the write (raise_case locks the same row to join)."""
    if reports_seen is not None:
        reports = EscalationReport.objects.filter(escalation_id=case.pk).count()
        if reports > reports_seen:
            raise CaseChangedSinceSeen("reports_seen", (
                f"A new report joined this case since it was shown to you (you saw {reports_seen} "
                f"report{'s' if reports_seen != 1 else ''}, it now has {reports})"))
    if reasons_seen is not None:
        seen = set(reasons_seen)
        new = [reason for reason in case.reasons if reason not in seen]
        if new:
            raise CaseChangedSinceSeen("reasons_seen", (
                f"This case has a reason it did not have when it was shown to you ({', '.join(new)}; now at level "
                f"{case.level})"))


def acknowledge_escalation(escalation: Escalation, user: Any, *, note: str = "", reports_seen: int | None = None,
                           reasons_seen: list[str] | None = None, open_only: bool = False) -> Escalation:
    """Mark a case seen, audited. Idempotent: the first acknowledgement is the one kept. Every note given is
    kept with who wrote it and when (AcknowledgementNote), after the earlier ones; the same acknowledgement
    retried (a double click, a phone's retry: the person's latest note on the case again within
    NOTE_RETRY_WINDOW) stores it once.
    `reports_seen` and `reasons_seen`, the number of the case's reports and the reasons the clinician was shown,
    if given: CaseChangedSinceSeen, and nothing changed, when more have joined since. `open_only` (a page that
    offered the case as open): ResolvedBeforeAcknowledged, and nothing changed, when it was resolved meanwhile."""
    text = note.strip()
    with transaction.atomic():
        case = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if open_only and case.resolved_at is not None:  # under the lock: no resolve can slip in after this check
            raise ResolvedBeforeAcknowledged(case)
        now = timezone.now()  # under the case's lock: notes written in turn get their times in the same order
        _check_seen(case, reports_seen, reasons_seen)
        if Escalation.objects.filter(pk=escalation.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=user, updated_at=now
        ):
            outbox.cancel_topic(pushes.escalation_topic(escalation.pk))  # its undelivered pushes stop
        if text and not _is_retried_note(case, user, text, now):  # the case's row lock orders notes of one case
            AcknowledgementNote.objects.create(escalation=case, author=user, text=text, created_at=now)
            # The case's row changes too: the inbox's kept pages are keyed on it (selectors.inbox_version).
            Escalation.objects.filter(pk=escalation.pk).update(updated_at=now)
        escalation.refresh_from_db()
        audit.record(actor=user, action=AuditEvent.Action.ACKNOWLEDGE, patient=escalation.patient, obj=escalation)
    return escalation


def _is_retried_note(case: Escalation, user: Any, text: str, now: datetime) -> bool:
    """The person's latest note on the case is this one, written within NOTE_RETRY_WINDOW: a retry of the
    acknowledgement that stored it (a double click, a phone's retry). The same words later are a note of their
    own: "called again, no answer" an hour after the first call is what the care team needs to see twice."""
    latest = case.acknowledgement_notes.filter(author=user).order_by("-created_at", "-id").values_list(
        "text", "created_at").first()
    return latest is not None and latest[0] == text and now - latest[1] < NOTE_RETRY_WINDOW


class AlreadyResolved(Exception):
    """A resolve of a case that is already resolved, with another outcome or note, or by someone else than who
    resolved it: nothing was stored (the first resolution stands and there is no editing one), and the clinician
    must be told whose resolution stands rather than be answered as if theirs was kept. The API answers 409."""

    def __init__(self, case: Escalation) -> None:
        self.case = case
        super().__init__(f"This case was already {resolution_of(case)}; your outcome and note were not stored.")


def resolution_of(case: Escalation) -> str:
    """The resolution that stands, in words: 'resolved by Dr. Ada on 2026-11-25 07:56 EST (Called the patient:
    “Spoke to her”)'."""
    outcome = case.get_outcome_display() or "no outcome"
    note = f": “{case.resolution_note}”" if case.resolution_note else ""
    by = f"by {case.resolved_by.shown_name}" if case.resolved_by is not None else "with no person named"
    at = timezone.localtime(case.resolved_at) if case.resolved_at is not None else None
    when = f" on {at:%Y-%m-%d %H:%M} {at.tzname()}" if at is not None else ""
    return f"resolved {by}{when} ({outcome}{note})"


class ResolvedBeforeAcknowledged(Exception):
    """An acknowledgement or a note from a page drawn while the case was open, sent after someone resolved it:
    nothing was changed or audited (a note is not added to a closed case, where no open inbox shows it), and the
    clinician must be told whose resolution stands rather than be answered as if theirs was kept."""

    def __init__(self, case: Escalation) -> None:
        self.case = case
        super().__init__(resolution_of(case))


def _is_retried_resolution(case: Escalation, user: Any, outcome: str, note: str) -> bool:
    """The stored resolution is this one, by this person: a retry (a phone's, a double click) of the resolve
    that stored it. Someone else sending the same words did not resolve it, so theirs is not a retry."""
    return (case.resolved_by_id, case.outcome, case.resolution_note) == (getattr(user, "pk", None), outcome, note)


def resolve_escalation(escalation: Escalation, user: Any, *, outcome: str, note: str = "",
                       reports_seen: int | None = None, reasons_seen: list[str] | None = None) -> Escalation:
    """Close a case with what was done (acknowledging it if nobody had), audited. The patient's next escalating
    report opens a new case. A resolution once stored is never changed: the same resolve retried by the person who
    resolved it answers as the first did and stores nothing new; any other resolve of a resolved case (another
    outcome or note, or someone else) raises AlreadyResolved, stores nothing and audits nothing, so nobody is told
    their words were kept when they were not. `reports_seen` and `reasons_seen`, the number of the case's reports
    and the reasons the clinician was shown, if given: CaseChangedSinceSeen, and nothing changed, when more have
    joined an open case since (a report or a missed-refill alarm that raised the case to an emergency must not be
    closed unseen)."""
    now = timezone.now()
    text = note.strip()
    with transaction.atomic():
        case = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if case.resolved_at is not None:
            # Checked before what was seen: who resolved it is what a late resolver needs to hear.
            if not _is_retried_resolution(case, user, outcome, text):
                raise AlreadyResolved(case)
        else:
            _check_seen(case, reports_seen, reasons_seen)
            if case.acknowledged_at is None:
                case.acknowledged_at, case.acknowledged_by = now, user
            case.resolved_at, case.resolved_by = now, user
            case.outcome, case.resolution_note, case.updated_at = outcome, text, now
            case.save(update_fields=["acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "outcome",
                                     "resolution_note", "updated_at"])
            outbox.cancel_topic(pushes.escalation_topic(case.pk))
        escalation.refresh_from_db()
        audit.record(actor=user, action=AuditEvent.Action.RESOLVE, patient=escalation.patient, obj=escalation)
    return escalation


def pass_on_target(escalation: Escalation, on_call: list[Surgeon]) -> Surgeon | None:
    """Who an unacknowledged escalation goes to: the assignee's backup, else the first on-call
    surgeon (settings.ON_CALL_SURGEONS order) who is not the assignee."""
    assignee = escalation.assigned_surgeon
    if assignee.backup_id is not None:
        return assignee.backup
    return next((surgeon for surgeon in on_call if surgeon.pk != assignee.pk), None)


def pass_on_overdue_escalations(*, limit: int = 100, now: datetime | None = None) -> list[Escalation]:
    """Pass escalations nobody acknowledged by `ack_due_at` on to a backup or on-call surgeon, once.

    Rows are locked SKIP LOCKED so two runs never pass one escalation on twice. After the pass-on the
    escalation stays open in both surgeons' inboxes and is not passed on again: the patient has
    already been told to call 911 (emergency) or that the team was alerted (urgent).
    """
    now = now or timezone.now()
    by_username = {
        surgeon.user.username: surgeon
        for surgeon in Surgeon.objects.filter(user__username__in=settings.ON_CALL_SURGEONS).select_related("user")
    }
    on_call = [by_username[name] for name in settings.ON_CALL_SURGEONS if name in by_username]
    overdue = Escalation.objects.filter(
        resolved_at__isnull=True, acknowledged_at__isnull=True, escalated_to__isnull=True, ack_due_at__lte=now
    )
    # Only escalations someone can take are fetched, so those nobody can take never fill the batch
    # and hold back the ones behind them (the same rule as pass_on_target, in SQL).
    passable = Q(assigned_surgeon__backup__isnull=False)
    if len(on_call) > 1:
        passable = Q()
    elif on_call:
        passable |= ~Q(assigned_surgeon=on_call[0])
    stranded = overdue.exclude(passable).count()
    if stranded:
        logger.warning("%s overdue escalation(s) have no backup or on-call surgeon to pass them on to", stranded)
    passed_on = []
    with transaction.atomic():
        batch = (
            overdue.filter(passable)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("assigned_surgeon__backup", "patient")
            .order_by("ack_due_at", "id")[:limit]
        )
        for escalation in batch:
            target = pass_on_target(escalation, on_call)
            if target is None:  # cannot happen while `passable` mirrors pass_on_target
                continue
            escalation.escalated_to, escalation.escalated_at = target, now
            escalation.save(update_fields=["escalated_to", "escalated_at"])
            pushes.queue_pass_on_pushes(escalation)
            passed_on.append(escalation)
    return passed_on
