"""Emergencies never wait behind the daily fan-out: escalation pushes and the daily prompts travel on
different Celery queues (notifications/queues.py), checked through Celery's own router and on the
real Redis broker."""
from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime

import pytest
import redis
from django.db import transaction

from backend.celery import app
from notifications import tasks
from notifications.models import Notification
from notifications.queues import BULK_QUEUE, URGENT_QUEUE
from recovery import tasks as recovery_tasks
from recovery.services import pushes, reminders
from tests.factories import DeviceFactory, EscalationFactory, PatientFactory, SurgeonFactory
from tests.notifications.factories import NotificationFactory

FANOUT_TASKS = [tasks.deliver_bulk_notifications, tasks.sweep_bulk_outbox, recovery_tasks.dispatch_reminders,
                recovery_tasks.dispatch_zone_reminders]
ESCALATION_TASKS = [tasks.deliver_urgent_notifications, tasks.sweep_outbox, tasks.sweep_urgent_outbox,
                    recovery_tasks.pass_on_overdue_escalations]


def queue_of(task_name: str) -> str:
    """The queue Celery publishes this task to (its router, as `.delay()` uses it)."""
    return app.amqp.router.route({}, task_name)["queue"].name


@pytest.mark.parametrize("task", FANOUT_TASKS, ids=lambda task: task.name)
def test_fanout_tasks_never_go_to_the_escalation_queue(task):
    assert queue_of(task.name) == BULK_QUEUE


@pytest.mark.parametrize("task", ESCALATION_TASKS, ids=lambda task: task.name)
def test_escalation_tasks_are_never_routed_to_the_bulk_queue(task):
    assert queue_of(task.name) == URGENT_QUEUE


def test_every_task_of_the_project_has_an_explicit_queue():
    # A task renamed or moved (e.g. into recovery.tasks) without a route would silently fall back to
    # the default queue; this makes the omission fail instead.
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if name.split(".")[0] in {"notifications", "recovery", "backend"}}
    assert ours, "no project tasks registered"
    assert ours <= set(app.conf.task_routes)


def test_the_care_teams_pushes_are_urgent_and_the_reminders_are_not():
    Kind = pushes.PushKind
    assert {kind for kind in Kind if pushes.push(1, kind, "k", {}).urgent} == {
        Kind.ESCALATION, Kind.ESCALATION_PASSED_ON, Kind.ESCALATION_UPDATED, Kind.TRIAGE_ADVICE,
        Kind.CARE_TEAM_MESSAGE, Kind.PATIENT_MESSAGE}
    for rule in reminders.REMINDER_RULES:
        assert not pushes.push(1, rule.kind, "k", {}).urgent


@pytest.mark.django_db
@pytest.mark.parametrize("category", ["emergency", "urgent"])
def test_a_push_of_an_escalation_category_is_written_on_the_urgent_queue_whatever_its_caller_said(category):
    from notifications.services import outbox

    device = DeviceFactory()
    with transaction.atomic():
        outbox.queue_pushes([outbox.Push(user_id=device.user_id, kind="escalation_updated", title="t", body="b",
                                         dedupe_key="k", category=category, topic="escalation:1")])
    assert list(Notification.objects.values_list("queue", flat=True)) == [URGENT_QUEUE]


@pytest.mark.django_db(transaction=True)
def test_news_of_an_acknowledged_case_goes_on_the_urgent_queue(broker):
    """A report joining a case someone acknowledged tells them (escalation_updated): an escalation push, so
    never behind a fan-out, and swept by the urgent sweep if its hand-off to the broker failed."""
    surgeon = SurgeonFactory()
    DeviceFactory(user=surgeon.user)
    case = EscalationFactory(warning_report__patient__surgeon=surgeon, assigned_surgeon=surgeon,
                             acknowledged_at=datetime(2027, 1, 1, tzinfo=UTC), acknowledged_by=surgeon.user)
    broker.delete(URGENT_QUEUE, BULK_QUEUE)
    with transaction.atomic():
        pushes.queue_case_report_added_push(case)
    row = Notification.objects.get(kind="escalation_updated")
    assert (row.queue, row.topic) == (URGENT_QUEUE, f"escalation:{case.pk}")
    assert queued_tasks(broker, URGENT_QUEUE) == [tasks.deliver_urgent_notifications.name]
    assert queued_tasks(broker, BULK_QUEUE) == []


@pytest.fixture
def broker():
    """The Redis the test services run (CELERY_BROKER_URL); each Celery queue is a Redis list."""
    client = redis.Redis.from_url(app.conf.broker_url)
    client.delete(URGENT_QUEUE, BULK_QUEUE)
    yield client
    client.delete(URGENT_QUEUE, BULK_QUEUE)


def queued_tasks(client: redis.Redis, queue: str) -> list[str]:
    return [json.loads(raw)["headers"]["task"] for raw in client.lrange(queue, 0, -1)]


@pytest.mark.django_db(transaction=True)
def test_an_emergency_is_published_on_the_urgent_queue_only(broker):
    surgeon = SurgeonFactory()
    DeviceFactory(user=surgeon.user)
    with transaction.atomic():
        pushes.queue_escalation_pushes(EscalationFactory(patient=PatientFactory(surgeon=surgeon)))
    assert queued_tasks(broker, URGENT_QUEUE) == [tasks.deliver_urgent_notifications.name]
    assert queued_tasks(broker, BULK_QUEUE) == []
    assert set(Notification.objects.values_list("queue", flat=True)) == {URGENT_QUEUE}


@pytest.mark.django_db(transaction=True)
def test_a_daily_fanout_is_published_on_the_bulk_queue_in_tasks_of_500(broker):
    for _ in range(3):
        DeviceFactory(user=PatientFactory(timezone="UTC", surgery_date=date(2026, 1, 1)).user)
    prompted = reminders.dispatch_reminder(reminders.REMINDER_RULES[0],
                                           now=datetime(2026, 1, 15, 20, tzinfo=UTC), batch_size=2)
    assert prompted == 3
    assert queued_tasks(broker, BULK_QUEUE) == [tasks.deliver_bulk_notifications.name] * 2
    assert queued_tasks(broker, URGENT_QUEUE) == []
    assert set(Notification.objects.values_list("queue", flat=True)) == {BULK_QUEUE}


@pytest.mark.django_db(transaction=True)
def test_a_delivery_task_carries_its_rows_ids_and_names_only_how_many_in_its_headers(broker):
    """Celery would write the repr of up to 500 ids into every task message's header: a third of the CPU of
    publishing a fan-out's task, for monitoring to show a list cut at 1,024 characters."""
    for _ in range(3):
        DeviceFactory(user=PatientFactory(timezone="UTC", surgery_date=date(2026, 1, 1)).user)
    reminders.dispatch_reminder(reminders.REMINDER_RULES[0], now=datetime(2026, 1, 15, 20, tzinfo=UTC), batch_size=2)
    messages = [json.loads(raw) for raw in broker.lrange(BULK_QUEUE, 0, -1)]
    assert sorted(message["headers"]["argsrepr"] for message in messages) == [
        "(1 notification ids)", "(2 notification ids)"]
    carried = [json.loads(base64.b64decode(message["body"]))[0][0] for message in messages]
    assert sorted(row_id for ids in carried for row_id in ids) == sorted(
        Notification.objects.values_list("id", flat=True))


@pytest.mark.django_db
def test_an_urgent_worker_handed_prompt_rows_leaves_them_to_the_bulk_workers(fcm_standin):
    prompt = NotificationFactory(kind="checkin_prompt", queue=BULK_QUEUE)
    assert tasks.deliver_urgent_notifications.apply(args=([prompt.pk],)).get() == 0
    assert fcm_standin.received() == []
    assert tasks.deliver_bulk_notifications.apply(args=([prompt.pk],)).get() == 1
    prompt.refresh_from_db()
    assert prompt.status == Notification.Status.SENT
