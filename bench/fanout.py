"""Benchmark (not a test): the daily fan-out, emergencies during it, and the API, in one run.

Prints, against the throwaway PostgreSQL + Redis of scripts/with-test-services.sh and the FCM stand-in
as its own process (see bench/README.md):
1. raw send paths, same messages, no database: the product's pooled keep-alive sender on pycurl, the
   urllib3 keep-alive sender on threads, firebase-admin `send_each`, `send_each_async`, persistent
   threads on the SDK's requests session, and fcm-django's bulk send;
2. this code: N due daily check-in prompts (dispatcher -> outbox rows -> bulk-queue delivery tasks on a
   real Celery worker -> stand-in), and the time until every row is marked sent: the fan-out alone, in rounds
   between runs of the fastest raw path (R F R F R ...; each fan-out against the raw runs around it, the
   median of the rounds);
3. the same fan-out again with an emergency reported every 0.2 s, and the escalation push latency (report
   written -> FCM accepted) idle and during it, served by the urgent-queue worker;
4. API req/s and p99 on gunicorn with 2 workers (bench/api.py).
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django  # noqa: E402
import firebase_admin  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from firebase_admin import messaging  # noqa: E402

from backend.celery import app as celery_app  # noqa: E402
from backend.celery import patient_broker_timeouts_for_workers  # noqa: E402
from notifications import fcm  # noqa: E402
from notifications.models import Device, Notification  # noqa: E402
from notifications.services.devices import token_digest  # noqa: E402
from recovery.models import Escalation, Patient, PromptLog, Surgeon, User, WarningReport  # noqa: E402
from recovery.services import reminders, reports  # noqa: E402

Reporters = list[tuple[Patient, Surgeon]]  # a not-yet-activated patient and the surgeon their emergency alerts
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "America/Sao_Paulo"]
# 18:00 UTC: past the 09:00 check-in time and before the 21:00 quiet hours in every zone above.
DUE_AT = datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
BULK = 5000
ESCALATION_TOKEN = "bench-escalation-"  # noqa: S105 - a push token prefix, not a password
WARM_UP = 3  # escalations sent before the idle ones are timed: the urgent worker opens its connections
LOGS = ROOT / "bench" / "results"  # worker logs of the last run (not committed)
FCM_DJANGO_VERSION = "3.2.0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- The stand-in ------------------------------------------------------------------------------

def start_standin(record: str = "tokens") -> tuple[subprocess.Popen, str]:
    """The stand-in as its own process, by default recording per token (each patient exactly once; latency)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "notifications.fcm_standin", "--port", str(port), "--record", record],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    assert process.stdout is not None
    process.stdout.readline()
    return process, f"http://127.0.0.1:{port}"


def standin(url: str, path: str, post: bool = False) -> dict:
    request = urllib.request.Request(f"{url}{path}", data=b"{}" if post else None, method="POST" if post else "GET")
    return json.loads(urllib.request.urlopen(request).read())


# --- Data ----------------------------------------------------------------------------------------

def create_patients(count: int, escalations: int) -> Reporters:
    """N activated patients over five zones with one push token each (bulk inserts), and `escalations`
    surgeons with a device each and a not-yet-activated patient of theirs to report an emergency."""
    Notification.objects.all().delete()
    PromptLog.objects.all().delete()
    Device.objects.all().delete()
    Escalation.objects.all().delete()
    WarningReport.objects.all().delete()
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
    pairs = []
    for k in range(escalations):
        user = User.objects.create(username=f"bench-oncall-{k}", role=User.Role.SURGEON, password="!")
        oncall = Surgeon.objects.create(user=user, display_name=f"Dr. Oncall {k}")
        token = f"{ESCALATION_TOKEN}{k}-" + "y" * 100
        Device.objects.create(user=user, token=token, token_digest=token_digest(token), platform="ios")
        pairs.append((Patient.objects.create(surgeon=oncall, display_name=f"Reporter {k}",
                                             surgery_date=DUE_AT.date()), oncall))
    # A production database has statistics of its tables (autovacuum); these were filled a second ago. The
    # outbox's statistics are from before the fan-out (next to no due rows), as they would be in production.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return pairs


def report_emergency(patient: Patient, surgeon: Surgeon) -> float:
    """An emergency report through the report service the phone API calls (report, triage, case, its
    pushes and the reachability check of the team, in one transaction). Returns the moment it started
    (time.time())."""
    started = time.time()
    data = {"client_id": uuid.uuid4(), "symptoms": ["difficulty_breathing"]}
    submission = reports.submit_warning_report(patient, data)
    assert submission.escalation is not None and submission.escalation.assigned_surgeon_id == surgeon.pk
    return started


# --- Raw send paths (no database) ---------------------------------------------------------------

def raw_messages(count: int) -> list[list[messaging.Message]]:
    pushes = [fcm.PushMessage(token=f"raw-token-{n}", title="Time for your daily check-in",
                              body="Open the app to check in.", data={"kind": "checkin_prompt"})
              for n in range(count)]
    return [[fcm.build_message(p) for p in pushes[i : i + fcm.MAX_BATCH]] for i in range(0, count, fcm.MAX_BATCH)]


def timed(batches: list[list[messaging.Message]],
          send: Callable[[list[messaging.Message]], messaging.BatchResponse]) -> float:
    started = time.perf_counter()
    for batch in batches:
        response = send(batch)
        assert response.failure_count == 0, [r.exception for r in response.responses if r.exception][:3]
    return time.perf_counter() - started


class SdkSessionThreads:
    """Persistent threads calling exactly what send_each calls per message, on the SDK's own requests
    session (keep-alive): what remains of send_each's cost without its 500 fresh threads per call."""

    def __init__(self, threads: int) -> None:
        self.service = fcm.messaging_service()
        self.executor = ThreadPoolExecutor(threads)

    def one(self, data: dict) -> messaging.SendResponse:
        try:
            answer = self.service._client.body("post", url=self.service._fcm_url,
                                               headers=dict(self.service._fcm_headers), json=data)
        except requests.exceptions.RequestException as exc:
            return messaging.SendResponse(None, self.service._handle_fcm_error(exc))
        return messaging.SendResponse(answer, None)

    def send(self, batch: list[messaging.Message]) -> messaging.BatchResponse:
        return messaging.BatchResponse(list(self.executor.map(
            self.one, [self.service._message_data(m, False) for m in batch])))


PYCURL = "pooled keep-alive sender, pycurl (product)"  # the fastest raw path in every run so far


def bench_raw_paths(count: int, async_count: int, standin_pid: int) -> dict[str, float]:
    """Messages per second for each raw path, one after the other, same messages, same stand-in."""
    app = fcm.get_app()
    fcm.messaging_service()  # apply the FCM_ENDPOINT seam
    batches = raw_messages(count)
    rates: dict[str, float] = {}
    rates[PYCURL] = bench_raw_pycurl(batches, standin_pid).rate
    rates["keep-alive sender, urllib3 threads"] = count / timed(batches, fcm.keep_alive_sender().send_each)
    rates["send_each"] = count / timed(batches, lambda b: messaging.send_each(b, app=app))
    loop = asyncio.new_event_loop()  # one loop: the SDK's httpx client keeps its connections on it
    async_batches = raw_messages(min(async_count, count))
    rates["send_each_async"] = min(async_count, count) / timed(
        async_batches, lambda b: loop.run_until_complete(messaging.send_each_async(b, app=app)))
    rates[f"SDK session, {settings.FCM_SEND_THREADS} threads"] = count / timed(
        batches, SdkSessionThreads(settings.FCM_SEND_THREADS).send)
    fcm_django = bench_fcm_django(count, app)
    if fcm_django:
        rates[f"fcm-django {FCM_DJANGO_VERSION} send_message"] = fcm_django
    return rates


@dataclass(frozen=True)
class RawRun:
    rate: float  # messages/s
    sender_ms: float  # CPU per message of this process (the sender), and of the stand-in
    standin_ms: float


def bench_raw_pycurl(batches: list[list[messaging.Message]], standin_pid: int) -> RawRun:
    """The fastest raw path, with its CPU per message: among the raw paths, and again just before and just after
    the fan-out, so the ratio is taken against the raw path in the same minute (this machine's speed drifts by up
    to a half within an hour)."""
    count = sum(map(len, batches))
    sender_before, standin_before = time.process_time(), cpu_seconds_of(standin_pid)
    seconds = timed(batches, fcm.curl_sender().send_each)
    return RawRun(count / seconds, 1000 * (time.process_time() - sender_before) / count,
                  1000 * (cpu_seconds_of(standin_pid) - standin_before) / count)


def bench_fcm_django(count: int, app: firebase_admin.App) -> float | None:
    """fcm-django's bulk send (FCMDevice queryset -> send_each per 500) for `count` devices."""
    if "fcm_django" not in settings.INSTALLED_APPS:
        print("fcm-django not installed (make bench installs it into .bench-deps); skipped", flush=True)
        return None
    from fcm_django.models import FCMDevice  # type: ignore[import-not-found]

    FCMDevice.objects.all().delete()
    FCMDevice.objects.bulk_create(
        FCMDevice(registration_id=f"fcm-django-token-{n}", type="android", active=True) for n in range(count)
    )
    message = messaging.Message(notification=messaging.Notification(title="Time for your daily check-in",
                                                                    body="Open the app to check in."),
                                data={"kind": "checkin_prompt"})
    started = time.perf_counter()
    result = FCMDevice.objects.all().send_message(message, app=app)
    elapsed = time.perf_counter() - started
    assert result.response.failure_count == 0 and len(result.registration_ids_sent) == count
    FCMDevice.objects.all().delete()
    return count / elapsed


# --- This code with real workers ------------------------------------------------------------------

def start_workers(url: str, bulk_processes: int) -> list[subprocess.Popen]:
    """The two kinds of worker `make run` and docker-compose start: urgent-only, and bulk at nice 10."""
    env = {**os.environ, "FCM_ENDPOINT": url, "DJANGO_SETTINGS_MODULE": "backend.settings", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}
    common = [sys.executable, "-m", "celery", "-A", "backend", "worker", "-l", "warning",
              "--without-mingle", "--without-gossip"]
    LOGS.mkdir(parents=True, exist_ok=True)
    workers = [
        subprocess.Popen([*common, "-Q", "urgent", "-n", "bench-urgent@%h", "--concurrency", "1"], env=env, cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=(LOGS / "worker-urgent.log").open("w")),
        subprocess.Popen(["nice", "-n", "10", *common, "-Q", "bulk", "-n", "bench-bulk@%h",
                          "--concurrency", str(bulk_processes)], env=env, cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=(LOGS / "worker-bulk.log").open("w")),
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(celery_app.control.ping(timeout=1.0) or []) >= 2:
            return workers
    raise RuntimeError("the workers did not answer within 60 s")


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def latencies(url: str, started: dict[str, float], timeout: float = 60) -> list[float]:
    """Seconds from report to FCM acceptance for each escalation token in `started`."""
    deadline = time.monotonic() + timeout
    while True:
        arrived = standin(url, f"/_standin/tokens?prefix={ESCALATION_TOKEN}")["first_accepted_at"]
        if all(token in arrived for token in started) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    missing = [t for t in started if t not in arrived]
    assert not missing, f"{len(missing)} escalation pushes never reached the stand-in"
    return [arrived[token] - at for token, at in started.items()]


def fire_escalations(reporters: Reporters, every: float, stop: threading.Event | None, limit: int) -> dict[str, float]:
    started: dict[str, float] = {}
    for patient, surgeon in reporters[:limit]:
        if stop is not None and stop.is_set():
            break
        token = Device.objects.get(user_id=surgeon.user_id).token
        started[token] = report_emergency(patient, surgeon)
        time.sleep(every)
    connection.close()
    return started


def sweep_like_beat(stop: threading.Event, every: float = 60.0) -> None:
    """What beat does during a fan-out: the outbox sweep every minute (urgent, then bulk), so a row whose
    hand-off to the broker failed is sent as in production, and counted in the time."""
    from notifications.tasks import sweep_outbox

    while not stop.wait(every):
        sweep_outbox.delay()


POLL_SECONDS = 0.05


def forget_the_fan_out() -> None:
    """Make every patient due again for another fan-out: its prompts and their log gone, the two tables rewritten
    (VACUUM FULL) so that each fan-out appends to them as the first did. With a plain VACUUM each round filled the
    space the last one freed, and PostgreSQL's CPU per prompt rose from round to round (0.079, 0.091, 0.122 ms)."""
    Notification.objects.filter(kind="checkin_prompt").delete()
    PromptLog.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM FULL ANALYZE {Notification._meta.db_table}, {PromptLog._meta.db_table}")


def bench_fanout(count: int, url: str, reporters: Reporters, every: float,
                 cpu_of: Callable[[], dict[str, float]]) -> tuple[float, float, dict[str, float], dict[str, float]]:
    """Dispatch N due prompts (dispatcher in this process, delivery on the bulk worker) while reporting an
    emergency every `every` s; returns (dispatch s, until all sent s, escalation starts, CPU s per part)."""
    standin(url, "/_standin/reset", post=True)
    cpu_before = cpu_of()
    done = threading.Event()
    result: dict[str, dict[str, float]] = {}
    firing = threading.Thread(
        target=lambda: result.update(started=fire_escalations(reporters, every, done, len(reporters))))
    sweeping = threading.Thread(target=sweep_like_beat, args=(done,), daemon=True)
    started = time.perf_counter()
    firing.start()
    sweeping.start()
    prompted = reminders.dispatch_reminder(reminders.REMINDER_RULES[0], now=DUE_AT)
    dispatched = time.perf_counter() - started
    assert prompted == count, (prompted, count)
    # Polled every 50 ms (the stand-in's summary is constant-time): at 0.25 s, the polls alone added up to half
    # a second to a 15-s fan-out, while each raw path is timed to the return of its last send.
    while standin(url, "/_standin/tokens")["sent_ok"] < count:
        time.sleep(POLL_SECONDS)
    while Notification.objects.filter(kind="checkin_prompt", status=Notification.Status.SENT).count() < count:
        time.sleep(POLL_SECONDS)
    elapsed = time.perf_counter() - started
    cpu_after = cpu_of()
    done.set()
    firing.join()
    return dispatched, elapsed, result["started"], {part: cpu_after[part] - cpu_before[part] for part in cpu_after}


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds_of(pid: int, with_children: bool = True) -> float:
    """User + system CPU of a process so far (/proc/<pid>/stat), and of its live descendants (a Celery
    worker's pool processes) when `with_children`; 0 for a process that is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    total = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    if with_children:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except FileNotFoundError:
                continue
            total += sum(cpu_seconds_of(int(child)) for child in children)
    return total


def postgres_cpu_seconds() -> float:
    """CPU of the whole PostgreSQL cluster so far: the postmaster, its live processes (backends, walwriter,
    autovacuum ...) and the ones it has reaped (cutime + cstime). Found from this connection's backend."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    return cpu_seconds_of(postmaster) + (int(fields[13]) + int(fields[14])) / CLOCK_TICKS


def statement_stats_enabled() -> bool:
    """Whether the cluster was started with pg_stat_statements (PG_EXTRA_OPTIONS of with-test-services.sh)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW shared_preload_libraries")
        if "pg_stat_statements" not in cursor.fetchone()[0]:
            return False
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    return True


def reset_statement_stats() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_statements_reset()")


def print_statement_stats(prompts: int, top: int = 12) -> None:
    """The statements that cost PostgreSQL most during the fan-out, per prompt."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT total_exec_time, total_plan_time, calls, rows, shared_blks_hit + shared_blks_read, "
            "shared_blks_dirtied, wal_bytes, wal_fpi, left(regexp_replace(query, '\\s+', ' ', 'g'), 150) "
            "FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT %s", [top])
        rows = cursor.fetchall()
        cursor.execute("SELECT sum(total_exec_time + total_plan_time), sum(wal_bytes) FROM pg_stat_statements")
        total_ms, total_wal = cursor.fetchone()
    print(f"pg_stat_statements, all statements: {1000 * float(total_ms) / prompts:.1f} us exec+plan per prompt, "
          f"{float(total_wal) / prompts:,.0f} WAL bytes per prompt")
    print("  us/prompt exec+plan | calls | rows | blocks hit+read / dirtied per prompt | WAL bytes/prompt | query")
    for exec_ms, plan_ms, calls, nrows, blocks, dirtied, wal, _fpi, query in rows:
        print(f"  {1000 * (exec_ms + plan_ms) / prompts:7.1f} | {calls:7d} | {nrows:8d} | "
              f"{blocks / prompts:6.2f} / {dirtied / prompts:5.3f} | {float(wal) / prompts:7.0f} | {query}")


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy so far (/proc/stat: all but idle and iowait), every process's."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / CLOCK_TICKS


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def describe(values: list[float]) -> str:
    return (f"p50 {1000 * pct(values, 50):,.0f} ms, p95 {1000 * pct(values, 95):,.0f} ms, "
            f"p99 {1000 * pct(values, 99):,.0f} ms, max {1000 * max(values):,.0f} ms (n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--raw-messages", type=int, default=20_000, help="messages per raw send path")
    parser.add_argument("--bracket-messages", type=int, default=None,
                        help="messages of each raw pycurl run just before and just after the fan-out (default: as "
                             "many as the fan-out's prompts, so each lasts about as long as the fan-out it is compared "
                             "with)")
    parser.add_argument("--async-messages", type=int, default=2_000,
                        help="messages for send_each_async (tens per second here: kept short)")
    parser.add_argument("--bulk-processes", type=int, default=settings.CELERY_WORKER_CONCURRENCY,
                        help="bulk worker processes (default: as the bulk worker of make run, cores + 1)")
    parser.add_argument("--escalations", type=int, default=400, help="at most this many during the fan-out")
    parser.add_argument("--escalation-every", type=float, default=0.2, help="seconds between emergencies")
    parser.add_argument("--rounds", type=int, default=3,
                        help="fan-outs alone, each between two raw pycurl runs (R F R F R ...): the median counts")
    parser.add_argument("--skip-api", action="store_true")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    logging.disable(logging.WARNING)  # e.g. urllib3's pool warnings under send_each's 500 threads
    if connection.vendor != "postgresql":
        sys.exit("Run through scripts/with-test-services.sh (make bench): the benchmark needs PostgreSQL.")
    # The dispatcher runs here, in production it is a task on a bulk worker: give this process a worker's
    # broker timeouts (a web process's 0.25 s would leave batches to the sweep whenever Redis is slow).
    patient_broker_timeouts_for_workers(celery_app.conf)
    print(f"load average at start: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}, "
          f"{os.cpu_count()} cores", flush=True)
    call_command("migrate", verbosity=0)
    process, url = start_standin()
    settings.FCM_ENDPOINT = url
    idle_count = 50
    workers: list[subprocess.Popen] = []
    statements = False
    try:
        print(f"creating {args.patients} patients with one device each ...", flush=True)
        reporters = create_patients(args.patients, idle_count + args.escalations)
        print(f"raw send paths, {args.raw_messages} messages each ...", flush=True)
        raw = bench_raw_paths(args.raw_messages, args.async_messages, process.pid)
        workers = start_workers(url, args.bulk_processes)
        latencies(url, fire_escalations(reporters[:WARM_UP], 0.1, None, WARM_UP))  # first connections, not timed
        idle = latencies(url, fire_escalations(reporters[WARM_UP:], 0.1, None, idle_count - WARM_UP))
        print(f"fan-out of {args.patients} prompts with a real worker, alone and then with emergencies ...", flush=True)
        load_before = os.getloadavg()[0]
        def cpu_of() -> dict[str, float]:
            return {"bulk worker": cpu_seconds_of(workers[1].pid), "stand-in": cpu_seconds_of(process.pid),
                    "dispatcher (this process)": time.process_time(), "urgent worker": cpu_seconds_of(workers[0].pid),
                    "PostgreSQL": postgres_cpu_seconds(), "whole machine": machine_busy_seconds()}

        statements = statement_stats_enabled()
        # 1. The fan-out alone (the fan-out rate and its ratios), in rounds between runs of the fastest raw
        # path: R F R F R ... This machine's speed swings by a fifth within a minute (bench/README.md, "Tenth
        # pass"); each fan-out is compared with the raw runs on either side of it, and the rounds' median is the
        # figure. Each raw run is as long as a fan-out: a 2-s burst catches this machine's fast moments, which the
        # 12-s fan-out averages over ("Eighth pass").
        bracket = args.bracket_messages or args.patients
        raw_runs = [bench_raw_pycurl(raw_messages(bracket), process.pid)]
        alone: list[tuple[float, dict[str, float]]] = []  # (seconds until all sent, CPU seconds per part)
        for round_number in range(args.rounds):
            if round_number:
                forget_the_fan_out()
            _, alone_elapsed, _, alone_cpu = bench_fanout(args.patients, url, [], args.escalation_every, cpu_of)
            alone.append((alone_elapsed, alone_cpu))
            raw_runs.append(bench_raw_pycurl(raw_messages(bracket), process.pid))
        forget_the_fan_out()
        # 2. The same fan-out with an emergency every `escalation_every` s: their push latency, and the rate then.
        if statements:
            reset_statement_stats()
        dispatched, elapsed, started, cpu = bench_fanout(args.patients, url, reporters[idle_count:],
                                                         args.escalation_every, cpu_of)
        during = latencies(url, started)
        tokens = standin(url, "/_standin/tokens")
        load_after = os.getloadavg()[0]
    finally:
        stop_workers(workers)
        process.terminate()
        process.wait(timeout=10)
    at_start = raw[PYCURL]
    raw[PYCURL] = max(at_start, *(run.rate for run in raw_runs))  # its fastest run of the whole bench
    fastest_name, fastest = max(raw.items(), key=lambda item: item[1])
    rates = [args.patients / elapsed for elapsed, _ in alone]
    this_code = statistics.median(rates)
    around = list(itertools.pairwise(raw_runs))  # the raw runs just before and just after each fan-out
    to_mean = [rate / ((before.rate + after.rate) / 2) for rate, (before, after) in zip(rates, around, strict=True)]
    to_faster = [rate / max(before.rate, after.rate) for rate, (before, after) in zip(rates, around, strict=True)]
    print()
    print(f"fan-out alone, this code:      {this_code:,.0f} prompts/s, the median of {len(rates)} rounds "
          f"({', '.join(f'{rate:,.0f}' for rate in rates)}); {args.patients} prompts all sent in "
          f"{', '.join(f'{seconds:.1f}' for seconds, _ in alone)} s (bulk worker of {args.bulk_processes} processes)")
    print(f"  100,000 patients:            {100_000 / this_code:.0f} s at this rate")
    print(f"  raw pycurl at the start        {at_start:7,.0f} messages/s")
    for number, run in enumerate(raw_runs):
        when = f"before round {number + 1}" if number < len(alone) else "after the last round"
        print(f"  raw pycurl {when:20s} {run.rate:7,.0f} messages/s ({bracket:,} messages; CPU per message: sender "
              f"{run.sender_ms:.3f} ms, stand-in {run.standin_ms:.3f} ms)")
    for number, ((_, round_cpu), rate, mean_ratio, faster_ratio) in enumerate(
            zip(alone, rates, to_mean, to_faster, strict=True), start=1):
        print(f"  round {number}: {rate:,.0f} prompts/s; this code / raw around it: {mean_ratio:.2f} (their "
              f"mean), {faster_ratio:.2f} (the faster); CPU per prompt: " + ", ".join(
                  f"{part} {1000 * seconds / args.patients:.3f} ms" for part, seconds in round_cpu.items()))
    for name, rate in raw.items():
        print(f"raw {name:42s} {rate:7,.0f} messages/s   this code / it = {this_code / rate:.2f}")
    print(f"this code / fastest raw in the same minute, median of the rounds: {statistics.median(to_mean):.2f} "
          f"against the mean of the raw runs around each fan-out, {statistics.median(to_faster):.2f} against the "
          f"faster of the two")
    print(f"this code / fastest raw of the whole run ({fastest_name}, its fastest run, minutes apart) = "
          f"{this_code / fastest:.2f}")
    fcm_django = [rate for name, rate in raw.items() if name.startswith("fcm-django")]
    if fcm_django:
        print(f"this code / fcm-django = {this_code / fcm_django[0]:.2f}")
    print()
    print(f"fan-out with an emergency every {args.escalation_every} s: {args.patients / elapsed:,.0f} prompts/s, "
          f"all sent in {elapsed:.1f} s (dispatcher done after {dispatched:.1f} s); this / fastest raw = "
          f"{args.patients / elapsed / fastest:.2f}")
    print(f"  stand-in:                    {tokens['distinct_tokens']} tokens, at most {tokens['max_per_token']} "
          f"message per token")
    print("  CPU per prompt: " + ", ".join(
        f"{part} {1000 * seconds / args.patients:.3f} ms" for part, seconds in cpu.items()))
    print(f"escalation push latency, idle:            {describe(idle)}")
    print(f"escalation push latency, during fan-out:  {describe(during)}")
    print(f"load average (1 min) before / after the fan-outs: {load_before:.2f} / {load_after:.2f}")
    if statements:
        print_statement_stats(args.patients)
    if not args.skip_api:
        from bench import api

        # The fan-out left 100,000 updated outbox and prompt rows; autovacuum would clean them up during the API
        # pass and compete with it for the two cores, and so would the checkpoint writing out the pages they
        # dirtied. Done here first, the API pass measures the API (its create_data analyzes the tables afterwards).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
            cursor.execute("CHECKPOINT")
        connection.close()
        api.main()


if __name__ == "__main__":
    main()
