"""Real parts for push tests: the FCM stand-in on 127.0.0.1, a Redis server of our own that a test
can stop and start, and an in-process Celery worker using the test database."""
from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from celery.worker import WorkController

from backend.celery import app as celery_app
from notifications.fcm_standin import FcmStandIn
from tests.support import RedisServer, celery_worker, forget_broker_connections


@pytest.fixture
def fcm_standin(settings) -> Iterator[FcmStandIn]:
    """The FCM stand-in in a thread on a free port, with FCM_ENDPOINT pointing at it."""
    standin = FcmStandIn().start()
    settings.FCM_ENDPOINT = standin.url
    yield standin
    standin.stop()


@pytest.fixture
def redis_server(monkeypatch) -> Iterator[RedisServer]:
    """A private Redis used as the Celery broker for the duration of the test."""
    server = RedisServer()
    server.start()
    # Celery reads the CELERY_BROKER_URL environment variable ahead of its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    forget_broker_connections()
    assert celery_app.connection_for_write().as_uri().endswith(f":{server.port}/0")
    yield server
    server.stop()
    monkeypatch.undo()
    forget_broker_connections()
    shutil.rmtree(server.dir, ignore_errors=True)


@pytest.fixture
def worker(redis_server: RedisServer) -> Iterator[WorkController]:
    with celery_worker() as running:
        yield running
