"""Reads what triage needs to know about a patient beyond the report (recovery.triage.PatientContext)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import connection

from recovery import triage
from recovery.compiled_query import server_prepared_cursor
from recovery.models import CheckIn, IncisionCheck, Patient, Pump, WarningReport


def triage_context(patient: Patient, local_date: date, now: datetime, report: triage.Report) -> triage.PatientContext:
    """The pump's drug, the recovery day of `local_date`, the highest pain of each local day triage looks
    back over, the signs of the reports of the last triage.RECENT_HOURS (only when `report` shows a sign
    a combination reads), and the emergency number."""
    try:
        drug = patient.pump.drug
    except Pump.DoesNotExist:
        drug = ""
    return triage.PatientContext(
        drug=drug,
        recovery_day=(local_date - patient.surgery_date).days,
        pain_by_date=worst_pain_by_date(patient, since=local_date - timedelta(days=triage.CONTEXT_DAYS),
                                        until=local_date),
        recent_signs=recent_signs(patient, now) if triage.reads_recent_signs(report) else frozenset(),
        emergency_number=patient.emergency_number,
    )


def worst_pain_by_date(patient: Patient, *, since: date, until: date) -> dict[date, int]:
    """The highest pain score of each local day of the patient's check-ins from `since` up to (not
    including) `until`. Plain SQL on the (patient, local_date) index: it runs in every check-in POST, and
    building the same statement through the ORM cost more CPU than running it (PostgreSQL's planning of it
    too: it is kept prepared)."""
    table = connection.ops.quote_name(CheckIn._meta.db_table)
    with server_prepared_cursor(connection) as cursor:
        cursor.execute(f"SELECT local_date, max(pain_score) FROM {table} "  # noqa: S608  # no input in the text
                       "WHERE patient_id = %s AND local_date >= %s AND local_date < %s GROUP BY local_date",
                       [patient.pk, since, until])
        return {day if isinstance(day, date) else date.fromisoformat(day): worst for day, worst in cursor.fetchall()}


def recent_signs(patient: Patient, now: datetime) -> frozenset[str]:
    """What the patient's reports of the last triage.RECENT_HOURS showed (three small indexed queries)."""
    since = now - timedelta(hours=triage.RECENT_HOURS)
    window = {"patient": patient, "created_at__gte": since, "created_at__lte": now}
    reports = [
        triage.Report(symptoms=tuple(symptoms), temperature=temperature, temperature_unit=unit)
        for symptoms, temperature, unit in CheckIn.objects.filter(**window).values_list(
            "symptoms", "temperature", "temperature_unit")
    ]
    reports += [
        triage.Report(symptoms=tuple(symptoms))
        for symptoms in WarningReport.objects.filter(**window).values_list("symptoms", flat=True)
    ]
    reports += [
        triage.Report(symptoms=triage.incision_symptoms(pain=p, redness=r, bleeding=b, drainage=d, swelling=s))
        for p, r, b, d, s in IncisionCheck.objects.filter(**window).values_list(
            "pain", "redness", "bleeding", "drainage", "swelling")
    ]
    return frozenset().union(*(triage.reported_signs(report) for report in reports))
