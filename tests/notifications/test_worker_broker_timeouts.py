"""A real `celery worker` keeps its broker connection through a slow Redis answer, while web processes keep
the short timeouts that protect a request (backend/celery.py). Seen in the fan-out benchmark before this:
with the web's 0.25 s socket timeout an urgent worker could not ack a task on a busy machine and stopped
taking escalations."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from backend.celery import app as celery_app
from tests.support import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_name():
    name = f"timeouts-{uuid.uuid4().hex[:8]}@localhost"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backend", "worker", "-Q", "urgent", "-n", name, "--concurrency", "1",
         "--pool", "solo", "--without-mingle", "--without-gossip", "-l", "warning"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield name
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_worker_waits_seconds_for_redis_where_a_web_request_waits_a_quarter_second(worker_name):
    def worker_conf():
        return (celery_app.control.inspect(destination=[worker_name], timeout=1.0).conf() or {}).get(worker_name)

    conf = wait_for(worker_conf, timeout=60, what="the worker to answer")
    assert conf["broker_transport_options"]["socket_timeout"] == settings.WORKER_BROKER_TRANSPORT_OPTIONS[
        "socket_timeout"] >= 5
    assert conf["broker_connection_timeout"] == settings.WORKER_BROKER_CONNECTION_TIMEOUT
    # This process (as a web process) is unchanged: a hung Redis still cannot hold a request.
    assert celery_app.conf.broker_transport_options["socket_timeout"] == settings.REDIS_REQUEST_TIMEOUT < 1
