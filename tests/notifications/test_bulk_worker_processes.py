"""The bulk worker, started as docker-compose and `make run` start it (no --concurrency), runs one process per core
and one more: a fan-out batch waits on PostgreSQL and FCM part of its time, and one process per core left the cores
idle then (bench/README.md, "Eighth pass")."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import yaml

from backend.celery import app as celery_app
from tests.support import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_the_deployed_bulk_worker_commands_leave_the_process_count_to_the_setting():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["worker"]["command"]
    assert "bulk" in compose and "--concurrency" not in compose and "-c" not in compose
    run_local = (ROOT / "scripts" / "run-local.sh").read_text()
    bulk_line = re.search(r"^.*-Q bulk .*$", run_local, re.MULTILINE)
    assert bulk_line and "--concurrency" not in bulk_line[0]


def test_a_bulk_worker_without_concurrency_runs_one_process_per_core_and_one_more():
    name = f"bulk-{uuid.uuid4().hex[:8]}@localhost"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backend", "worker", "-Q", "bulk", "-n", name, "--without-mingle",
         "--without-gossip", "-l", "warning"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        def pool() -> dict:
            stats: dict = celery_app.control.inspect(destination=[name], timeout=1.0).stats() or {}
            return (stats.get(name) or {}).get("pool") or {}

        stats = wait_for(pool, timeout=60, what="the bulk worker to answer")
        assert stats["max-concurrency"] == len(os.sched_getaffinity(0)) + 1
        assert len(stats["processes"]) == stats["max-concurrency"]
    finally:
        process.terminate()
        process.wait(timeout=30)
