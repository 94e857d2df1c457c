"""Helpers for tests, imported by test modules and conftests alike (conftest modules hold fixtures only).

- `bearer`: an API client carrying a real access token of a user.
- `wait_for`: poll for work done by another thread or process (a worker, the FCM stand-in).
- `RedisServer`, `celery_worker`: a private Redis a test can stop and start, and a real Celery worker.
- `log_in`, `SCREENSHOTS`: the dashboard's login in the browser tests, and where their screenshots go.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from celery.worker import WorkController
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from backend.celery import app as celery_app
from recovery.models import Surgeon, User
from tests.factories import PASSWORD

T = TypeVar("T")


def bearer(client: APIClient, user: User | None) -> APIClient:
    """`client` authenticated as `user` with a real bearer token (not force_authenticate)."""
    if user is None:
        raise ValueError("no login to make a token for (a patient not yet activated?)")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def wait_for(condition: Callable[[], T], timeout: float = 20.0, what: str = "condition") -> T:
    """Poll until `condition()` is truthy and return it (work done by another thread or process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """A redis-server on a loopback port of its own, stoppable mid-test to simulate a broker outage."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="push-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
             "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self._accepts, what="redis-server to accept connections")

    def _accepts(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
            return True
        return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def forget_broker_connections() -> None:
    """Drop the app's pooled broker connections so the next publish uses the current URL (what Celery
    itself does after a fork; `app.close()` would leave the producer pool behind)."""
    celery_app._after_fork()  # type: ignore[attr-defined]  # private, not in celery-types


def _close_worker_thread_connections(**_kwargs: Any) -> None:
    connections.close_all()


@contextlib.contextmanager
def celery_worker() -> Iterator[WorkController]:
    """A real Celery worker (solo pool) consuming from the broker in a thread of this process, so it
    uses the test database; its DB connections are closed after each task."""
    task_postrun.connect(_close_worker_thread_connections, weak=False)
    try:
        with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30) as worker:
            yield worker
    finally:
        task_postrun.disconnect(_close_worker_thread_connections)


# .artifacts/ is ignored by git, so `make test` leaves the tree clean; `make screenshots` sets SCREENSHOT_DIR
# to docs/screenshots/ to refresh the committed ones (linked from the README).
SCREENSHOTS = Path(__file__).resolve().parents[1] / os.environ.get("SCREENSHOT_DIR", ".artifacts/screenshots")


def log_in(page: Any, live_server: Any, surgeon: Surgeon) -> None:
    """Log `surgeon` in to the dashboard through its login form (a UserFactory login's password)."""
    page.goto(f"{live_server.url}/dashboard/login/")
    page.fill("input[name=username]", surgeon.user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")


def admin_url(label: str, view: str, *args: object) -> str:
    """The admin page `view` ("changelist", "change", "delete" ...) of the model `label` ("app.model")."""
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate the test database to `targets` ((app, migration) pairs) and answer the models as they were there:
    what a data migration's test writes its rows with, before and after."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_the_latest() -> None:
    """Every app's last migration again: a migration test leaves the schema the other tests expect."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
