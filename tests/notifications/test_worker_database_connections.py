"""A real `celery worker` keeps its PostgreSQL connection from task to task, as a web process keeps it from
request to request, and replaces it once it breaks (backend/celery.py). Celery's Django fix-up alone opens a
connection per task: 8.7 ms of CPU each, a sixth of PostgreSQL's CPU per prompt in the fan-out."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.notifications.worker_tasks import note_database_backend
from tests.support import RedisServer, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_process(redis_server: RedisServer) -> Iterator[None]:
    """A `celery worker` as deployed (prefork pool), one pool process so that every task runs in the same one."""
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backend", "worker", "-n", f"db-{uuid.uuid4().hex[:8]}@localhost",
         "--concurrency", "1", "--include", "tests.notifications.worker_tasks", "--without-mingle",
         "--without-gossip", "-l", "warning"],
        cwd=ROOT,
        # A connection age the test cannot outlive on a busy machine: age is not what is under test.
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings", "DATABASE_CONN_MAX_AGE": "600"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def backend_of_next_task(log: Path) -> int:
    """Send the task, wait for the worker to run it, and return the PostgreSQL backend its query ran on."""
    def backends() -> list[str]:
        return log.read_text().split() if log.exists() else []

    done = len(backends())
    note_database_backend.delay(str(log))
    return int(wait_for(lambda: backends()[done:], timeout=60, what="the worker to run the task")[0])


def test_consecutive_tasks_run_on_one_database_connection(worker_process, tmp_path):
    log = tmp_path / "backends"
    assert backend_of_next_task(log) == backend_of_next_task(log)


@pytest.mark.django_db
def test_a_task_after_the_connection_was_broken_runs_on_a_new_one(worker_process, tmp_path):
    log = tmp_path / "backends"
    first = backend_of_next_task(log)
    with connection.cursor() as cursor:  # as a PostgreSQL restart or an idle timeout would
        cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [first])
        assert cursor.fetchone() == (True,)
    second = backend_of_next_task(log)
    assert second != first
    assert backend_of_next_task(log) == second


@pytest.mark.django_db
def test_an_eager_task_runs_in_its_callers_connection_and_transaction(tmp_path):
    log = tmp_path / "backends"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (caller,) = cursor.fetchone()
    note_database_backend.apply(args=(str(log),))
    assert log.read_text().split() == [str(caller)]
    assert connection.in_atomic_block  # the test's transaction is still open
