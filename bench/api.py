"""Benchmark (not a test): API requests per second and p99 on gunicorn with 2 sync workers, loaded by
wrk (Debian package, installed by `make bench`): check-in POST (a new client_id per request, routine
answers, spread over 50 patients), GET /api/v1/me/, and the surgeon inbox GET with 500 open cases.

Run by bench/fanout.py at its end, or alone: scripts/with-test-services.sh .venv/bin/python bench/api.py
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from recovery.models import (  # noqa: E402
    CheckIn,
    Escalation,
    EscalationReport,
    Patient,
    Surgeon,
    TriageLevel,
    User,
    WarningReport,
)
from recovery.services.sessions import token_pair  # noqa: E402

LOGS = ROOT / "bench" / "results"
OPEN_CASES = 500
CHECKIN_PATIENTS = 50
HISTORY_DAYS = 10  # since surgery: one check-in a day so far
DURATION = os.environ.get("BENCH_API_SECONDS", "15")
WARM_UP_SECONDS = "3"
CONNECTIONS = "8"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_data() -> tuple[str, list[str]]:
    """A surgeon with OPEN_CASES open escalations (one per patient) and CHECKIN_PATIENTS activated
    patients; returns the surgeon's access token and the patients' tokens."""
    User.objects.filter(username__startswith="api-bench-").delete()
    surgeon = Surgeon.objects.create(
        user=User.objects.create(username="api-bench-surgeon", role=User.Role.SURGEON, password="!"),
        display_name="Dr. Api Bench",
    )
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        for n in range(OPEN_CASES):
            patient = Patient.objects.create(surgeon=surgeon, display_name=f"Case {n}",
                                             surgery_date=today - timedelta(days=5))
            level = TriageLevel.EMERGENCY if n % 3 == 0 else TriageLevel.URGENT
            report = WarningReport.objects.create(patient=patient, client_id=uuid.uuid4(), local_date=today,
                                                  symptoms=["fever"], triage_level=level, triage_reasons=["fever"])
            case = Escalation.objects.create(patient=patient, level=level, reasons=["fever"], warning_report=report,
                                             assigned_surgeon=surgeon, ack_due_at=now + timedelta(hours=2))
            EscalationReport.objects.create(escalation=case, warning_report=report)  # as the report service does
    patient_tokens = []
    history = []
    for n in range(CHECKIN_PATIENTS):
        user = User.objects.create(username=f"api-bench-patient-{n}", role=User.Role.PATIENT, password="!")
        patient = Patient.objects.create(user=user, surgeon=surgeon, display_name=f"Api patient {n}",
                                         surgery_date=today - timedelta(days=HISTORY_DAYS), timezone="Europe/Berlin")
        patient_tokens.append(str(RefreshToken.for_user(user).access_token))
        history += [CheckIn(patient=patient, client_id=uuid.uuid4(), local_date=today - timedelta(days=days),
                            created_at=now - timedelta(days=days), pain_score=3, binder_worn=True)
                    for days in range(1, HISTORY_DAYS + 1)]
    CheckIn.objects.bulk_create(history)
    # Statistics as a clinic's database has them: planned against an empty check-in table, the kept (prepared)
    # statement of a check-in's pain history could stay a sequential scan for the whole run.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # The served settings require staff two-factor (DEBUG off): the surgeon's token as a login with the code makes it.
    return token_pair(surgeon.user, second_factor=True)["access"], patient_tokens


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings", "DJANGO_DEBUG": "false",
           "DJANGO_SECURE_SSL_REDIRECT": "false", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    # The production gunicorn.conf.py (read from the working directory: JSON access log and all), with 2 workers.
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / "gunicorn.log").open("w")
    process = subprocess.Popen([gunicorn, "backend.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
                               env=env, cwd=ROOT, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/me/", timeout=2)
        except urllib.error.HTTPError:
            return process  # 401: Django answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


# Each run's client_ids start with its own `run` (8 hex digits from Python): wrk seeds Lua's math.random the same
# way every time, so without it a second run on the same data would send the first run's ids again and measure
# the retry path (failed INSERT, re-read), not new check-ins.
LUA_POST = """
tokens = {%(tokens)s}
counter = 0
request = function()
  counter = counter + 1
  local id = string.format("%(run)s-%%04x-4%%03x-8%%03x-%%012x", math.random(0, 0xffff),
                           math.random(0, 0xfff), math.random(0, 0xfff), counter)
  local body = '{"client_id": "' .. id .. '", "pain_score": 2, "binder_worn": true, "symptoms": []}'
  local headers = {["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer " .. tokens[(counter %% #tokens) + 1]}
  return wrk.format("POST", "/api/v1/checkins/", headers, body)
end
"""

LUA_STATUS = """
bad = 0
response = function(status, headers, body)
  if status >= 300 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx: %d\\n", bad))
end
"""


def _found(pattern: str, output: str) -> re.Match[str]:
    match = re.search(pattern, output)
    if match is None:
        raise RuntimeError(f"unexpected wrk output (no {pattern!r}):\n{output}")
    return match


def server_cpu_seconds(master: int) -> float:
    """CPU seconds used so far by gunicorn's workers: the live ones plus those it already reaped (recycled
    after max_requests). Unlike req/s, this hardly depends on what else the shared machine runs."""
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid: int | str) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()

    total = sum(int(value) for value in fields(master)[13:15])  # cutime, cstime: reaped children
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for child in children:
        try:
            total += sum(int(value) for value in fields(child)[11:13])  # utime, stime
        except FileNotFoundError:
            continue  # ended between the two reads
    return total / tick


def run_wrk(url: str, token: str | None = None, script: str = "", seconds: str = DURATION) -> tuple[float, float, str]:
    """req/s and p99 latency (ms) from wrk --latency, plus its output."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + LUA_STATUS)
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", lua.name]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    os.unlink(lua.name)
    rate = float(_found(r"Requests/sec:\s+([\d.]+)", output)[1])
    value, unit = _found(r"\s99%\s+([\d.]+)(us|ms|s)", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    bad = int(_found(r"non-2xx: (\d+)", output)[1])
    assert bad == 0, f"{bad} answers were not 2xx:\n{output}"
    return rate, p99, output


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: `make bench` installs it (Debian package wrk).")
    call_command("migrate", verbosity=0)
    surgeon_token, patient_tokens = create_data()
    connection.close()
    port = free_port()
    server = start_gunicorn(port)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        print(f"\nAPI on gunicorn, 2 sync workers, wrk 1 thread {CONNECTIONS} connections {DURATION} s each, "
              f"load average {os.getloadavg()[0]:.2f}:")
        tokens = ", ".join(f'"{token}"' for token in patient_tokens)
        def checkins() -> str:  # a new run prefix each time: new check-ins, not retries of earlier ones
            return LUA_POST % {"tokens": tokens, "run": uuid.uuid4().hex[:8]}

        endpoints: list[tuple[str, str, str | None, Callable[[], str]]] = [
            ("check-in POST", f"{base}/checkins/", None, checkins),
            ("me GET", f"{base}/me/", patient_tokens[0], str),
            (f"inbox GET ({OPEN_CASES} open cases)", f"{base}/surgeon/inbox/", surgeon_token, str),
        ]
        # Untimed: each worker's first requests import and compile what the rest reuse (about 2 s of CPU per
        # worker, gunicorn.conf.py), which the first endpoint measured would otherwise be charged with.
        for _name, url, token, script in endpoints:
            run_wrk(url, token, script(), seconds=WARM_UP_SECONDS)
        for name, url, token, script in endpoints:
            cpu = server_cpu_seconds(server.pid)
            rate, p99, output = run_wrk(url, token, script())
            cpu = server_cpu_seconds(server.pid) - cpu
            count = int(_found(r"(\d+) requests in", output)[1])
            print(f"  {name:32s} {rate:7,.0f} req/s   p99 {p99:,.1f} ms   gunicorn CPU {cpu / count * 1000:5.2f} ms "
                  f"per request", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
