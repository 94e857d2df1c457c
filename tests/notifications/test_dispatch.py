"""The periodic dispatcher: daily check-in prompts in each patient's own zone, once per local day,
and the other scheduled reminders (missing check-in, refill, binder)."""
from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from notifications.services import delivery
from recovery.models import PromptLog
from recovery.services import reminders as services
from recovery.services.pushes import PushKind
from tests.factories import CheckInFactory, DeviceFactory, PatientFactory, PumpFactory

pytestmark = pytest.mark.django_db

Kind = PushKind
SURGERY = date(2026, 1, 1)
CHECKIN_RULE = services.REMINDER_RULES[0]
MISSING_RULE, REFILL_RULE, BINDER_RULE, BATTERY_RULE = services.REMINDER_RULES[1:]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def patient_with_device(**kwargs):
    kwargs.setdefault("surgery_date", SURGERY)  # before every dispatch below: check-in prompts start on surgery day
    patient = PatientFactory(**kwargs)
    DeviceFactory(user=patient.user)
    return patient


def prompts_for(patient, kind=Kind.CHECKIN_PROMPT) -> list[date]:
    return sorted(PromptLog.objects.filter(patient=patient, kind=kind).values_list("local_date", flat=True))


def run_dispatcher_every(minutes: int, start: datetime, end: datetime, rule=CHECKIN_RULE) -> None:
    at = start
    while at <= end:
        services.dispatch_reminder(rule, now=at)
        at += timedelta(minutes=minutes)


def test_patient_is_not_prompted_before_their_local_checkin_time():
    patient = patient_with_device(timezone="America/New_York", checkin_time=time(9, 0))
    services.dispatch_reminder(CHECKIN_RULE, now=utc(2026, 1, 15, 13, 59))  # 08:59 EST
    assert prompts_for(patient) == []


def test_patient_is_prompted_once_their_local_checkin_time_has_come():
    patient = patient_with_device(timezone="America/New_York", checkin_time=time(9, 0))
    services.dispatch_reminder(CHECKIN_RULE, now=utc(2026, 1, 15, 14, 0))  # 09:00 EST
    assert prompts_for(patient) == [date(2026, 1, 15)]
    row = Notification.objects.get(recipient=patient.user)
    assert (row.kind, row.status, row.title) == (Kind.CHECKIN_PROMPT, "pending", "Time for your daily check-in")


def test_later_dispatches_the_same_local_day_do_not_prompt_again():
    patient = patient_with_device(timezone="America/New_York", checkin_time=time(9, 0))
    run_dispatcher_every(30, utc(2026, 1, 15, 14, 0), utc(2026, 1, 16, 4, 30))  # until 23:30 local
    assert prompts_for(patient) == [date(2026, 1, 15)]
    assert Notification.objects.filter(recipient=patient.user).count() == 1


def test_patients_in_several_zones_are_prompted_at_their_own_local_time_once_each():
    # Dispatching every 30 minutes from 10 June 00:00 UTC to 11 June 23:30 UTC. A zone already past
    # 09:00 at the first run is prompted for that local date straight away (catch-up), then once a day.
    expected = {
        "Pacific/Auckland": [date(2026, 6, 10), date(2026, 6, 11), date(2026, 6, 12)],  # UTC+12
        "Asia/Tokyo": [date(2026, 6, 10), date(2026, 6, 11)],  # 09:00 is 00:00 UTC
        "Asia/Kolkata": [date(2026, 6, 10), date(2026, 6, 11)],  # UTC+5:30
        "Europe/London": [date(2026, 6, 10), date(2026, 6, 11)],  # BST
        "America/New_York": [date(2026, 6, 9), date(2026, 6, 10), date(2026, 6, 11)],  # EDT
        "America/Los_Angeles": [date(2026, 6, 9), date(2026, 6, 10), date(2026, 6, 11)],
        "Pacific/Honolulu": [date(2026, 6, 9), date(2026, 6, 10), date(2026, 6, 11)],  # UTC-10
    }
    patients = {zone: patient_with_device(timezone=zone, checkin_time=time(9, 0)) for zone in expected}
    run_dispatcher_every(30, utc(2026, 6, 10, 0, 0), utc(2026, 6, 11, 23, 30))
    assert {zone: prompts_for(patient) for zone, patient in patients.items()} == expected
    for zone, patient in patients.items():
        assert Notification.objects.filter(recipient=patient.user).count() == len(expected[zone]), zone


def test_spring_forward_day_prompts_at_the_new_offset():
    # New York moves from UTC-5 to UTC-4 at 02:00 on 8 March 2026: 09:00 local is 13:00 UTC that day.
    patient = patient_with_device(timezone="America/New_York", checkin_time=time(9, 0))
    services.dispatch_reminder(CHECKIN_RULE, now=utc(2026, 3, 8, 13, 0))
    assert prompts_for(patient) == [date(2026, 3, 8)]


@pytest.fixture
def no_quiet_hours(settings):
    """The DST tests below are about the clock, not the night: quiet hours off."""
    settings.REMINDER_QUIET_START = ""


@pytest.mark.usefixtures("no_quiet_hours")
def test_checkin_time_skipped_by_spring_forward_is_prompted_once_right_after_the_jump():
    # 02:30 does not exist in New York on 8 March 2026; the prompt goes at 03:00 EDT (07:00 UTC).
    patient = patient_with_device(timezone="America/New_York", checkin_time=time(2, 30))
    services.dispatch_reminder(CHECKIN_RULE, now=utc(2026, 3, 8, 6, 59))  # 01:59 EST
    assert prompts_for(patient) == []
    run_dispatcher_every(15, utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 3, 45))
    assert prompts_for(patient) == [date(2026, 3, 8)]


@pytest.mark.usefixtures("no_quiet_hours")
def test_checkin_time_repeated_by_fall_back_is_prompted_only_the_first_time():
    # 01:30 happens twice in New York on 1 November 2026 (05:30 and 06:30 UTC).
    patient = patient_with_device(timezone="America/New_York", checkin_time=time(1, 30))
    run_dispatcher_every(15, utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 7, 0))
    assert prompts_for(patient) == [date(2026, 11, 1)]
    assert Notification.objects.filter(recipient=patient.user).count() == 1


def test_patient_not_yet_activated_is_not_prompted():
    patient = PatientFactory(user=None, timezone="UTC", checkin_time=time(9, 0), surgery_date=SURGERY)
    services.dispatch_reminder(CHECKIN_RULE, now=utc(2026, 1, 15, 12, 0))
    assert prompts_for(patient) == []


def test_each_active_device_of_the_patient_gets_one_prompt_and_disabled_ones_none():
    patient = patient_with_device(timezone="UTC", checkin_time=time(9, 0))
    second = DeviceFactory(user=patient.user)
    DeviceFactory(user=patient.user, disabled_at=utc(2026, 1, 1), disabled_reason="UNREGISTERED")
    services.dispatch_reminder(CHECKIN_RULE, now=utc(2026, 1, 15, 12, 0))
    devices = sorted(Notification.objects.filter(recipient=patient.user).values_list("device_id", flat=True))
    assert devices == sorted([patient.user.devices.first().pk, second.pk])


def test_queries_grow_with_batches_not_with_patients_or_devices():
    def dispatch_queries(patient_count: int) -> int:
        for _ in range(patient_count - PatientFactory._meta.model.objects.count()):
            patient = patient_with_device(timezone="UTC", checkin_time=time(9, 0))
            DeviceFactory(user=patient.user)
        PromptLog.objects.all().delete()
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            services.dispatch_reminder(CHECKIN_RULE, now=utc(2026, 1, 15, 12, 0), batch_size=10)
        return len(queries)

    ten, twenty, forty = dispatch_queries(10), dispatch_queries(20), dispatch_queries(40)
    per_batch = twenty - ten
    assert forty - twenty == 2 * per_batch
    assert per_batch <= 8


def test_missing_checkin_reminder_goes_out_in_the_evening_only_without_a_checkin_that_day():
    checked_in = patient_with_device(timezone="Europe/Berlin")
    forgot = patient_with_device(timezone="Europe/Berlin")
    CheckInFactory(patient=checked_in, local_date=date(2026, 1, 15))
    services.dispatch_reminder(MISSING_RULE, now=utc(2026, 1, 15, 17, 59))  # 18:59 local
    assert prompts_for(forgot, Kind.CHECKIN_MISSING) == []
    services.dispatch_reminder(MISSING_RULE, now=utc(2026, 1, 15, 18, 0))  # 19:00 local
    assert prompts_for(forgot, Kind.CHECKIN_MISSING) == [date(2026, 1, 15)]
    assert prompts_for(checked_in, Kind.CHECKIN_MISSING) == []


@pytest.mark.parametrize("days_before, reminded", [(7, True), (5, False), (3, True), (1, True), (0, True),
                                                   (-1, False)])
def test_refill_reminder_goes_out_7_3_and_1_days_before_the_refill_date_and_on_the_day(days_before, reminded):
    pump = PumpFactory(patient=patient_with_device(timezone="UTC"), next_refill_date=date(2026, 2, 20))
    services.dispatch_reminder(REFILL_RULE, now=utc(2026, 2, 20 - days_before, 12, 0))
    assert bool(prompts_for(pump.patient, Kind.REFILL_REMINDER)) is reminded


@pytest.mark.parametrize("days_before, reminded", [(91, False), (90, True), (60, False), (30, True), (7, True),
                                                   (0, False)])
def test_battery_reminder_asks_the_patient_to_book_the_replacement_90_30_and_7_days_before(days_before, reminded):
    pump = PumpFactory(patient=patient_with_device(timezone="UTC"), battery_replacement_due=date(2026, 6, 30))
    services.dispatch_reminder(BATTERY_RULE, now=datetime.combine(date(2026, 6, 30) - timedelta(days=days_before),
                                                                  time(12, 0), UTC))
    assert bool(prompts_for(pump.patient, Kind.BATTERY_REMINDER)) is reminded


@pytest.mark.parametrize("recovery_day, reminded", [(0, True), (27, True), (28, False)])
def test_binder_reminder_goes_out_at_midday_while_the_binder_restriction_is_in_force(recovery_day, reminded):
    patient = patient_with_device(enrolled=True, timezone="UTC", surgery_date=date(2026, 1, 1))
    day = date(2026, 1, 1) + timedelta(days=recovery_day)
    services.dispatch_reminder(BINDER_RULE, now=datetime.combine(day, time(12, 0), UTC))
    assert bool(prompts_for(patient, Kind.PLAN_REMINDER)) is reminded


def test_no_binder_reminder_when_no_binder_was_prescribed():
    patient = patient_with_device(enrolled=True, timezone="UTC", surgery_date=date(2026, 1, 1), binder_prescribed=False)
    services.dispatch_reminder(BINDER_RULE, now=utc(2026, 1, 5, 12, 0))
    assert prompts_for(patient, Kind.PLAN_REMINDER) == []


def test_dispatch_reminders_runs_every_rule():
    patient_with_device(enrolled=True, timezone="UTC", surgery_date=date(2026, 1, 1), checkin_time=time(9, 0),
                        pump__next_refill_date=date(2026, 1, 12),
                        pump__battery_replacement_due=date(2026, 4, 5))
    counts = services.dispatch_reminders(now=utc(2026, 1, 5, 20, 0))
    assert counts == {"checkin_prompt": 1, "checkin_missing": 1, "refill_reminder": 1, "plan_reminder": 1,
                      "battery_reminder": 1}


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_the_same_moment_prompt_each_patient_once(fcm_standin):
    patients = [patient_with_device(timezone=zone, checkin_time=time(9, 0))
                for zone in ("UTC", "Europe/Paris", "Asia/Tokyo") for _ in range(250)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def dispatcher() -> None:
        try:
            start.wait()
            services.dispatch_reminder(CHECKIN_RULE, now=utc(2026, 1, 15, 10, 0), batch_size=100)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert PromptLog.objects.count() == len(patients)
    delivery.deliver_due()
    tokens = [message["token"] for message in fcm_standin.sent_messages()]
    assert sorted(tokens) == sorted(p.user.devices.get().token for p in patients)


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_a_batch_selected_before_another_dispatch_recorded_its_reminders_pushes_only_the_unrecorded(
        monkeypatch, vendor):
    """Two dispatches that both selected a patient as due before either wrote: PromptLog's unique key decides
    which one pushes, since reminders carry no dedupe key of their own (notifications 0013). Both the one
    statement of PostgreSQL and the Python path of SQLite, replaying the batch the second dispatch selected."""
    from django.db.models import BooleanField, Q, Value

    from recovery.models import Patient

    now = utc(2026, 1, 15, 10, 0)
    first = patient_with_device(timezone="UTC", checkin_time=time(9, 0))
    services.dispatch_reminder(CHECKIN_RULE, now=now)
    later = patient_with_device(timezone="UTC", checkin_time=time(9, 0))
    monkeypatch.setattr(connection, "vendor", vendor)
    selected_before = (Patient.objects.filter(pk__in=[first.pk, later.pk]).order_by("pk")
                       .annotate(due=Value(True, output_field=BooleanField()))
                       .values_list("pk", "user_id", "language", "due"))
    if vendor == "postgresql":
        services._send_batch_in_one_statement(now.date(), (CHECKIN_RULE.kind,), now, selected_before)
    else:
        services._send_batch_from_python(now.date(), {CHECKIN_RULE.kind: Q()}, now, selected_before)

    pushes = Notification.objects.values_list("recipient_id", "dedupe_key")
    assert sorted(pushes) == sorted([(first.user_id, None), (later.user_id, None)])
    assert prompts_for(first) == prompts_for(later) == [date(2026, 1, 15)]
