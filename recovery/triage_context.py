"""Reads what triage needs to know about a patient beyond the report (recovery.triage.PatientContext)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import connection

from recovery import triage
from recovery.compiled_query import server_prepared_cursor
from recovery.models import CheckIn, IncisionCheck, Patient, Pump, RefillAlert, WarningReport


def triage_context(patient: Patient, local_date: date, now: datetime, report: triage.Report) -> triage.PatientContext:
    """The pump's drug, the recovery day of `local_date`, the highest pain of each local day since surgery triage
    looks back over (only when `report`'s pain could make a streak), the signs of the reports of the last
    triage.RECENT_HOURS (only when `report` shows a sign a combination reads), whether a refill was missed, and
    the emergency number."""
    try:
        pump: Pump | None = patient.pump  # loaded with the patient on the API path (bearer authentication)
    except Pump.DoesNotExist:
        pump = None
    drug = pump.drug if pump is not None else ""
    return triage.PatientContext(
        drug=drug,
        recovery_day=(local_date - patient.surgery_date).days,
        # From the surgery date only: pain before it is the chronic pain the pump is for, not a post-operative
        # streak (a patient at 8 before surgery and on its day is not three days running of a problem).
        pain_by_date=worst_pain_by_date(
            patient, since=max(local_date - timedelta(days=triage.CONTEXT_DAYS), patient.surgery_date),
            until=local_date) if triage.reads_pain_history(report) else {},
        recent_signs=recent_signs(patient, now) if triage.reads_recent_signs(report) else frozenset(),
        refill_missed=pump is not None and triage.reads_refill_state(report, drug) and refill_missed(pump, local_date),
        refill_alarm_passed=pump is not None and past_alarm_date_unrefilled(pump, local_date),
        emergency_number=patient.emergency_number,
    )


def past_alarm_date_unrefilled(pump: Pump, local_date: date) -> bool:
    """The refill safety net's alarm-date stage has come on the patient's `local_date`: the pump's alarm
    date is that day or earlier and no refill is recorded on or after it (a recorded refill moves the
    alarm date forward, services.pumps). Read from the pump row alone."""
    alarm = pump.alarm_date
    return (alarm is not None and alarm <= local_date
            and (pump.last_refill_date is None or pump.last_refill_date < alarm))


def refill_missed(pump: Pump, local_date: date) -> bool:
    """Past the alarm date with no refill (the pump's dates), or the safety net's alarm-date alert is still
    open: only a recorded refill closes it, so a dose change or a new refill date that moved the alarm
    date forward without a refill does not end it. The alert query runs only when the dates do not decide
    and triage has a sign a `refill_missed` row reads (triage.reads_refill_state)."""
    if past_alarm_date_unrefilled(pump, local_date):
        return True
    return RefillAlert.objects.filter(pump=pump, stage=RefillAlert.Stage.ALARM_DATE, closed_at__isnull=True).exists()


def worst_pain_by_date(patient: Patient, *, since: date, until: date) -> dict[date, int]:
    """The highest pain score of each local day of the patient's check-ins from `since` up to (not
    including) `until`. Plain SQL on the (patient, local_date) index: it runs in every check-in POST whose pain
    could make a streak (triage.reads_pain_history), and building the same statement through the ORM cost more
    CPU than running it (PostgreSQL's planning of it too: it is kept prepared)."""
    table = connection.ops.quote_name(CheckIn._meta.db_table)
    with server_prepared_cursor(connection) as cursor:
        cursor.execute(f"SELECT local_date, max(pain_score) FROM {table} "  # noqa: S608  # no input in the text
                       "WHERE patient_id = %s AND local_date >= %s AND local_date < %s GROUP BY local_date",
                       [patient.pk, since, until])
        return {day if isinstance(day, date) else date.fromisoformat(day): worst for day, worst in cursor.fetchall()}


def recent_signs(patient: Patient, now: datetime) -> frozenset[str]:
    """What the patient's reports of the last triage.RECENT_HOURS showed, their notes' words too (three small
    indexed queries)."""
    since = now - timedelta(hours=triage.RECENT_HOURS)
    window = {"patient": patient, "created_at__gte": since, "created_at__lte": now}
    reports = [
        triage.Report(symptoms=tuple(symptoms), temperature=temperature, temperature_unit=unit, pain_score=pain,
                      note=note)
        for symptoms, temperature, unit, pain, note in CheckIn.objects.filter(**window).values_list(
            "symptoms", "temperature", "temperature_unit", "pain_score", "note")
    ]
    reports += [
        triage.Report(symptoms=tuple(symptoms), note=note)
        for symptoms, note in WarningReport.objects.filter(**window).values_list("symptoms", "note")
    ]
    reports += [
        triage.Report(symptoms=triage.incision_symptoms(pain=p, redness=r, bleeding=b, drainage=d, swelling=s),
                      note=note)
        for p, r, b, d, s, note in IncisionCheck.objects.filter(**window).values_list(
            "pain", "redness", "bleeding", "drainage", "swelling", "note")
    ]
    return frozenset().union(*(triage.reported_signs(report) for report in reports))
