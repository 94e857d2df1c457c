"""Reminders arrive when a person would want them, in their language (issue 13)."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from recovery.models import PromptLog
from recovery.services import reminders
from recovery.services.plans import create_recovery_plan
from recovery.services.pushes import PushKind
from tests.factories import CheckInFactory, DeviceFactory, PatientFactory, PumpFactory

pytestmark = pytest.mark.django_db

SURGERY = date(2026, 1, 1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def patient_with_device(**kwargs):
    kwargs.setdefault("surgery_date", SURGERY)  # before every dispatch below: check-in prompts start on surgery day
    patient = PatientFactory(**kwargs)
    DeviceFactory(user=patient.user)
    return patient


def pushes_to(patient) -> list[Notification]:
    return list(Notification.objects.filter(recipient=patient.user).order_by("id"))


def test_a_reminder_due_in_the_night_waits_for_the_morning():
    # Check-in time 23:30 in Chicago: inside the quiet hours (21:00-08:00), so it goes at 08:00.
    patient = patient_with_device(timezone="America/Chicago", checkin_time=time(23, 30))
    reminders.dispatch_reminders(now=utc(2026, 1, 15, 5, 30))  # 23:30 local on the 14th
    reminders.dispatch_reminders(now=utc(2026, 1, 15, 13, 59))  # 07:59 local on the 15th
    assert pushes_to(patient) == []
    reminders.dispatch_reminders(now=utc(2026, 1, 15, 14, 0))  # 08:00 local
    assert [p.kind for p in pushes_to(patient)] == [PushKind.CHECKIN_PROMPT]


def test_a_time_zone_change_late_in_the_evening_sends_nothing_until_the_morning():
    # The patient flew to Madrid; at 22:06 there every rule of the day is past due.
    patient = patient_with_device(timezone="Europe/Madrid", checkin_time=time(9, 0), surgery_date=date(2026, 1, 10))
    create_recovery_plan(patient)
    reminders.dispatch_reminders(now=utc(2026, 1, 15, 21, 6))  # 22:06 in Madrid
    assert pushes_to(patient) == []


def test_several_reminders_due_at_once_make_one_push():
    patient = patient_with_device(timezone="UTC", checkin_time=time(9, 0), surgery_date=date(2026, 1, 1))
    create_recovery_plan(patient)
    PumpFactory(patient=patient, next_refill_date=date(2026, 1, 12), battery_replacement_due=date(2026, 4, 5))
    counts = reminders.dispatch_reminders(now=utc(2026, 1, 5, 20, 0))
    assert counts == {"checkin_prompt": 1, "checkin_missing": 1, "refill_reminder": 1, "plan_reminder": 1,
                      "battery_reminder": 1}
    [push] = pushes_to(patient)
    assert push.kind == PushKind.REMINDERS
    # Each reminder is still recorded once for the day: the next dispatch sends nothing more.
    assert PromptLog.objects.filter(patient=patient).count() == 5
    reminders.dispatch_reminders(now=utc(2026, 1, 5, 20, 1))
    assert len(pushes_to(patient)) == 1


def test_no_checkin_prompt_goes_to_a_patient_who_has_checked_in_that_day():
    patient = patient_with_device(timezone="UTC", checkin_time=time(9, 0))
    CheckInFactory(patient=patient, local_date=date(2026, 1, 15))
    reminders.dispatch_reminders(now=utc(2026, 1, 15, 10, 0))
    assert pushes_to(patient) == []
    other_day = reminders.dispatch_reminders(now=utc(2026, 1, 16, 10, 0))
    assert other_day["checkin_prompt"] == 1


def test_a_spanish_speaking_patient_gets_spanish_reminder_pushes():
    patient = patient_with_device(timezone="Europe/Madrid", checkin_time=time(9, 0), language="es")
    reminders.dispatch_reminders(now=utc(2026, 1, 15, 9, 0))  # 10:00 in Madrid
    [push] = pushes_to(patient)
    assert (push.title, push.body) == ("Es hora de su registro diario", "Abra la aplicación para registrarse.")


def test_reminder_push_text_is_english_for_an_english_speaking_patient():
    patient = patient_with_device(timezone="UTC", checkin_time=time(9, 0), language="en")
    reminders.dispatch_reminders(now=utc(2026, 1, 15, 9, 0))
    [push] = pushes_to(patient)
    assert push.title == "Time for your daily check-in"


def test_a_patient_waiting_for_surgery_gets_no_checkin_prompt_nor_missing_checkin_reminder():
    # Enrolled 14 days ahead of surgery, with the app set up: no daily check-in is asked for before it.
    patient = patient_with_device(timezone="America/Chicago", checkin_time=time(9, 0),
                                  surgery_date=date(2026, 1, 29))
    morning = reminders.dispatch_reminders(now=utc(2026, 1, 15, 15, 5))  # 09:05 in Chicago
    evening = reminders.dispatch_reminders(now=utc(2026, 1, 16, 1, 5))  # 19:05 in Chicago
    assert morning["checkin_prompt"] == morning["checkin_missing"] == 0
    assert evening["checkin_prompt"] == evening["checkin_missing"] == 0
    assert pushes_to(patient) == []


def test_checkin_prompts_start_on_the_surgery_day_in_the_patients_zone():
    patient = patient_with_device(timezone="America/Chicago", checkin_time=time(9, 0),
                                  surgery_date=date(2026, 1, 29))
    day_before = utc(2026, 1, 28, 15, 5)  # 09:05 in Chicago on the 28th
    assert reminders.dispatch_reminders(now=day_before)["checkin_prompt"] == 0
    assert reminders.dispatch_reminders(now=day_before + timedelta(days=1))["checkin_prompt"] == 1
    assert [p.kind for p in pushes_to(patient)] == [PushKind.CHECKIN_PROMPT]


def _plan_nodes(plan: dict, in_subplan: bool = False):
    """Each node of an EXPLAIN (FORMAT JSON) plan, and whether it runs inside a subplan (once per outer row)."""
    yield plan, in_subplan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child, in_subplan or child.get("Parent Relationship") == "SubPlan")


def test_the_dispatch_reads_each_due_patients_login_by_its_key_not_every_login_for_each_batch():
    """Whether a patient's login is active is probed per patient. As a join, PostgreSQL (statistics of 20,000
    patients) hashed every login and evaluated every remaining patient of the zone for each batch of 500: a
    fan-out's dispatch growing with the square of the zone (17 ms a batch instead of 3.5)."""
    patient_with_device(timezone="UTC", checkin_time=time(9, 0))
    with CaptureQueriesContext(connection) as queries:
        assert reminders.dispatch_reminders(now=utc(2026, 1, 15, 10, 0))["checkin_prompt"] == 1
    [due_query] = [q["sql"] for q in queries if "LIMIT 500" in q["sql"] and '"recovery_patient"."timezone"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # as a table of thousands of patients would be read
        try:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {due_query}")
            [[explained]] = cursor.fetchall()
        finally:
            cursor.execute("RESET enable_seqscan")
    reads_of_logins = [(node["Node Type"], node.get("Index Name"), in_subplan)
                       for node, in_subplan in _plan_nodes(explained[0]["Plan"])
                       if node.get("Relation Name") == "recovery_user"]
    assert reads_of_logins == [("Index Scan", "recovery_user_pkey", True)], reads_of_logins


def test_the_dispatch_probes_todays_check_ins_and_prompts_only_for_the_zones_own_patients():
    """A batch walks patients in id order, every zone's mixed. With the check-in and prompt tables analyzed while
    empty (a new clinic, the morning's first prompts), PostgreSQL costs their probes at nothing and ran them on
    every patient it passed over in other zones before testing the zone (bench/README.md, "Twelfth pass")."""
    for _ in range(4):  # ids interleaved: UTC, Chicago, UTC, Chicago, ...
        patient_with_device(timezone="UTC", checkin_time=time(9, 0))
        patient_with_device(timezone="America/Chicago", checkin_time=time(9, 0))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE recovery_checkin; ANALYZE recovery_promptlog")
    with CaptureQueriesContext(connection) as queries:
        reminders.dispatch_reminder(reminders.REMINDER_RULES[0], now=utc(2026, 1, 15, 10, 0))  # 09:00 Chicago: not yet
    [due_query] = [q["sql"] for q in queries if "LIMIT 500" in q["sql"] and '"recovery_patient"."timezone"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT explained")
        try:
            cursor.execute("DELETE FROM recovery_promptlog")  # as before the dispatch
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {due_query}")
            [[explained]] = cursor.fetchall()
        finally:
            cursor.execute("ROLLBACK TO SAVEPOINT explained")
    probes: Counter[str] = Counter()
    for node, in_subplan in _plan_nodes(explained[0]["Plan"]):
        if in_subplan and node.get("Relation Name") in ("recovery_checkin", "recovery_promptlog"):
            probes[node["Relation Name"]] += node["Actual Loops"]
    assert probes == {"recovery_checkin": 4, "recovery_promptlog": 4}, probes  # the four UTC patients, once each


def test_a_dispatch_of_several_rules_says_which_each_patient_was_due_for():
    """With one rule every selected patient is due for it; with several, each patient's own."""
    refill_day = date(2026, 1, 20)
    both = patient_with_device(timezone="UTC", checkin_time=time(9, 0))
    PumpFactory(patient=both, next_refill_date=refill_day)
    prompt_only = patient_with_device(timezone="UTC", checkin_time=time(9, 0))
    CheckInFactory(patient=patient_with_device(timezone="UTC", checkin_time=time(9, 0)), local_date=date(2026, 1, 13))
    counts = reminders.dispatch_reminders(now=utc(2026, 1, 13, 10, 0))  # refill in 7 days
    assert counts["checkin_prompt"] == 2 and counts["refill_reminder"] == 1
    assert set(PromptLog.objects.values_list("patient_id", "kind")) == {
        (both.pk, "checkin_prompt"), (both.pk, "refill_reminder"), (prompt_only.pk, "checkin_prompt")}


def _written() -> tuple[set, set]:
    pushes = Notification.objects.values_list(
        "recipient_id", "device_id", "kind", "queue", "title", "body", "data", "dedupe_key", "status", "category",
        "topic", "expires_at")
    prompts = set(PromptLog.objects.values_list("patient_id", "kind", "local_date", "created_at"))
    return {(*row[:6], tuple(sorted(row[6].items())), *row[7:]) for row in pushes}, prompts


def test_the_dispatchs_one_statement_writes_what_the_python_path_writes(monkeypatch):
    """PostgreSQL writes a batch's PromptLog rows and pushes in one statement; SQLite (`make run`) reads the batch
    into Python and writes them through queue_reminder_pushes. Both, for kinds due together, each language, a
    patient with two phones, one with a disabled phone and one with none."""
    surgery, day = date(2027, 1, 1), date(2027, 1, 5)
    combined = patient_with_device(timezone="UTC", surgery_date=surgery, language="es")
    DeviceFactory(user=combined.user)
    create_recovery_plan(combined)
    PumpFactory(patient=combined, next_refill_date=day + timedelta(days=7))
    patient_with_device(timezone="UTC", surgery_date=surgery, language="")
    patient_with_device(timezone="UTC", surgery_date=surgery, language="en")
    DeviceFactory(user=patient_with_device(timezone="UTC", surgery_date=surgery).user, disabled_at=utc(2027, 1, 2))
    PatientFactory(timezone="UTC", surgery_date=surgery)  # no phone: reminded (PromptLog), nothing pushed
    evening = utc(2027, 1, 5, 20, 0)  # in the future: the expiry counts from it in both runs

    one_statement = reminders.dispatch_reminders(now=evening, batch_size=2)
    written = _written()
    Notification.objects.all().delete()
    PromptLog.objects.all().delete()
    monkeypatch.setattr(connection, "vendor", "sqlite")  # the Python path, as on SQLite
    python_path = reminders.dispatch_reminders(now=evening, batch_size=2)

    assert one_statement == python_path == {"checkin_prompt": 5, "checkin_missing": 5, "refill_reminder": 1,
                                            "plan_reminder": 1, "battery_reminder": 0}
    assert written == _written()
    pushes, prompts = written
    assert len(pushes) == 5 and len(prompts) == 12
    assert {(kind, title) for _r, _d, kind, _q, title, *_rest in pushes} == {
        ("reminders", "Recordatorios de su plan de recuperación"), ("reminders", "Reminders from your recovery plan")}
