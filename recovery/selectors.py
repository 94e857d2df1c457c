"""Reads of the clinical domain, scoped to who is asking. Every surgeon-facing query starts here."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.shortcuts import get_object_or_404

from notifications.models import Notification
from recovery import access, education, plan
from recovery.compiled_query import server_prepared_cursor
from recovery.models import (
    SEVERITY,
    AcknowledgementNote,
    AuditEvent,
    CheckIn,
    Escalation,
    EscalationReport,
    IncisionCheck,
    Milestone,
    Patient,
    PatientMessage,
    Pump,
    Restriction,
    User,
    WarningReport,
)

# Reports of each kind and escalations on a care-team member's view of one patient, API and dashboard alike.
RECENT_ITEMS = 20
# Messages of the thread on a patient's page (the API's thread endpoint pages through all of them).
THREAD_ITEMS = 50


def severity_rank() -> Case:
    """SQL expression ranking triage levels, higher is more severe."""
    return Case(
        *(When(level=level, then=Value(rank)) for level, rank in SEVERITY.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


INBOX_STATES = {"open": Q(resolved_at__isnull=True), "resolved": Q(resolved_at__isnull=False), "all": Q()}
# The inbox history, newest first by a time that never changes once a case is in the list: a resolution is
# final (the first is kept), a case's creation time is fixed. A case joining the list between two fetches
# therefore lands at the top and never shifts a later page (the API's cursor pages, the dashboard history).
INBOX_HISTORY_ORDER: dict[str, tuple[str, str]] = {"resolved": ("-resolved_at", "-id"), "all": ("-created_at", "-id")}


def inbox_for(member: access.CareTeamMember, *, state: str = "open") -> QuerySet[Escalation]:
    """The care-team member's escalation cases in `state` (open, resolved or all), each with its reports oldest
    first, in the inbox order of shared/API.md: unacknowledged first, then most severe, then newest, with the
    state of their pushes (the dashboard shows it)."""
    return _inbox(member, state).annotate(**push_delivery_state())


def _inbox(member: access.CareTeamMember, state: str) -> QuerySet[Escalation]:
    # Of each report only what an inbox shows (API and dashboard alike): its triage, note and time.
    shown = [f"{kind}__{field}" for kind in ("checkin", "incision_check", "warning_report")
             for field in ("created_at", "triage_level", "triage_reasons", "note")]
    reports = (
        EscalationReport.objects.select_related("checkin", "incision_check", "warning_report")
        .only("escalation", "created_at", "checkin", "incision_check", "warning_report", *shown)
        .order_by("created_at", "id")
    )
    return (
        access.care_team_escalations(member)
        .filter(INBOX_STATES[state])
        .select_related("patient", "escalated_to", "assigned_surgeon", "acknowledged_by", "resolved_by")
        .prefetch_related(Prefetch("case_reports", queryset=reports),
                          Prefetch("acknowledgement_notes", queryset=acknowledgement_notes()))
        .annotate(
            is_open=Case(When(acknowledged_at__isnull=True, then=Value(1)), default=Value(0),
                         output_field=IntegerField()),
            severity=severity_rank(),
        )
        .order_by("-is_open", "-severity", "-created_at", "-id")
    )


def acknowledgement_notes() -> QuerySet[AcknowledgementNote]:
    """Every acknowledgement note of a case, oldest first, with its author as the API (username) and the
    dashboard (a surgeon's or nurse's display name) name them."""
    return AcknowledgementNote.objects.select_related("author__surgeon", "author__nurse").order_by("created_at", "id")


def inbox_items_for(member: access.CareTeamMember, *, state: str = "open") -> QuerySet[Escalation]:
    """inbox_for with only what an API inbox item shows (recovery.api.serializers.EscalationSerializer): the
    inbox is polled; of the five joined people it names only ids, display names and usernames, and it does not
    show the pushes' state (two subqueries per case over the outbox, most of the page query's planning)."""
    return _inbox(member, state).only(
        *(field.name for field in Escalation._meta.concrete_fields),
        "patient__display_name", "assigned_surgeon__display_name", "escalated_to__display_name",
        "acknowledged_by__username", "resolved_by__username",
    )


def inbox_version(member: access.CareTeamMember, *, state: str = "open") -> str | None:
    """A digest that changes whenever the clinical content of the member's API inbox in `state` changes: which
    cases it holds, any committed change to one of them (opened, raised, acknowledged, resolved, passed on),
    to their patients (a new name) or to the links of their reports (a report joining a case). PostgreSQL
    gives every row version the id of the transaction that wrote it (`xmin`), so every committed INSERT,
    UPDATE or DELETE of those rows, by this code, the admin, a worker or plain SQL, changes the digest: nothing
    has to remember to invalidate it. Not covered: the names of the staff on a case and a report's text edited
    in the admin (recovery.api.inbox_pages keeps a page at most INBOX_PAGE_SECONDS for those).
    None on other databases (SQLite for `make run`): no digest, no kept page; None too inside a transaction
    (ATOMIC_REQUESTS, a test's), whose own writes all carry its one transaction id."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    # Bound by the server, so kept prepared on the connection: planning it was 0.3 ms of PostgreSQL per poll.
    with server_prepared_cursor(connection) as cursor:
        cursor.execute(*_inbox_version_sql(type(member), member.pk, state))
        rows, digest = cursor.fetchone()
    return f"{rows}:{digest}"


@functools.lru_cache(maxsize=4096)
def _inbox_version_sql(kind: type[access.CareTeamMember], pk: int, state: str) -> tuple[str, tuple[Any, ...]]:
    """inbox_version's statement for one member, compiled once per process (building and compiling the
    care-team queryset was a third of a kept poll's CPU). It holds no answer: who is in the member's teams
    is read by PostgreSQL each time (recovery.access's subqueries)."""
    member = kind(pk=pk)
    cases = access.care_team_escalations(member).filter(INBOX_STATES[state]).order_by().values("pk")
    cases_sql, params = cases.query.sql_with_params()
    table = {model: connection.ops.quote_name(model._meta.db_table)
             for model in (Escalation, Patient, EscalationReport)}
    # One 64-bit hash per (case, report) row, XORed: no sort, and any changed, added or removed row changes it.
    # Only table names and the ORM's own compiled subquery go into the text; values are parameters.
    sql = f"""
        SELECT count(*), coalesce(bit_xor(hashtextextended(concat_ws(':', e.id, e.xmin, p.xmin, r.id, r.xmin), 0)), 0)
        FROM {table[Escalation]} e
        JOIN {table[Patient]} p ON p.id = e.patient_id
        LEFT JOIN {table[EscalationReport]} r ON r.escalation_id = e.id
        WHERE e.id IN ({cases_sql})
    """  # noqa: S608
    return sql, tuple(params)


def push_delivery_state() -> dict[str, Exists]:
    """Annotations of an escalation's pushes (outbox topic "escalation:<id>", recovery.services.pushes):
    `pushed_to_assigned_team` once one reached a phone of the assigned surgeon or a nurse of their team
    (access.in_care_team_of: whom the case is pushed to), `push_pending` while some are due.
    Neither: "not delivered" on the dashboard (no working device in the team; passed on at once)."""
    # `topic <> ''` as well: the topic index holds only rows with one, and the planner cannot tell that a topic
    # built from the id is never empty (notifications.models, notification_topic).
    pushes = Notification.objects.exclude(topic="").filter(
        topic=Concat(Value("escalation:"), Cast(OuterRef("pk"), output_field=CharField()))
    )
    return {
        "pushed_to_assigned_team": Exists(pushes.filter(
            access.in_care_team_of(OuterRef("assigned_surgeon"), user_field="recipient"),
            status=Notification.Status.SENT,
        )),
        "push_pending": Exists(pushes.filter(status__in=(Notification.Status.PENDING, Notification.Status.FAILED))),
    }


def unreachable_open_escalations() -> int:
    """Open escalations nobody could be pushed about (recovery.services.reachability): a count only,
    shown to every surgeon, because someone must act on them."""
    return Escalation.objects.filter(acknowledged_at__isnull=True, unreachable_at__isnull=False).count()


# --- Patient-facing reads (the caller is the patient) ---------------------------------------

def checkins_of(patient: Patient) -> QuerySet[CheckIn]:
    """The patient's own check-ins, newest first."""
    return CheckIn.objects.filter(patient=patient).order_by("-created_at", "-id")


def messages_for(patient: Patient) -> QuerySet[PatientMessage]:
    """The patient's thread, both directions (patient, care team, system), newest first."""
    return (
        PatientMessage.objects.filter(patient=patient)
        .select_related("patient", "sender__surgeon", "sender__nurse")
        .order_by("-created_at", "-id")
    )


def timeline_of(patient: Patient) -> QuerySet[Milestone]:
    """The patient's milestones in date order. From the surgery date (in the patient's zone) on, the
    preparation items nobody ticked off have lapsed and are left out, for the patient and the care team alike
    (recovery.plan.PREOP_CHECKLIST): API.md's statuses have no "missed", and "due" on day 57 would be wrong."""
    milestones = Milestone.objects.filter(patient=patient)
    if patient.local_date() >= patient.surgery_date:
        milestones = milestones.exclude(key__in=plan.PREOP_KEYS, completed_at__isnull=True)
    return milestones.order_by("due_date", "id")


def in_force_on(day: date) -> Q:
    """Restrictions in force on `day`, ends inclusive and open-ended if empty (SQL twin of Restriction.in_force_on)."""
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def restrictions_in_force(patient: Patient, day: date) -> QuerySet[Restriction]:
    """The restrictions in force on `day` (a date in the patient's zone)."""
    return Restriction.objects.filter(in_force_on(day), patient=patient).order_by("starts_on", "key")


# --- Surgeon-facing reads --------------------------------------------------------------------

def _latest_checkin(field: str) -> Subquery:
    return Subquery(
        CheckIn.objects.filter(patient=OuterRef("pk")).order_by("-created_at", "-id").values(field)[:1]
    )


def unread_messages() -> Subquery:
    """Per patient (OuterRef pk): their messages the care team has not opened yet."""
    return Subquery(
        PatientMessage.objects.filter(patient=OuterRef("pk"), kind=PatientMessage.Kind.PATIENT, read_at__isnull=True)
        .order_by().values("patient").annotate(n=Count("id")).values("n"),
        output_field=IntegerField(),
    )


def patient_summaries_for(member: access.CareTeamMember) -> QuerySet[Patient]:
    """access.care_team_patients with what the patients list shows: last check-in, open escalations
    (visible to this member) and unread messages as annotations, so a page costs the same queries for
    1 or 50 rows."""
    open_escalations = (
        access.care_team_escalations(member)
        .filter(patient=OuterRef("pk"), resolved_at__isnull=True)
        .order_by()
        .values("patient")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        access.care_team_patients(member)
        .select_related("pump", "surgeon")
        .annotate(
            last_checkin_id=_latest_checkin("id"),
            last_checkin_at=_latest_checkin("created_at"),
            last_checkin_local_date=_latest_checkin("local_date"),
            last_checkin_pain_score=_latest_checkin("pain_score"),
            last_checkin_triage_level=_latest_checkin("triage_level"),
            open_escalations_count=Coalesce(Subquery(open_escalations, output_field=IntegerField()), 0),
            unread_messages_count=Coalesce(unread_messages(), 0),
        )
        .order_by("display_name", "id")
    )


@dataclass(frozen=True)
class PatientRecord:
    """What a care-team member sees of one patient (the API's patient detail and the dashboard's page)."""

    patient: Patient  # with the annotations of patient_summaries_for
    today: date  # in the patient's zone
    timeline: list[Milestone]
    checkins: list[CheckIn]
    incision_checks: list[IncisionCheck]
    warning_reports: list[WarningReport]
    escalations: list[Escalation]  # the inbox order
    messages: list[PatientMessage]  # the thread, newest first


def patient_ids_of_logins(user_ids: list[int]) -> QuerySet[Patient, int]:
    """The patients whose logins these are (an admin page of users: whose records its audit names)."""
    return Patient.objects.filter(user_id__in=user_ids).values_list("pk", flat=True)


def has_open_case(patient: Patient) -> bool:
    """The patient has an unresolved escalation case (one at most, shared/API.md 1.1)."""
    return Escalation.objects.filter(patient=patient, resolved_at__isnull=True).exists()


def audit_events_of(patient: Patient) -> QuerySet[AuditEvent]:
    """Who read or changed the patient's records, newest first, with the names the patient page shows."""
    return AuditEvent.objects.filter(patient=patient).select_related("actor__surgeon", "actor__nurse")


def newest_first(reports: QuerySet[IncisionCheck] | QuerySet[WarningReport]) -> QuerySet:
    return reports.order_by("-created_at", "-id")


def patient_record_for(member: access.CareTeamMember, pk: int) -> PatientRecord:
    """One patient among the member's (404 otherwise) with their recent records, newest first."""
    patient = get_object_or_404(patient_summaries_for(member), pk=pk)
    return PatientRecord(
        patient=patient,
        today=patient.local_date(),
        timeline=list(timeline_of(patient)),
        checkins=list(checkins_of(patient)[:RECENT_ITEMS]),
        incision_checks=list(newest_first(IncisionCheck.objects.filter(patient=patient))[:RECENT_ITEMS]),
        warning_reports=list(newest_first(WarningReport.objects.filter(patient=patient))[:RECENT_ITEMS]),
        escalations=list(inbox_for(member, state="all").filter(patient=patient)[:RECENT_ITEMS]),
        messages=list(messages_for(patient)[:THREAD_ITEMS]),
    )


def export_records_for(member: access.CareTeamMember, pk: int) -> tuple[Patient, list[CheckIn], list[Escalation]]:
    """One patient among the surgeon's (404 otherwise) with every check-in and every escalation the
    surgeon may see, oldest first: what the FHIR export (recovery/fhir.py) carries."""
    patient = get_object_or_404(access.care_team_patients(member).select_related("pump"), pk=pk)
    checkins = list(CheckIn.objects.filter(patient=patient).order_by("created_at", "id"))
    escalations = list(access.care_team_escalations(member).filter(patient=patient).order_by("created_at", "id"))
    return patient, checkins, escalations


def trend_checkins_of(patient: Patient, limit: int = 120) -> list[CheckIn]:
    """The patient's latest check-ins, oldest first, for the dashboard's trend charts."""
    return list(reversed(checkins_of(patient)[:limit]))

def education_for(patient: Patient) -> list[dict[str, str]]:
    """The education articles for the patient today, rendered in the active (the patient's) language."""
    try:
        drug, pump_model = patient.pump.drug, patient.pump.model
    except Pump.DoesNotExist:
        drug, pump_model = "", ""
    values = {"emergency_number": emergency_number_of(patient)}
    return [
        {"key": article.key, "title": str(article.title) % values, "body": str(article.body) % values,
         "source": article.source}
        for article in education.articles_for(
            recovery_day=patient.recovery_day(), drug=drug, pump_model=pump_model,
            binder_prescribed=patient.binder_prescribed,
        )
    ]


def emergency_number_of(patient: Patient) -> str:
    """The patient's local emergency number (Patient.emergency_number: their country's, else 112)."""
    return patient.emergency_number


def patients_with_unread_messages(member: access.CareTeamMember) -> QuerySet[Patient]:
    """The member's patients who wrote something the care team has not opened yet, longest waiting first."""
    oldest_unread = Subquery(
        PatientMessage.objects.filter(patient=OuterRef("pk"), kind=PatientMessage.Kind.PATIENT, read_at__isnull=True)
        .order_by("created_at").values("created_at")[:1]
    )
    latest_body = Subquery(
        PatientMessage.objects.filter(patient=OuterRef("pk"), kind=PatientMessage.Kind.PATIENT)
        .order_by("-created_at", "-id").values("body")[:1]
    )
    return (
        access.care_team_patients(member)
        .annotate(unread_messages_count=Coalesce(unread_messages(), 0), oldest_unread_at=oldest_unread,
                  latest_message_body=latest_body)
        .filter(unread_messages_count__gt=0)
        .order_by("oldest_unread_at", "id")
    )


def with_unread_messages(escalations: QuerySet[Escalation]) -> QuerySet[Escalation]:
    """Inbox rows with their patient's unread messages (`patient_unread_messages`), in the same query."""
    unread = Subquery(
        PatientMessage.objects.filter(patient=OuterRef("patient_id"), kind=PatientMessage.Kind.PATIENT,
                                      read_at__isnull=True)
        .order_by().values("patient").annotate(n=Count("id")).values("n"),
        output_field=IntegerField(),
    )
    return escalations.annotate(patient_unread_messages=Coalesce(unread, 0))


def username_as_stored(typed: str) -> str:
    """The login name `typed` stands for: itself if a login has it, else the one login with it in another case (a
    phone keyboard's capital: activation keeps usernames unique in any case), else as typed (none, or several
    older logins that differ only in case: the login then matches exactly or not at all).

    "Another case" is Python's casefold, which the login throttle counts by (api.throttling), not only the
    database's: PostgreSQL's UPPER makes a dotless "ı" an "I" and a long "ſ" an "S", so "marıa" would log in as
    "maria" while being counted apart from it, a fresh per-username bucket of guesses for each such spelling."""
    folded = typed.casefold()
    names = [name for name in User.objects.filter(username__iexact=typed).values_list("username", flat=True)[:10]
             if name.casefold() == folded]
    return names[0] if len(names) == 1 else typed
