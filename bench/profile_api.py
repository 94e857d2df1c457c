"""Benchmark helper (not a test): CPU time of the web process per API request, which, unlike req/s on a
shared machine, hardly depends on what else runs. The same three requests as bench/api.py (check-in POST,
GET /api/v1/me/, the surgeon inbox with 500 open cases) through Django's full request handler with the
production middleware and settings (DEBUG off), in this one process; PostgreSQL's own CPU is not counted.

    scripts/with-test-services.sh .venv/bin/python bench/profile_api.py [--requests 400] [--profile inbox]

`--profile NAME` (checkin, me or inbox) also prints a pyinstrument call tree of that request (pyinstrument
is not a dependency of the product: `.venv/bin/pip install pyinstrument` first).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update({"DJANGO_DEBUG": "false", "DJANGO_SECURE_SSL_REDIRECT": "false", "LOG_LEVEL": "WARNING",
                   "DJANGO_ALLOWED_HOSTS": "testserver"})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.api import OPEN_CASES, create_data  # noqa: E402

BATCH = 20


def requests(surgeon_token: str, patient_tokens: list[str]) -> dict[str, Callable[[int], int]]:
    """Each entry sends its request once (the n-th of the run) and returns the status code."""
    client = Client()

    def checkin(n: int) -> int:
        token = patient_tokens[n % len(patient_tokens)]
        body = {"client_id": str(uuid.uuid4()), "pain_score": 2, "binder_worn": True, "symptoms": []}
        return client.post("/api/v1/checkins/", body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}").status_code

    def me(_n: int) -> int:
        return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {patient_tokens[0]}").status_code

    def inbox(_n: int) -> int:
        return client.get("/api/v1/surgeon/inbox/", HTTP_AUTHORIZATION=f"Bearer {surgeon_token}").status_code

    return {"checkin": checkin, "me": me, "inbox": inbox}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400, help="timed requests per endpoint")
    parser.add_argument("--profile", choices=["checkin", "me", "inbox"], help="print a pyinstrument tree of this one")
    args = parser.parse_args()

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    surgeon_token, patient_tokens = create_data()
    names = {"checkin": "check-in POST", "me": "me GET", "inbox": f"inbox GET ({OPEN_CASES} open cases)"}
    print(f"CPU of the web process per request, {args.requests} requests each, load average "
          f"{os.getloadavg()[0]:.2f}:")
    for key, send in requests(surgeon_token, patient_tokens).items():
        for n in range(20):  # warm-up: imports, caches, the connection
            assert send(n) < 300, f"{key} answered {send(n)}"
        queries: list[str] = []

        def counted(execute: Callable, sql: str, *rest: object, seen: list[str] = queries) -> object:
            seen.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(counted):
            send(20)
        # Batches of BATCH requests; the least CPU of a batch is the figure least touched by other processes
        # on a shared machine (their cache pollution and interrupts), the median shows the spread.
        batches = []
        for first in range(0, args.requests, BATCH):
            cpu = time.process_time()
            for n in range(first, first + BATCH):
                send(n)
            batches.append((time.process_time() - cpu) / BATCH * 1000)
        batches.sort()
        print(f"  {names[key]:32s} {batches[0]:6.2f} ms CPU (least of {len(batches)} batches of {BATCH}; median "
              f"{batches[len(batches) // 2]:.2f})   {len(queries)} queries", flush=True)
        if args.profile == key:
            from pyinstrument import Profiler  # type: ignore[import-not-found]  # optional: pip install pyinstrument

            with Profiler(interval=0.0005) as profiler:
                for n in range(args.requests):
                    send(n)
            print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
