"""The periodic tasks beat runs (settings.CELERY_BEAT_SCHEDULE, copied into django_celery_beat)."""
from __future__ import annotations

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from backend.celery import app


def test_every_beat_entry_names_a_task_the_worker_knows():
    app.loader.import_default_modules()
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= set(app.tasks)


def test_dispatcher_sweep_and_pass_on_run_every_minute():
    assert {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} == {
        "recovery.tasks.dispatch_reminders": 60.0,
        "notifications.tasks.sweep_outbox": 60.0,
        "recovery.tasks.pass_on_overdue_escalations": 60.0,
    }


@pytest.mark.django_db(transaction=True)
def test_database_scheduler_stores_the_schedule_as_periodic_tasks():
    DatabaseScheduler(app=app)
    stored = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= stored
