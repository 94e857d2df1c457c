"""The periodic tasks beat runs (settings.CELERY_BEAT_SCHEDULE, copied into django_celery_beat)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery import beat
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from backend.celery import app
from notifications.tasks import sweep_outbox, sweep_urgent_outbox
from recovery.tasks import dispatch_reminders, pass_on_overdue_escalations, run_refill_safety_net


def test_every_beat_entry_names_a_task_the_worker_knows():
    app.loader.import_default_modules()
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= set(app.tasks)


class RecordingBeat(beat.Scheduler):
    """Celery beat's own scheduler on the settings' schedule; what it decides to send is recorded with
    the (simulated) time instead of being published."""

    producer = None  # type: ignore[assignment]  # nothing is published: no broker connection

    def __init__(self) -> None:
        self.sent: list[tuple[datetime, str]] = []
        super().__init__(app=app)

    def apply_entry(self, entry: beat.ScheduleEntry, producer: object = None) -> None:
        self.sent.append((app.now(), str(entry.task)))


START = datetime(2026, 1, 5, 12, 0, 30, tzinfo=UTC)


def gaps_between_sends(minutes: int) -> dict[str, list[float]]:
    """Beat's own loop over `minutes` of simulated time from START: for each task it sent, the seconds from
    START to its first send and between its sends."""
    with time_machine.travel(START, tick=False) as clock:
        scheduler = RecordingBeat()
        while app.now() < START + timedelta(minutes=minutes):
            # beat's loop: tick, then sleep as long as it asks (and a tick itself takes time)
            clock.shift(max(scheduler.tick(), 0.05))
    gaps: dict[str, list[float]] = {}
    for name in {name for _at, name in scheduler.sent}:
        times = [at for at, sent in scheduler.sent if sent == name]
        gaps[name] = [(later - earlier).total_seconds() for earlier, later in zip([START, *times], times, strict=False)]
    return gaps


def test_beat_sends_the_reminder_dispatcher_the_outbox_sweep_and_the_pass_on_every_minute():
    gaps = gaps_between_sends(minutes=10)
    for task in (dispatch_reminders, sweep_outbox, pass_on_overdue_escalations, run_refill_safety_net):
        assert len(gaps[task.name]) >= 9 and max(gaps[task.name]) <= 61, (task.name, gaps[task.name])


def test_beat_sweeps_the_urgent_outbox_every_10_seconds_between_the_full_sweeps():
    """An escalation push a failed hand-off left due waits seconds once Redis is back, not a minute."""
    urgent = gaps_between_sends(minutes=2)[sweep_urgent_outbox.name]
    assert len(urgent) >= 11 and max(urgent) <= 11, urgent


@pytest.mark.django_db(transaction=True)
def test_database_scheduler_stores_the_schedule_as_periodic_tasks():
    DatabaseScheduler(app=app)
    stored = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= stored



@pytest.mark.django_db(transaction=True)
def test_an_urgent_sweep_not_started_in_its_interval_expires_instead_of_piling_up():
    """While the urgent workers are down beat keeps sending sweeps; each expires after its interval (as the
    production scheduler stores and sends it)."""
    DatabaseScheduler(app=app)
    stored = PeriodicTask.objects.get(name="sweep-urgent-outbox")
    assert stored.expire_seconds == stored.interval.every == settings.URGENT_SWEEP_SECONDS == 10
