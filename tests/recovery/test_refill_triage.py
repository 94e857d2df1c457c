"""Triage of a baclofen pump's reports around a missed refill: once the pump is past its low-reservoir
alarm date with no refill recorded, the refill safety net tells the patient to call the emergency number
for itching, fever, confusion or much stiffer muscles, and triage of such a report must say the same
(recovery.triage row baclofen_withdrawal_refill_missed, recovery.triage_context.refill_missed). Before the
alarm date, or after a refill, the same reports stay urgent."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recovery.models import Patient, Pump, RefillAlert
from recovery.services.pumps import create_pump, record_refill
from recovery.services.refill_safety_net import run_refill_safety_net
from recovery.services.reports import submit_warning_report
from recovery.triage import Report
from recovery.triage_context import triage_context
from tests.factories import PatientFactory, PumpFactory, RefillAlertFactory

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
SURGERY = date(2027, 1, 4)
# 20 mL of 500 mcg/mL at 200 mcg/day filled on day 73: alarm on day 118, refill due on day 111.
FILL = {"refill_date": SURGERY + timedelta(days=73), "volume_ml": Decimal("20"), "concentration": Decimal("500"),
        "concentration_unit": "mcg/mL", "daily_dose": Decimal("200"), "dose_unit": "mcg/day"}
ALARM = SURGERY + timedelta(days=118)
DAY_120 = SURGERY + timedelta(days=120)
REPRODUCER = [("itching",), ("increased_spasticity",), ("itching", "increased_spasticity")]

# What the alarm-date message tells the patient to call the emergency number for, and the symptom code
# the phone sends for each.
PROMISED = {"itching": "itching", "fever": "fever", "confusion": "confusion",
            "muscles become much stiffer": "increased_spasticity"}


def at(day: date, clock: time = time(10, 0)) -> datetime:
    return datetime.combine(day, clock, LA)


def baclofen_pump(drug: str = Pump.Drug.BACLOFEN, language: str = "en") -> Pump:
    patient = PatientFactory(timezone="America/Los_Angeles", surgery_date=SURGERY, language=language)
    pump = create_pump(patient, {"kind": "programmable", "drug": drug, "refill": FILL})
    assert pump.alarm_date == ALARM
    return pump


def report(pump: Pump, codes: tuple[str, ...], when: datetime) -> tuple[str, list[str], str]:
    patient = Patient.objects.select_related("pump").get(pk=pump.patient_id)  # as bearer authentication loads it
    record = submit_warning_report(patient, {"client_id": uuid.uuid4(), "symptoms": list(codes)}, now=when).record
    return record.triage_level, record.triage_reasons, record.triage_advice


@pytest.mark.parametrize("codes", REPRODUCER, ids="+".join)
def test_a_withdrawal_sign_past_the_alarm_date_with_no_refill_is_an_emergency(codes):
    pump = baclofen_pump()
    level, reasons, advice = report(pump, codes, at(DAY_120))
    assert level == "emergency"
    assert reasons[0] == "baclofen_withdrawal_refill_missed" and set(codes) <= set(reasons)
    assert advice.startswith("Call 911 now.") and "They will contact you soon" not in advice


@pytest.mark.parametrize("codes", REPRODUCER, ids="+".join)
def test_on_the_alarm_date_itself_it_is_already_an_emergency(codes):
    pump = baclofen_pump()
    assert report(pump, codes, at(ALARM, time(0, 30)))[0] == "emergency"  # the patient's local date, not UTC's


@pytest.mark.parametrize("codes", REPRODUCER, ids="+".join)
def test_the_same_report_the_day_before_the_alarm_date_stays_urgent(codes):
    pump = baclofen_pump()
    level, reasons, _advice = report(pump, codes, at(ALARM - timedelta(days=1), time(23, 30)))
    assert level == "urgent" and "baclofen_withdrawal_refill_missed" not in reasons


@pytest.mark.parametrize("codes", REPRODUCER, ids="+".join)
def test_the_same_report_after_a_refill_stays_urgent(codes):
    pump = baclofen_pump()
    run_refill_safety_net(now=at(ALARM, time(8, 0)))  # the alarm-date alert is raised, then closed by the refill
    record_refill(pump, {**FILL, "client_id": uuid.uuid4(), "refill_date": ALARM + timedelta(days=1)},
                  by=pump.patient.surgeon.user, now=at(ALARM + timedelta(days=1)))
    assert not RefillAlert.objects.filter(closed_at__isnull=True).exists()
    level, reasons, _advice = report(pump, codes, at(DAY_120))
    assert level == "urgent" and "baclofen_withdrawal_refill_missed" not in reasons


@pytest.mark.parametrize("codes", REPRODUCER, ids="+".join)
def test_an_opioid_pump_past_its_alarm_date_keeps_these_signs_urgent(codes):
    pump = baclofen_pump(Pump.Drug.MORPHINE)
    assert report(pump, codes, at(DAY_120))[0] == "urgent"


def test_an_open_alarm_date_alert_keeps_it_an_emergency_when_the_alarm_date_moved_without_a_refill():
    # e.g. a dose change after the alarm date recomputed the dates: only a refill closes the alert.
    pump = PumpFactory(drug=Pump.Drug.BACLOFEN, patient__surgery_date=SURGERY, patient__timezone="America/Los_Angeles",
                       next_refill_date=DAY_120 + timedelta(days=10), alarm_date=DAY_120 + timedelta(days=17))
    RefillAlertFactory(pump=pump, due_date=DAY_120 - timedelta(days=9), stage=RefillAlert.Stage.ALARM_DATE,
                       level="emergency")
    assert report(pump, ("itching",), at(DAY_120))[0] == "emergency"


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_sign_the_alarm_message_names_triages_as_the_emergency_it_promises(language):
    pump = baclofen_pump(language=language)
    run_refill_safety_net(now=at(ALARM, time(8, 0)))
    # both stages are raised on this first run; the alarm-date one last
    message = pump.patient.messages.filter(escalation__level="emergency").order_by("-created_at", "-id").first()
    assert "911" in message.body
    if language == "en":  # the message names each sign of PROMISED
        assert all(words in message.body for words in PROMISED), message.body
    for code in PROMISED.values():
        level, _reasons, advice = report(pump, (code,), at(ALARM, time(9, 0)))
        assert level == "emergency", code
        assert advice.startswith("Call 911 now." if language == "en" else "Llame ya al 911."), advice
        assert ("baclofen withdrawal" if language == "en" else "abstinencia de baclofeno") in advice


def test_the_refill_state_costs_no_query_on_a_routine_check_in_nor_once_past_the_alarm_date():
    pump = baclofen_pump()
    patient = Patient.objects.select_related("pump").get(pk=pump.patient_id)
    with CaptureQueriesContext(connection) as routine:
        context = triage_context(patient, DAY_120, at(DAY_120), Report(pain_score=2, local_date=DAY_120))
    assert not context.refill_missed  # no sign a refill row reads: not even looked at
    assert len(routine) == 0  # nor the pain history: a pain of 2 makes no streak (triage.reads_pain_history)
    with CaptureQueriesContext(connection) as itching:
        context = triage_context(patient, DAY_120, at(DAY_120), Report(symptoms=("itching",), local_date=DAY_120))
    assert context.refill_missed
    assert not any("refillalert" in query["sql"] for query in itching.captured_queries)  # the dates decide


def checkin_advice(pump: Pump, when: datetime, **fields: object) -> tuple[str, str]:
    from recovery.services.reports import submit_checkin

    patient = Patient.objects.select_related("pump").get(pk=pump.patient_id)
    record = submit_checkin(patient, {"client_id": uuid.uuid4(), "pain_score": 2, **fields}, now=when).record
    return record.triage_level, record.triage_advice


@pytest.mark.parametrize("drug", [Pump.Drug.BACLOFEN, Pump.Drug.MORPHINE])
def test_a_routine_check_in_past_the_alarm_date_asks_for_the_refill_never_says_nothing_is_needed(drug):
    """A patient in danger is never told that nothing needs the care team."""
    pump = baclofen_pump(drug)
    level, advice = checkin_advice(pump, at(DAY_120))
    assert level == "routine" and "nothing in it needs your care team" not in advice
    assert "past its refill alarm date" in advice and "call your care team today" in advice
    baclofen = "itching, more muscle stiffness, tingling, a fever or confusion" in advice
    assert baclofen == (drug == Pump.Drug.BACLOFEN)
    if baclofen:  # the same signs the alarm message names go to the emergency number, not to the surgeon
        assert "Call 911 now if you get itching" in advice and "stiffness; itching" not in advice


def test_before_the_alarm_date_a_routine_check_in_is_as_before():
    pump = baclofen_pump()
    level, advice = checkin_advice(pump, at(ALARM - timedelta(days=1)))
    assert level == "routine" and "nothing in it needs your care team right now" in advice
    assert "refill alarm date" not in advice


def test_the_refill_notice_is_in_spanish_for_a_spanish_speaking_patient():
    pump = baclofen_pump(language="es")
    _, advice = checkin_advice(pump, at(DAY_120))
    assert "ya pasó la fecha de alarma de recarga" in advice and "comienzo de una abstinencia" in advice
