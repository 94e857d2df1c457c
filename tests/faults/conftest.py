"""Fault tests: each starts its own throwaway server for the part it breaks (never the suite's shared
PostgreSQL or Redis), breaks it, and checks what users see and that nothing is lost."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notifications.conftest import fcm_standin, redis_server, worker  # noqa: F401 - fixtures
from tests.support import RedisServer, free_port, wait_for  # noqa: F401 - used by the fault tests

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_postgres(command: list[str]) -> list[str]:
    """initdb refuses to run as root; the Debian package's "postgres" account runs it then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresServer:
    """A PostgreSQL 15 cluster of its own in a temporary directory, stoppable mid-test."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="fault-pg-")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.data = os.path.join(self.dir, "data")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                                     "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)

    def start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"),
                                     "-w", "-t", "60", "-o", options, "start"]), check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"]),
                       capture_output=True)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.init()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@contextlib.contextmanager
def paused(process: subprocess.Popen) -> Iterator[None]:
    """SIGSTOP a server: it keeps its sockets (connections are accepted by the kernel) but never answers."""
    import signal

    process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        process.send_signal(signal.SIGCONT)
