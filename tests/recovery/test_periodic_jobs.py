"""`manage.py run_periodic_jobs --at` across a pump refill cycle: the patient's reminders on the right
local days, the care team told the day after a missed refill date, an emergency for baclofen at the
alarm date, and nothing more once a refill is recorded."""
from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from notifications.models import Notification
from recovery import periodic
from recovery.models import Escalation, PromptLog, Pump, PumpRefill, RefillAlert
from recovery.services.pumps import create_pump, record_refill, update_pump
from tests.factories import DeviceFactory, PatientFactory, SurgeonFactory
from tests.notifications.conftest import fcm_standin  # noqa: F401 - the FCM stand-in fixture

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
# 20 mL of 500 mcg/mL at 200 mcg/day, filled on 4 January: alarm 18 February, refill due 11 February.
FILL = {"refill_date": date(2027, 1, 4), "volume_ml": Decimal("20"), "concentration": Decimal("500"),
        "concentration_unit": "mcg/mL", "daily_dose": Decimal("200"), "dose_unit": "mcg/day"}
NEXT_REFILL, ALARM = date(2027, 2, 11), date(2027, 2, 18)


def local(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, LA)


def run_jobs(at: datetime) -> str:
    out = io.StringIO()
    call_command("run_periodic_jobs", at=at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                 stdout=out)
    return out.getvalue()


def pump_in_la(drug: str = Pump.Drug.BACLOFEN) -> Pump:
    """An activated patient in Los Angeles (check-in at 09:00 local) with a phone and a filled pump."""
    surgeon = SurgeonFactory()
    DeviceFactory(user=surgeon.user)
    patient = PatientFactory(surgeon=surgeon, timezone="America/Los_Angeles", checkin_time=time(9, 0),
                             surgery_date=date(2027, 1, 4))
    DeviceFactory(user=patient.user)
    pump = create_pump(patient, {"kind": "programmable", "drug": drug, "refill": FILL})
    assert (pump.next_refill_date, pump.alarm_date) == (NEXT_REFILL, ALARM)
    return pump


def run_cycle(start: date, end: date, clocks: tuple[time, ...] = (time(8, 30), time(20, 30))) -> None:
    """The jobs twice each local day: before the 09:00 check-in time, and in the evening (before the
    reminders' quiet hours)."""
    day = start
    while day <= end:
        for clock in clocks:
            run_jobs(local(day, clock))
        day += timedelta(days=1)


def reminder_days(pump: Pump) -> list[date]:
    return sorted(PromptLog.objects.filter(patient=pump.patient, kind="refill_reminder")
                  .values_list("local_date", flat=True))


def refill(pump: Pump, day: date) -> None:
    record_refill(pump, {**FILL, "client_id": uuid.uuid4(), "refill_date": day}, by=pump.patient.surgeon.user,
                  now=local(day, time(11, 0)))


def test_every_beat_entry_is_run_by_the_command():
    assert list(periodic.PERIODIC_JOBS) and set(periodic.PERIODIC_JOBS) == set(settings.CELERY_BEAT_SCHEDULE)


def test_the_command_prints_what_each_job_did(fcm_standin):  # noqa: F811
    pump_in_la()
    output = run_jobs(local(date(2027, 2, 12), time(8, 0)))
    assert "periodic jobs as of 2027-02-12T16:00:00+00:00" in output
    assert "refill-safety-net: refill_overdue=1, refill_alarm_date=0" in output
    assert "sweep-outbox: claimed=2, sent=2" in output  # the surgeon's escalation push and the patient's
    assert all(f"{name}:" in output for name in settings.CELERY_BEAT_SCHEDULE)


def test_at_without_an_offset_is_refused():
    with pytest.raises(CommandError, match="offset"):
        call_command("run_periodic_jobs", at="2027-02-12T08:00:00")


def test_reminders_come_7_3_1_days_before_and_on_the_day_in_the_patients_zone(fcm_standin):  # noqa: F811
    pump = pump_in_la()
    run_cycle(date(2027, 2, 1), NEXT_REFILL)
    assert reminder_days(pump) == [date(2027, 2, 4), date(2027, 2, 8), date(2027, 2, 10), NEXT_REFILL]
    sent = Notification.objects.filter(recipient=pump.patient.user)  # with the check-in prompt: combined
    assert sent.count() >= 4 and all(row.status == "sent" for row in sent)


def test_no_reminder_before_the_patients_own_check_in_time_on_the_day(fcm_standin):  # noqa: F811
    pump = pump_in_la()
    run_jobs(local(date(2027, 2, 4), time(8, 59)))  # 16:59 UTC: in UTC it is long past 09:00
    assert reminder_days(pump) == []
    run_jobs(local(date(2027, 2, 4), time(9, 0)))
    assert reminder_days(pump) == [date(2027, 2, 4)]


def test_a_missed_refill_is_urgent_the_day_after_and_a_baclofen_emergency_at_the_alarm_date(fcm_standin):  # noqa: F811
    pump = pump_in_la(Pump.Drug.BACLOFEN)
    run_cycle(date(2027, 2, 1), NEXT_REFILL)
    assert not Escalation.objects.exists()  # the refill date itself is not missed yet
    run_jobs(local(date(2027, 2, 12), time(7, 59)))
    assert not Escalation.objects.exists()
    run_jobs(local(date(2027, 2, 12), time(8, 0)))
    urgent = Escalation.objects.get()
    assert (urgent.level, urgent.reasons, urgent.assigned_surgeon) == ("urgent", ["refill_overdue"],
                                                                       pump.patient.surgeon)
    run_cycle(date(2027, 2, 12), ALARM - timedelta(days=1))
    assert Escalation.objects.count() == 1  # raised once per cycle, however often the jobs run
    run_jobs(local(ALARM, time(8, 0)))
    # API 1.1: the alarm-date stage joins the patient's open case and raises it (pushed again at once)
    emergency = Escalation.objects.get()
    assert (emergency.pk, emergency.level, emergency.reasons) == (
        urgent.pk, "emergency", ["refill_alarm_date", "refill_overdue"])
    advice = pump.patient.messages.filter(escalation=emergency).order_by("-created_at", "-id").first().body
    assert "withdrawal" in advice and "911" in advice
    surgeon_pushes = Notification.objects.filter(recipient=pump.patient.surgeon.user, kind="escalation")
    assert surgeon_pushes.count() == 2 and all(row.status == "sent" for row in surgeon_pushes)


def test_a_missed_refill_of_an_opioid_pump_stays_urgent_at_the_alarm_date(fcm_standin):  # noqa: F811
    pump_in_la(Pump.Drug.MORPHINE)
    run_cycle(date(2027, 2, 12), ALARM)
    # API 1.1: one case, both stages' reasons, never raised past urgent
    assert list(Escalation.objects.values_list("level", "reasons")) == [
        ("urgent", ["refill_overdue", "refill_alarm_date"])]


def test_a_recorded_refill_closes_the_alerts_and_nothing_follows(fcm_standin):  # noqa: F811
    pump = pump_in_la()
    run_cycle(date(2027, 2, 1), date(2027, 2, 12))
    urgent = Escalation.objects.get()
    refill(pump, date(2027, 2, 13))
    urgent.refresh_from_db()
    assert urgent.acknowledged_at is not None and urgent.acknowledged_by == pump.patient.surgeon.user
    assert (urgent.resolved_by, urgent.outcome) == (pump.patient.surgeon.user, "no_action_needed")  # case closed
    assert RefillAlert.objects.get().closed_by_refill == PumpRefill.objects.latest("refill_date")
    reminders_so_far = reminder_days(pump)
    run_cycle(date(2027, 2, 13), date(2027, 2, 25))
    assert Escalation.objects.count() == 1 and reminder_days(pump) == reminders_so_far
    pump.refresh_from_db()
    assert pump.next_refill_date == date(2027, 3, 23)  # 13 Feb + 45 days - 7


def test_a_refill_recorded_while_the_safety_net_runs_raises_no_alert():
    """The safety net read the pump before a refill committed: the stage it was about to raise is for a refill
    already done, and is not raised (the pump is locked and read again first)."""
    from recovery.services.refill_safety_net import _raise_stage

    pump = pump_in_la()
    read_before_the_refill = Pump.objects.select_related("patient__surgeon").get(pk=pump.pk)
    refill(pump, date(2027, 2, 12))
    assert not _raise_stage(read_before_the_refill, RefillAlert.Stage.OVERDUE, local(date(2027, 2, 12), time(11, 1)))
    assert not RefillAlert.objects.exists() and not Escalation.objects.exists()
    assert _raise_stage(Pump.objects.select_related("patient__surgeon").get(pk=pump.pk), RefillAlert.Stage.OVERDUE,
                        local(date(2027, 3, 24), time(8, 0)))  # with the dates read again it is raised


def test_a_refill_recorded_in_time_means_no_escalation_and_no_old_reminders(fcm_standin):  # noqa: F811
    pump = pump_in_la()
    run_cycle(date(2027, 2, 1), date(2027, 2, 8))
    refill(pump, date(2027, 2, 9))
    run_cycle(date(2027, 2, 9), date(2027, 2, 25))
    assert not Escalation.objects.exists() and not RefillAlert.objects.exists()
    assert reminder_days(pump) == [date(2027, 2, 4), date(2027, 2, 8)]


def short_refill(pump: Pump, day: date) -> None:
    """4 mL: 2 usable mL at 0.4 mL a day reach the alarm volume 5 days after `day`."""
    record_refill(pump, {**FILL, "client_id": uuid.uuid4(), "refill_date": day, "volume_ml": Decimal("4")},
                  by=pump.patient.surgeon.user, now=local(day, time(7, 0)))
    pump.refresh_from_db()
    assert (pump.next_refill_date, pump.alarm_date) == (day, day + timedelta(days=5))


def test_a_short_fill_is_reminded_on_its_day_and_overdue_only_the_day_after(fcm_standin):  # noqa: F811
    """Its next refill date is the refill day (not 2 days before it): the day's reminder comes, and the care
    team is told the next morning if no refill is recorded, not at once."""
    pump = pump_in_la()
    short_refill(pump, date(2027, 2, 9))
    run_cycle(date(2027, 2, 9), date(2027, 2, 9))
    assert not Escalation.objects.exists() and reminder_days(pump) == [date(2027, 2, 9)]
    run_jobs(local(date(2027, 2, 10), time(8, 0)))
    assert list(Escalation.objects.values_list("level", "reasons")) == [("urgent", ["refill_overdue"])]


def test_a_dose_change_leaving_the_reservoir_at_its_alarm_volume_raises_the_alarm_stage_that_day(fcm_standin):  # noqa: F811
    pump = pump_in_la(Pump.Drug.BACLOFEN)
    short_refill(pump, date(2027, 1, 10))  # nothing above the alarm volume left from 15 January
    update_pump(pump, {"daily_dose": Decimal("150"), "dose_unit": "mcg/day"}, by=pump.patient.surgeon.user,
                now=local(date(2027, 1, 20), time(7, 30)))
    pump.refresh_from_db()
    assert pump.next_refill_date == pump.alarm_date == date(2027, 1, 20)
    run_jobs(local(date(2027, 1, 20), time(8, 0)))
    assert list(Escalation.objects.values_list("level", "reasons")) == [("emergency", ["refill_alarm_date"])]


def test_pumps_whose_alerts_are_raised_cost_nothing_on_later_runs(fcm_standin):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from recovery.services.refill_safety_net import run_refill_safety_net

    at = local(ALARM, time(9, 0))
    for count in (1, 5):
        while Pump.objects.count() < count:
            pump_in_la()
        assert sum(run_refill_safety_net(now=at).values()) > 0  # the new pumps' two stages
        with CaptureQueriesContext(connection) as captured:
            assert run_refill_safety_net(now=at) == {"refill_overdue": 0, "refill_alarm_date": 0}
        assert len(captured) == 2  # the zones, then an empty list of candidates


def patient_advice_pushes(pump: Pump) -> list[str]:
    return sorted(str(key) for key in Notification.objects.filter(recipient=pump.patient.user, kind="triage_advice")
                  .values_list("dedupe_key", flat=True))


def test_a_missed_refill_joining_an_open_case_at_its_level_still_pushes_the_patient_once():
    from recovery.services.escalations import raise_case
    from recovery.services.refill_safety_net import open_refill_escalation

    pump = pump_in_la(Pump.Drug.MORPHINE)
    at = local(date(2027, 2, 12), time(8, 0))
    case = raise_case(pump.patient, "urgent", ["fever"], at)
    assert len(patient_advice_pushes(pump)) == 1  # the case's own
    missed = pump.next_refill_date
    assert open_refill_escalation(pump.patient, "urgent", "refill_overdue", at, due_date=missed) == case
    assert pump.patient.messages.filter(kind="triage_advice", escalation=case).count() == 1
    assert len(patient_advice_pushes(pump)) == 2  # the refill advice, joined without a rise, is announced
    open_refill_escalation(pump.patient, "urgent", "refill_overdue", at + timedelta(minutes=1), due_date=missed)
    assert len(patient_advice_pushes(pump)) == 2  # the same alert (case, stage, due date) never twice


def test_the_push_about_a_joined_missed_refill_is_neutral_and_in_the_patients_language():
    from recovery.services.escalations import raise_case
    from recovery.services.refill_safety_net import open_refill_escalation

    pump = pump_in_la(Pump.Drug.MORPHINE)
    pump.patient.language = "es"
    pump.patient.save(update_fields=["language"])
    at = local(date(2027, 2, 12), time(8, 0))
    case = raise_case(pump.patient, "emergency", ["chest_pain"], at)
    Notification.objects.all().delete()
    open_refill_escalation(pump.patient, "urgent", "refill_overdue", at, due_date=pump.next_refill_date)
    push = Notification.objects.get(recipient=pump.patient.user)
    assert (push.kind, push.title, push.body) == ("triage_advice", "Nuevo mensaje de su equipo de atención",
                                                 "Abra la aplicación para leerlo.")
    assert push.data["escalation_id"] == str(case.pk) and "refill" not in f"{push.title} {push.body}"


def test_a_missed_refill_that_opens_or_raises_the_case_is_pushed_by_the_case_alone():
    from recovery.services.refill_safety_net import open_refill_escalation

    pump = pump_in_la(Pump.Drug.BACLOFEN)
    at = local(date(2027, 2, 12), time(8, 0))
    case = open_refill_escalation(pump.patient, "urgent", "refill_overdue", at, due_date=pump.next_refill_date)
    assert patient_advice_pushes(pump) == [f"triage_advice:{case.pk}:{pump.patient.user.devices.get().pk}"]
    open_refill_escalation(pump.patient, "emergency", "refill_alarm_date", at + timedelta(days=6),
                           due_date=pump.next_refill_date)
    assert len(patient_advice_pushes(pump)) == 2  # the rise's push, no second one for the same message


def test_each_missed_refill_stage_of_an_opioid_pump_reaches_the_patients_phone(fcm_standin):  # noqa: F811
    pump = pump_in_la(Pump.Drug.MORPHINE)
    run_cycle(date(2027, 2, 12), ALARM + timedelta(days=1))
    case = Escalation.objects.get()
    assert pump.patient.messages.filter(kind="triage_advice", escalation=case).count() == 2
    assert len(patient_advice_pushes(pump)) == 2  # the overdue stage opened the case; the alarm date joined it


def backdated_short_refill(pump: Pump, day: date, *, recorded_at: datetime) -> None:
    """4 mL given on `day`, recorded later: its next refill date is `day` itself (schedule_from's clamp)."""
    record_refill(pump, {**FILL, "client_id": uuid.uuid4(), "refill_date": day, "volume_ml": Decimal("4")},
                  by=pump.patient.surgeon.user, now=recorded_at)
    pump.refresh_from_db()
    assert (pump.next_refill_date, pump.alarm_date) == (day, day + timedelta(days=5))


def test_a_backdated_short_fill_due_on_a_date_raised_before_is_raised_again_for_its_own_cycle(fcm_standin):  # noqa: F811
    """The refill recorded on 12 February as of the 11th (the date already raised) is a short fill due the
    11th again: the alert it closed belongs to the cycle before, and the new cycle's miss is raised."""
    pump = pump_in_la(Pump.Drug.BACLOFEN)
    run_jobs(local(date(2027, 2, 12), time(8, 0)))
    first_case = Escalation.objects.get()
    backdated_short_refill(pump, NEXT_REFILL, recorded_at=local(date(2027, 2, 12), time(10, 0)))
    first_case.refresh_from_db()
    assert first_case.resolved_at is not None
    run_jobs(local(date(2027, 2, 12), time(10, 1)))
    new_case = Escalation.objects.get(resolved_at__isnull=True)
    assert new_case.pk != first_case.pk and (new_case.level, new_case.reasons) == ("urgent", ["refill_overdue"])
    alerts = RefillAlert.objects.filter(pump=pump, due_date=NEXT_REFILL, stage="refill_overdue").order_by("id")
    assert [(a.closed_at is None, a.escalation_id) for a in alerts] == [(False, first_case.pk), (True, new_case.pk)]
    assert alerts[0].closed_by_refill == PumpRefill.objects.latest("created_at")  # the first cycle's history kept


def test_the_new_cycles_stage_is_raised_once_however_often_the_jobs_run(fcm_standin):  # noqa: F811
    pump = pump_in_la(Pump.Drug.BACLOFEN)
    run_jobs(local(date(2027, 2, 12), time(8, 0)))
    backdated_short_refill(pump, NEXT_REFILL, recorded_at=local(date(2027, 2, 12), time(10, 0)))
    run_cycle(date(2027, 2, 12), date(2027, 2, 15))
    assert RefillAlert.objects.filter(closed_at__isnull=True).count() == 1
    assert Escalation.objects.filter(resolved_at__isnull=True).count() == 1
    run_jobs(local(date(2027, 2, 16), time(8, 0)))  # the short fill's alarm date: its own stage, once
    assert sorted(RefillAlert.objects.filter(closed_at__isnull=True).values_list("stage", flat=True)) == [
        "refill_alarm_date", "refill_overdue"]
    run_cycle(date(2027, 2, 16), date(2027, 2, 17))
    assert RefillAlert.objects.count() == 3 and Escalation.objects.count() == 2


def test_a_next_refill_date_set_back_to_one_raised_and_closed_is_raised_again_when_missed(fcm_standin):  # noqa: F811
    """Written on the pump directly (the admin's pump form): PATCH refuses a computed or past date."""
    pump = pump_in_la(Pump.Drug.MORPHINE)
    run_jobs(local(date(2027, 2, 12), time(8, 0)))
    refill(pump, date(2027, 2, 13))
    assert RefillAlert.objects.get().closed_at is not None
    Pump.objects.filter(pk=pump.pk).update(next_refill_date=NEXT_REFILL)
    run_jobs(local(date(2027, 2, 14), time(8, 0)))
    assert list(RefillAlert.objects.filter(closed_at__isnull=True).values_list("due_date", "stage")) == [
        (NEXT_REFILL, "refill_overdue")]
    assert Escalation.objects.filter(resolved_at__isnull=True).values_list("reasons", flat=True).get() == [
        "refill_overdue"]


def test_a_case_resolved_without_a_refill_is_not_raised_again_for_the_same_missed_date(fcm_standin):  # noqa: F811
    """Only a refill ends a cycle: the care team that resolved the case (no_action_needed) has seen this miss,
    and is told again at the alarm date, not every run before it."""
    pump_in_la(Pump.Drug.MORPHINE)
    run_jobs(local(date(2027, 2, 12), time(8, 0)))
    Escalation.objects.update(resolved_at=local(date(2027, 2, 12), time(9, 0)), outcome="no_action_needed")
    run_cycle(date(2027, 2, 12), ALARM - timedelta(days=1))
    assert Escalation.objects.count() == 1 and RefillAlert.objects.count() == 1
    run_jobs(local(ALARM, time(8, 0)))
    assert Escalation.objects.filter(resolved_at__isnull=True).values_list("reasons", flat=True).get() == [
        "refill_alarm_date"]


def test_a_new_cycles_alert_joining_an_open_case_pushes_the_patient_though_an_earlier_cycles_did(fcm_standin):  # noqa: F811
    """The patient push of a joined alert is once per alert row, not per (stage, date): the earlier cycle's
    push for the same missed date must not swallow this one."""
    from recovery.services.escalations import raise_case

    pump = pump_in_la(Pump.Drug.MORPHINE)
    at = local(date(2027, 2, 12), time(8, 0))
    raise_case(pump.patient, "urgent", ["fever"], at - timedelta(minutes=5))
    run_jobs(at)  # joins the fever case without a rise: pushed by its advice key
    assert len(patient_advice_pushes(pump)) == 2
    backdated_short_refill(pump, NEXT_REFILL, recorded_at=local(date(2027, 2, 12), time(10, 0)))
    raise_case(pump.patient, "urgent", ["fever"], local(date(2027, 2, 12), time(10, 5)))
    run_jobs(local(date(2027, 2, 12), time(10, 10)))
    assert len(patient_advice_pushes(pump)) == 4  # the new case's own, and the new alert's


def test_the_database_refuses_a_second_open_alert_of_a_stage_but_keeps_closed_ones():
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from tests.factories import RefillAlertFactory

    first = RefillAlertFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RefillAlertFactory(pump=first.pump, due_date=first.due_date)
    RefillAlert.objects.filter(pk=first.pk).update(closed_at=timezone.now())
    RefillAlertFactory(pump=first.pump, due_date=first.due_date)  # a later cycle's, beside the closed one
    assert RefillAlert.objects.filter(pump=first.pump, due_date=first.due_date).count() == 2
