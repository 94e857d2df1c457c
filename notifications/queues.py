"""The Celery queues a push travels on, so that care-team pushes never wait behind the daily fan-out.

Two queues, each served by its own worker processes (docker-compose.yml, scripts/run-local.sh):
- URGENT: escalation pushes, passed-on escalations and the care team's messages to a patient (the
  caller says so: outbox.Push(urgent=True)), and the periodic jobs that produce or sweep them. Its
  workers take nothing else, so an emergency is sent while a 100,000-patient fan-out is still queued.
- BULK: the scheduled prompts and reminders, 500 rows per delivery task; any number of bulk worker
  processes (on any number of machines) share a fan-out, each batch claimed with SKIP LOCKED.
Each outbox row stores its queue (Notification.queue), so the sweeps keep the two apart too. The
task -> queue table is settings.CELERY_TASK_ROUTES; tests/notifications/test_queues.py checks it
through Celery's own router and on the Redis broker.
"""
from __future__ import annotations

URGENT_QUEUE = "urgent"
BULK_QUEUE = "bulk"
QUEUES = (URGENT_QUEUE, BULK_QUEUE)
