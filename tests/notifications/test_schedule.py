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


def test_beat_sends_the_reminder_dispatcher_the_outbox_sweep_and_the_pass_on_every_minute():
    start = datetime(2026, 1, 5, 12, 0, 30, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        scheduler = RecordingBeat()
        while app.now() < start + timedelta(minutes=10):
            # beat's loop: tick, then sleep as long as it asks (and a tick itself takes time)
            clock.shift(max(scheduler.tick(), 0.05))
    for task in (dispatch_reminders, sweep_outbox, pass_on_overdue_escalations, run_refill_safety_net):
        times = [at for at, name in scheduler.sent if name == task.name]
        assert len(times) >= 9, task.name
        gaps = [(later - earlier).total_seconds() for earlier, later in zip([start, *times], times, strict=False)]
        assert max(gaps) <= 61, (task.name, gaps)


def test_beat_sweeps_the_urgent_outbox_every_10_seconds_between_the_full_sweeps():
    """An escalation push a failed hand-off left due waits seconds once Redis is back, not a minute."""
    start = datetime(2026, 1, 5, 12, 0, 30, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        scheduler = RecordingBeat()
        while app.now() < start + timedelta(minutes=2):
            clock.shift(max(scheduler.tick(), 0.05))
    times = [at for at, name in scheduler.sent if name == sweep_urgent_outbox.name]
    gaps = [(later - earlier).total_seconds() for earlier, later in zip([start, *times], times, strict=False)]
    assert len(times) >= 11 and max(gaps) <= 11, gaps


@pytest.mark.django_db(transaction=True)
def test_database_scheduler_stores_the_schedule_as_periodic_tasks():
    DatabaseScheduler(app=app)
    stored = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= stored
