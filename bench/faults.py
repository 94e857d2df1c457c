"""Fault injection against a running stack: for each fault, emergency reports go in through the API and
the script counts what the surgeons' phones (the FCM stand-in) got.

    make faults          # or: .venv/bin/python bench/faults.py [--reports 4]

It starts a production-shaped stack of its own, all on loopback ports of its own: a PostgreSQL 15
cluster (initdb in a temporary directory), a Redis server, the FCM stand-in process, gunicorn with three
workers, and the Celery workers of the urgent (2 processes) and bulk (1) queues. Beat is not
started: the script sends the sweep task itself instead of waiting for the next minute. It never
touches another PostgreSQL or Redis.

Per fault it prints: sent (emergency reports the API accepted), delivered (escalations whose push the
stand-in accepted for a surgeon, assignee or backup), pending (not yet delivered, rows still due), lost
(neither: no row left that will ever deliver it), and notes (answer times, statuses).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "pump-faults-2026!"  # noqa: S105 - a throwaway stack's own logins


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = condition()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


# --- The stack ---------------------------------------------------------------------------------

class Stack:
    """PostgreSQL, Redis, the FCM stand-in, gunicorn and a Celery worker, each its own process."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="pump-faults-")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.pg_port, self.redis_port = free_port(), free_port()
        self.fcm_port, self.web_port = free_port(), free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg_port}/postgres",
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CACHE_URL": f"rediscache://127.0.0.1:{self.redis_port}/1",
            "FCM_ENDPOINT": f"http://127.0.0.1:{self.fcm_port}",
            "LOG_LEVEL": "WARNING",
            "ESCALATION_EMERGENCY_ACK_MINUTES": "15",
            # The surgeons log in to the API with their password (Scenario.login); two-factor is not under test.
            "STAFF_TWO_FACTOR_REQUIRED": "false",
        }

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def fcm(self) -> str:
        return f"http://127.0.0.1:{self.fcm_port}"

    def _spawn(self, name: str, command: list[str]) -> None:
        log = open(os.path.join(self.dir, f"{name}.log"), "ab")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=log,
                                                start_new_session=True)

    def start(self) -> None:
        data = os.path.join(self.dir, "pg")
        subprocess.run(as_postgres([str(PG_BIN / "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                                    "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
        self.start_postgres()
        self.start_redis()
        subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env=self.env, cwd=ROOT, check=True)
        self._spawn("fcm", [PY, "-m", "notifications.fcm_standin", "--port", str(self.fcm_port)])
        self._spawn("web", [PY, "-m", "gunicorn", "backend.wsgi", "--bind", f"127.0.0.1:{self.web_port}",
                            "--workers", "3", "--timeout", "30"])
        # The two queues of notifications/queues.py, each with its own worker, as in production.
        self._spawn("worker-urgent", [PY, "-m", "celery", "-A", "backend", "worker", "-Q", "urgent", "-n",
                                      "urgent@%h", "--concurrency", "2", "--loglevel", "WARNING",
                                      "--without-mingle", "--without-gossip"])
        self._spawn("worker-bulk", [PY, "-m", "celery", "-A", "backend", "worker", "-Q", "bulk", "-n", "bulk@%h",
                                    "--concurrency", "1", "--loglevel", "WARNING", "--without-mingle",
                                    "--without-gossip"])
        wait_until(lambda: http("GET", f"{self.web}/api/v1/me/")[0] == 401, 60, "gunicorn")
        wait_until(lambda: http("GET", f"{self.fcm}/_standin/received")[0] == 200, 30, "the FCM stand-in")

    def start_postgres(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.pg_port} -k {self.dir} -c fsync=off "
                   "-c synchronous_commit=off -c max_connections=100")
        subprocess.run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", os.path.join(self.dir, "pg"), "-l",
                                    os.path.join(self.dir, "pg.log"), "-w", "-o", options, "start"]),
                       check=True, capture_output=True)

    def stop_postgres(self) -> None:
        subprocess.run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", os.path.join(self.dir, "pg"), "-m", "fast",
                                    "-w", "stop"]), capture_output=True)

    def start_redis(self) -> None:
        self.processes["redis"] = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "",
             "--appendonly", "no", "--dir", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.2), 10, "redis")

    def stop_redis(self) -> None:
        process = self.processes.pop("redis")
        process.terminate()
        process.wait(timeout=10)

    def signal_redis(self, sig: int) -> None:
        self.processes["redis"].send_signal(sig)

    def stop(self) -> None:
        for name, process in self.processes.items():
            if name == "redis":
                process.send_signal(signal.SIGCONT)
                process.terminate()
            else:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.stop_postgres()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- HTTP --------------------------------------------------------------------------------------

def http(method: str, url: str, body: object = None, token: str = "", raw: bytes | None = None,
         content_type: str = "application/json", timeout: float = 60) -> tuple[int, Any]:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            payload = answer.read()
            return answer.status, json.loads(payload) if payload else None
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload)
        except ValueError:
            return error.code, payload[:200]


@dataclass
class Person:
    username: str
    token: str = ""
    refresh: str = ""


@dataclass
class Result:
    fault: str
    sent: int = 0
    delivered: int = 0
    pending: int = 0
    lost: int = 0
    notes: list[str] = field(default_factory=list)


class Scenario:
    """Users and reports of one fault, through the API of the running stack."""

    def __init__(self, stack: Stack, name: str) -> None:
        self.stack, self.name = stack, name
        self.escalation_ids: list[int] = []
        self.patients_made = 0

    def patients_of(self, surgeon: Person, count: int) -> list[Person]:
        """One patient per report: a patient has one open case, which their further reports join."""
        return [self.patient_of(surgeon) for _ in range(count)]

    def surgeon(self, suffix: str, backup: str = "") -> Person:
        username = f"dr.{self.name}.{suffix}"
        command = [PY, "manage.py", "create_surgeon", "--username", username, "--password", PASSWORD]
        if backup:
            command += ["--backup", backup]
        subprocess.run(command, env=self.stack.env, cwd=ROOT, check=True, capture_output=True)
        return self.login(Person(username))

    def login(self, person: Person) -> Person:
        status, body = http("POST", f"{self.stack.web}/api/v1/auth/token/",
                            {"username": person.username, "password": PASSWORD})
        assert status == 200, (status, body)
        person.token, person.refresh = body["access"], body["refresh"]
        return person

    def patient_of(self, surgeon: Person) -> Person:
        status, body = http("POST", f"{self.stack.web}/api/v1/surgeon/patients/", {
            "display_name": f"Fault patient {self.name}", "surgery_date": time.strftime("%Y-%m-%d"),
            "timezone": "America/New_York",
            "pump": {"kind": "programmable", "drug": "morphine",
                     "next_refill_date": time.strftime("%Y-%m-%d", time.gmtime(time.time() + 60 * 86400))},
        }, token=surgeon.token)
        assert status == 201, (status, body)
        self.patients_made += 1
        username = f"pt.{self.name}.{self.patients_made}"
        status, tokens = http("POST", f"{self.stack.web}/api/v1/auth/activate/",
                              {"code": body["activation_code"], "username": username, "password": PASSWORD})
        assert status == 201, (status, tokens)
        return Person(username, tokens["access"], tokens["refresh"])

    def register(self, person: Person, device_token: str) -> None:
        status, body = http("POST", f"{self.stack.web}/api/v1/devices/",
                            {"token": device_token, "platform": "android"}, token=person.token)
        assert status in (200, 201), (status, body)

    def report(self, patient: Person, client_id: str | None = None) -> tuple[int, float]:
        """One emergency warning report; returns the HTTP status and how long the answer took."""
        started = time.monotonic()
        status, body = http("POST", f"{self.stack.web}/api/v1/warning-reports/", {
            "client_id": client_id or str(uuid.uuid4()), "symptoms": ["difficulty_breathing"], "note": ""},
            token=patient.token)
        return status, time.monotonic() - started


# --- Counting ----------------------------------------------------------------------------------

def standin_control(stack: Stack, body: dict) -> None:
    assert http("POST", f"{stack.fcm}/_standin/fail", body)[0] == 200


def delivered_escalations(stack: Stack, care_tokens: set[str]) -> dict[str, int]:
    """escalation id -> how many pushes about it the stand-in accepted for the care team's tokens."""
    _, body = http("GET", f"{stack.fcm}/_standin/received")
    counts: dict[str, int] = {}
    for item in body["received"]:
        message = item["message"]
        if item["status"] == 200 and message.get("token") in care_tokens and \
                message.get("data", {}).get("kind") in ("escalation", "escalation_passed_on"):
            key = message["data"]["escalation_id"]
            counts[key] = counts.get(key, 0) + 1
    return counts


def sweep(stack: Stack) -> None:
    from backend.celery import app

    app.send_task("notifications.tasks.sweep_outbox")


def make_failed_rows_due() -> int:
    """Stand in for the clock: failed rows become due now, as they would after their back-off."""
    from django.utils import timezone

    from notifications.models import Notification

    return Notification.objects.filter(status=Notification.Status.FAILED).update(next_attempt_at=timezone.now())


def fresh_db() -> None:
    """Drop this script's database connection: PostgreSQL may have restarted since it was opened."""
    from django.db import connections

    connections.close_all()


def account(result: Result, escalation_ids: list[int], care_tokens: set[str], stack: Stack) -> Result:
    from notifications.models import Notification

    fresh_db()
    delivered = delivered_escalations(stack, care_tokens)
    for pk in escalation_ids:
        if delivered.get(str(pk)):
            result.delivered += 1
        elif Notification.objects.filter(data__escalation_id=str(pk), status__in=["pending", "failed"]).exists():
            result.pending += 1
        else:
            result.lost += 1
    return result


def escalations_since(started_pk: int) -> list[int]:
    from recovery.models import Escalation

    fresh_db()
    return list(Escalation.objects.filter(pk__gt=started_pk).order_by("pk").values_list("pk", flat=True))


def last_escalation_pk() -> int:
    from recovery.models import Escalation

    return Escalation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def wait_delivered(stack: Stack, ids: list[int], tokens: set[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(delivered_escalations(stack, tokens).get(str(pk)) for pk in ids):
            return
        sweep(stack)
        time.sleep(1)


# --- Faults ------------------------------------------------------------------------------------

def fcm_down(stack: Stack, reports: int) -> Result:
    """FCM answers 503 for more attempts than the old budget of 8, then comes back."""
    result, s = Result("FCM down for 10 attempts (old budget: 8), then back"), Scenario(stack, "fcmdown")
    surgeon = s.surgeon("a")
    s.register(surgeon, "tok-fcmdown-surgeon")
    patients = s.patients_of(surgeon, reports)
    first = last_escalation_pk()
    standin_control(stack, {"error": "UNAVAILABLE", "down": True})
    result.sent = sum(s.report(patient)[0] == 201 for patient in patients)
    ids = escalations_since(first)
    from notifications.models import Notification

    rows = Notification.objects.filter(data__escalation_id__in=[str(pk) for pk in ids], kind="escalation")
    for attempt in range(1, 11):
        def attempted(n: int = attempt) -> bool:
            return rows.all().exists() and all(r.attempts >= n for r in rows.all())

        wait_until(attempted, 120, f"attempt {attempt}")
        make_failed_rows_due()
        if attempt < 10:
            sweep(stack)
    result.notes.append(f"attempts while down: {min(r.attempts for r in rows.all())}; statuses then: "
                        f"{sorted(set(rows.values_list('status', flat=True)))}")
    standin_control(stack, {"error": "UNAVAILABLE", "down": False})
    wait_delivered(stack, ids, {"tok-fcmdown-surgeon"})
    counts = delivered_escalations(stack, {"tok-fcmdown-surgeon"})
    result.notes.append(f"pushes per escalation: {sorted(set(counts.values()))}")
    return account(result, ids, {"tok-fcmdown-surgeon"}, stack)


def dead_token(stack: Stack, reports: int) -> Result:
    """The assignee's only token is UNREGISTERED; a backup exists; later the assignee re-registers."""
    result, s = Result("assignee's only token dead (backup reachable), then re-registered"), Scenario(stack, "dead")
    backup = s.surgeon("backup")
    s.register(backup, "tok-dead-backup")
    surgeon = s.surgeon("a", backup=backup.username)
    s.register(surgeon, "tok-dead-surgeon")
    standin_control(stack, {"error": "UNREGISTERED", "token": "tok-dead-surgeon"})
    patients = s.patients_of(surgeon, reports)
    first = last_escalation_pk()
    s.report(patients[0])  # the first push finds the token dead; the device is disabled
    time.sleep(3)
    result.sent = 1 + sum(s.report(patient)[0] == 201 for patient in patients[1:])
    ids = escalations_since(first)
    tokens = {"tok-dead-backup", "tok-dead-surgeon-new"}
    wait_delivered(stack, ids, tokens)
    s.register(surgeon, "tok-dead-surgeon-new")
    wait_until(lambda: all(delivered_escalations(stack, {"tok-dead-surgeon-new"}).get(str(pk)) for pk in ids),
               60, "resend after re-registration")
    resent = delivered_escalations(stack, {"tok-dead-surgeon-new"})
    result.notes.append(f"delivered to backup: {len(delivered_escalations(stack, {'tok-dead-backup'}))}, "
                        f"resent to surgeon's new device: {len(resent)}")
    return account(result, ids, tokens, stack)


def redis_paused(stack: Stack, reports: int) -> Result:
    """Redis SIGSTOPped while reports are posted, then resumed."""
    result, s = Result("Redis paused (SIGSTOP) while reports are posted"), Scenario(stack, "paused")
    surgeon = s.surgeon("a")
    s.register(surgeon, "tok-paused-surgeon")
    patients = s.patients_of(surgeon, reports)
    first = last_escalation_pk()
    stack.signal_redis(signal.SIGSTOP)
    try:
        answers = [s.report(patient) for patient in patients]
    finally:
        stack.signal_redis(signal.SIGCONT)
    result.sent = sum(status == 201 for status, _ in answers)
    result.notes.append(f"answer times: {', '.join(f'{took:.2f}s' for _, took in answers)}; "
                        f"statuses: {sorted({status for status, _ in answers})}")
    ids = escalations_since(first)
    wait_delivered(stack, ids, {"tok-paused-surgeon"})
    return account(result, ids, {"tok-paused-surgeon"}, stack)


def redis_stopped(stack: Stack, reports: int) -> Result:
    """Redis stopped: logins, refreshes and reports, then Redis started again."""
    result, s = Result("Redis stopped during login and reports, then started"), Scenario(stack, "stopped")
    surgeon = s.surgeon("a")
    s.register(surgeon, "tok-stopped-surgeon")
    patients = s.patients_of(surgeon, reports)
    patient = patients[0]
    first = last_escalation_pk()
    stack.stop_redis()
    try:
        logins = [http("POST", f"{stack.web}/api/v1/auth/token/",
                       {"username": patient.username, "password": PASSWORD})[0] for _ in range(3)]
        refresh = http("POST", f"{stack.web}/api/v1/auth/token/refresh/", {"refresh": patient.refresh})[0]
        answers = [s.report(p) for p in patients]
    finally:
        stack.start_redis()
    result.sent = sum(status == 201 for status, _ in answers)
    result.notes.append(f"login statuses: {logins}; refresh: {refresh}; report statuses: "
                        f"{[status for status, _ in answers]}")
    ids = escalations_since(first)
    wait_delivered(stack, ids, {"tok-stopped-surgeon"})
    return account(result, ids, {"tok-stopped-surgeon"}, stack)


def postgres_stopped(stack: Stack, reports: int) -> Result:
    """PostgreSQL stopped: reports answer 503; the phone retries (same client_id) once it is back."""
    result, s = Result("PostgreSQL stopped, phone retries after"), Scenario(stack, "pgdown")
    surgeon = s.surgeon("a")
    s.register(surgeon, "tok-pg-surgeon")
    sends = [(patient, str(uuid.uuid4())) for patient in s.patients_of(surgeon, reports)]
    first = last_escalation_pk()
    stack.stop_postgres()
    try:
        down = [s.report(patient, client_id)[0] for patient, client_id in sends]
    finally:
        stack.start_postgres()

    def accepted_on_retry(patient: Person, client_id: str) -> bool:
        return s.report(patient, client_id)[0] in (200, 201)

    retried = [wait_until(partial(accepted_on_retry, p, c), 60, "retry") for p, c in sends]
    result.sent = len(retried)
    result.notes.append(f"statuses while down: {sorted(set(down))}")
    ids = escalations_since(first)
    wait_delivered(stack, ids, {"tok-pg-surgeon"})
    return account(result, ids, {"tok-pg-surgeon"}, stack)


def pixel_bomb(stack: Stack, reports: int) -> Result:
    """A 12000 x 12000 PNG of about 140 KB sent as an incision photo."""
    result, s = Result("pixel bomb upload (12000 x 12000 PNG)"), Scenario(stack, "bomb")
    surgeon = s.surgeon("a")
    patient = s.patient_of(surgeon)
    sys.path.insert(0, str(ROOT))
    from tests.faults.test_photo_bomb import png_bomb

    bomb = png_bomb()
    boundary = uuid.uuid4().hex
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
             for k, v in (("client_id", uuid.uuid4()), ("site", "abdomen"), ("redness", "true"))]
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\n"
                 "Content-Type: image/png\r\n\r\n".encode() + bomb + f"\r\n--{boundary}--\r\n".encode())
    started = time.monotonic()
    status, body = http("POST", f"{stack.web}/api/v1/incision-checks/", raw=b"".join(parts), token=patient.token,
                        content_type=f"multipart/form-data; boundary={boundary}")
    result.notes.append(f"{len(bomb) // 1024} KB upload -> {status} {body} in {time.monotonic() - started:.2f}s")
    return result


FAULTS = [fcm_down, dead_token, redis_paused, redis_stopped, postgres_stopped, pixel_bomb]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=4, help="emergency reports per fault")
    parser.add_argument("--only", default="", help="comma-separated fault function names")
    args = parser.parse_args()
    stack = Stack()
    try:
        stack.start()
        os.environ.update(stack.env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        results = []
        for fault in FAULTS:
            if args.only and fault.__name__ not in args.only.split(","):
                continue
            results.append(fault(stack, args.reports))
            r = results[-1]
            print(f"{r.fault}\n  sent {r.sent}  delivered {r.delivered}  pending {r.pending}  lost {r.lost}")
            for note in r.notes:
                print(f"  {note}")
            sys.stdout.flush()
        total = Result("total", *(sum(getattr(r, f) for r in results)
                                  for f in ("sent", "delivered", "pending", "lost")))
        print(f"TOTAL  sent {total.sent}  delivered {total.delivered}  pending {total.pending}  lost {total.lost}")
        sys.exit(1 if total.lost else 0)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
