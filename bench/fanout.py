"""Benchmark (not a test): fan out N due daily check-in prompts through the FCM stand-in.

Prints prompts per second for this code (dispatcher -> outbox rows -> delivery task -> firebase-admin
send_each -> stand-in), for raw `messaging.send_each` of the same number of messages in the same run,
and SQL queries per batch of 500. Run with `make bench` (throwaway PostgreSQL + Redis); see bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

import logging  # noqa: E402

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from firebase_admin import messaging  # noqa: E402

from backend.celery import app as celery_app  # noqa: E402
from notifications import fcm  # noqa: E402
from notifications.models import Device, Notification  # noqa: E402
from notifications.services.devices import token_digest  # noqa: E402
from recovery.models import Patient, PromptLog, Surgeon, User  # noqa: E402
from recovery.services import reminders  # noqa: E402

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "America/Sao_Paulo"]
DUE_AT = datetime(2026, 1, 15, 20, 0, tzinfo=UTC)  # past 09:00 local in every zone above
BULK = 5000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_standin() -> tuple[subprocess.Popen, str]:
    """The stand-in as its own process (as `make run` starts it), counting without recording."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "notifications.fcm_standin", "--port", str(port), "--no-record"],
        stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    process.stdout.readline()
    return process, f"http://127.0.0.1:{port}"


def standin_count(url: str) -> int:
    return json.loads(urllib.request.urlopen(f"{url}/_standin/received").read())["sent_ok"]


def create_patients(count: int) -> None:
    """Activated patients spread over several zones, one push token each (bulk inserts)."""
    Notification.objects.all().delete()
    PromptLog.objects.all().delete()
    Device.objects.all().delete()
    Patient.objects.all().delete()
    Surgeon.objects.all().delete()
    User.objects.filter(username__startswith="bench-").delete()
    surgeon_user = User.objects.create(username="bench-surgeon", role=User.Role.SURGEON, password="!")
    surgeon = Surgeon.objects.create(user=surgeon_user, display_name="Dr. Bench")
    for start in range(0, count, BULK):
        numbers = range(start, min(start + BULK, count))
        users = User.objects.bulk_create(
            User(username=f"bench-patient-{n}", role=User.Role.PATIENT, password="!") for n in numbers
        )
        Patient.objects.bulk_create(
            Patient(user=user, surgeon=surgeon, display_name=f"Bench {n}", surgery_date=DUE_AT.date(),
                    timezone=ZONES[n % len(ZONES)], checkin_time=clock(9, 0))
            for n, user in zip(numbers, users, strict=True)
        )
        Device.objects.bulk_create(
            Device(user=user, token=f"bench-token-{n}-" + "x" * 100,
                   token_digest=token_digest(f"bench-token-{n}-" + "x" * 100), platform="android")
            for n, user in zip(numbers, users, strict=True)
        )


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def bench_this_code(count: int) -> tuple[float, int, int]:
    """Dispatch every due prompt; delivery runs in-process (Celery eager) through the real SDK."""
    celery_app.conf.task_always_eager = True
    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        prompted = reminders.dispatch_reminder(reminders.REMINDER_RULES[0], now=DUE_AT)
    elapsed = time.perf_counter() - started
    assert prompted == count, (prompted, count)
    sent = Notification.objects.filter(status=Notification.Status.SENT).count()
    assert sent == count, (sent, count)
    return elapsed, counter.count, -(-count // reminders.PROMPT_BATCH_SIZE)


def bench_raw_send_each(count: int) -> float:
    """The same number of messages straight through messaging.send_each, 500 at a time, no database."""
    app = fcm.get_app()
    fcm.messaging_service()  # apply the FCM_ENDPOINT seam
    pushes = [fcm.PushMessage(token=f"raw-token-{n}", title="Time for your daily check-in",
                              body="Open the app to check in.", data={"kind": "checkin_prompt"})
              for n in range(count)]
    started = time.perf_counter()
    for start in range(0, count, fcm.MAX_BATCH):
        batch = [fcm.build_message(p) for p in pushes[start : start + fcm.MAX_BATCH]]
        response = messaging.send_each(batch, app=app)
        assert response.failure_count == 0
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    args = parser.parse_args()
    logging.getLogger("celery").setLevel(logging.WARNING)
    if connection.vendor != "postgresql":
        sys.exit("Run through scripts/with-test-services.sh (make bench): the benchmark needs PostgreSQL.")
    call_command("migrate", verbosity=0)
    standin, url = start_standin()
    settings.FCM_ENDPOINT = url
    try:
        print(f"creating {args.patients} patients with one device each ...", flush=True)
        create_patients(args.patients)
        elapsed, queries, batches = bench_this_code(args.patients)
        raw = bench_raw_send_each(args.patients)
        received = standin_count(url)
    finally:
        standin.terminate()
        standin.wait(timeout=10)
    print(f"patients / prompts:            {args.patients}")
    print(f"this code (dispatch+deliver):  {args.patients / elapsed:,.0f} prompts/s ({elapsed:.1f} s)")
    print(f"raw messaging.send_each:       {args.patients / raw:,.0f} messages/s ({raw:.1f} s)")
    print(f"SQL queries:                   {queries} in {batches} batches = {queries / batches:.1f} per batch "
          "(dispatcher and delivery together)")
    print(f"stand-in accepted:             {received} messages (expected {2 * args.patients})")


if __name__ == "__main__":
    main()
