"""Reads of the clinical domain, scoped to who is asking. Every surgeon-facing query starts here."""
from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from recovery.models import SEVERITY, Escalation, Patient, Surgeon, TriageLevel


def patients_visible_to(surgeon: Surgeon) -> QuerySet[Patient]:
    """The surgeon's own patients and those whose escalation was passed on to them as backup."""
    return Patient.objects.filter(
        Q(surgeon=surgeon) | Q(escalations__escalated_to=surgeon)
    ).distinct()


def escalations_visible_to(surgeon: Surgeon) -> QuerySet[Escalation]:
    """Escalations assigned to the surgeon or passed on to them."""
    return Escalation.objects.filter(Q(assigned_surgeon=surgeon) | Q(escalated_to=surgeon))


def severity_rank() -> Case:
    """SQL expression ranking triage levels, higher is more severe."""
    return Case(
        *(When(level=level, then=Value(rank)) for level, rank in SEVERITY.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def inbox_for(surgeon: Surgeon) -> QuerySet[Escalation]:
    """The inbox order of shared/API.md: unacknowledged first, then most severe, then newest."""
    return (
        escalations_visible_to(surgeon)
        .select_related("patient", "escalated_to", "assigned_surgeon", "acknowledged_by")
        .annotate(
            is_open=Case(When(acknowledged_at__isnull=True, then=Value(1)), default=Value(0),
                         output_field=IntegerField()),
            severity=severity_rank(),
        )
        .order_by("-is_open", "-severity", "-created_at", "-id")
    )


__all__ = ["patients_visible_to", "escalations_visible_to", "inbox_for", "severity_rank", "TriageLevel"]
