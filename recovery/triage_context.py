"""Reads what triage needs to know about a patient beyond the report (recovery.triage.PatientContext)."""
from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Max

from recovery import triage
from recovery.models import CheckIn, Patient, Pump


def triage_context(patient: Patient, local_date: date) -> triage.PatientContext:
    """The pump's drug, the recovery day of `local_date`, the highest pain of each local day triage looks
    back over, and the patient's emergency number."""
    rows = (
        CheckIn.objects.filter(
            patient=patient,
            local_date__gte=local_date - timedelta(days=triage.CONTEXT_DAYS),
            local_date__lt=local_date,
        )
        .order_by()
        .values("local_date")
        .annotate(worst=Max("pain_score"))
    )
    try:
        drug = patient.pump.drug
    except Pump.DoesNotExist:
        drug = ""
    return triage.PatientContext(
        drug=drug,
        recovery_day=(local_date - patient.surgery_date).days,
        pain_by_date={row["local_date"]: row["worst"] for row in rows},
        emergency_number=patient.emergency_number,
    )
