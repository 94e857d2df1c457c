"""Reads of the clinical domain, scoped to who is asking. Every surgeon-facing query starts here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
from recovery import access, education
from recovery.models import (
    SEVERITY,
    CheckIn,
    Escalation,
    EscalationReport,
    IncisionCheck,
    Milestone,
    Patient,
    PatientMessage,
    Pump,
    Restriction,
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
    first, in the inbox order of shared/API.md: unacknowledged first, then most severe, then newest."""
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
        .prefetch_related(Prefetch("case_reports", queryset=reports))
        .annotate(
            is_open=Case(When(acknowledged_at__isnull=True, then=Value(1)), default=Value(0),
                         output_field=IntegerField()),
            severity=severity_rank(),
            **push_delivery_state(),
        )
        .order_by("-is_open", "-severity", "-created_at", "-id")
    )


def inbox_items_for(member: access.CareTeamMember, *, state: str = "open") -> QuerySet[Escalation]:
    """inbox_for with only the columns an API inbox item shows (recovery.api.serializers.EscalationSerializer):
    the inbox is polled, and of the five joined people it names only ids, display names and usernames."""
    return inbox_for(member, state=state).only(
        *(field.name for field in Escalation._meta.concrete_fields),
        "patient__display_name", "assigned_surgeon__display_name", "escalated_to__display_name",
        "acknowledged_by__username", "resolved_by__username",
    )


def push_delivery_state() -> dict[str, Exists]:
    """Annotations of an escalation's pushes (outbox topic "escalation:<id>", recovery.services.pushes):
    `pushed_to_assigned_team` once one reached a phone of the assigned surgeon or a nurse of their team
    (access.in_care_team_of: whom the case is pushed to), `push_pending` while some are due.
    Neither: "not delivered" on the dashboard (no working device in the team; passed on at once)."""
    pushes = Notification.objects.filter(
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
    """The patient's milestones in date order."""
    return Milestone.objects.filter(patient=patient).order_by("due_date", "id")


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
