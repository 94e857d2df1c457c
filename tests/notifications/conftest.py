"""Real parts for push tests: the FCM stand-in on 127.0.0.1, a Redis server of our own that a test
can stop and start, and an in-process Celery worker using the test database."""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections

from backend.celery import app as celery_app
from notifications.fcm_standin import FcmStandIn


@pytest.fixture
def fcm_standin(settings) -> Iterator[FcmStandIn]:
    """The FCM stand-in in a thread on a free port, with FCM_ENDPOINT pointing at it."""
    standin = FcmStandIn().start()
    settings.FCM_ENDPOINT = standin.url
    yield standin
    standin.stop()


def wait_for(condition: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> object:
    """Poll until `condition()` is truthy (work done by another thread or process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server on a loopback port of its own, stoppable mid-test to simulate a broker outage."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="push-redis-")
        self.process: subprocess.Popen | None = None

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


def _forget_broker_connections() -> None:
    """Drop the app's pooled broker connections so the next publish uses the current URL (what Celery
    itself does after a fork; `app.close()` would leave the producer pool behind)."""
    celery_app._after_fork()


@pytest.fixture
def redis_server(monkeypatch) -> Iterator[RedisServer]:
    """A private Redis used as the Celery broker for the duration of the test."""
    server = RedisServer()
    server.start()
    # Celery reads the CELERY_BROKER_URL environment variable ahead of its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    _forget_broker_connections()
    assert celery_app.connection_for_write().as_uri().endswith(f":{server.port}/0")
    yield server
    server.stop()
    monkeypatch.undo()
    _forget_broker_connections()
    shutil.rmtree(server.dir, ignore_errors=True)


def _close_worker_thread_connections(**_kwargs) -> None:
    connections.close_all()


@contextlib.contextmanager
def celery_worker() -> Iterator[object]:
    """A real Celery worker (solo pool) consuming from the broker in a thread of this process, so it
    uses the test database; its DB connections are closed after each task."""
    task_postrun.connect(_close_worker_thread_connections, weak=False)
    try:
        with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30) as worker:
            yield worker
    finally:
        task_postrun.disconnect(_close_worker_thread_connections)


@pytest.fixture
def worker(redis_server: RedisServer) -> Iterator[object]:
    with celery_worker() as running:
        yield running


