"""Django's PostgreSQL backend (settings: ENGINE "backend.postgresql"), with a health check that asks the socket
before it asks the server.

CONN_HEALTH_CHECKS makes Django test a kept connection at the first query of each request and task with a
`SELECT 1` round trip: 0.07 ms of the web process's CPU and 0.05 ms of PostgreSQL's, and a wait; without it a
check-in POST took 13 % less gunicorn CPU (bench/README.md, "Tenth pass"). A server that ends a session (a restart
or shutdown, pg_terminate_backend, idle_session_timeout, a crash) sends its FATAL message and closes the socket,
which makes the socket readable: an open connection whose socket has nothing to read is used as it is, anything
else gets Django's round trip. A peer that vanishes without a word (a host crash, an expired NAT entry) costs the
first query tcp_user_timeout and a 503 (backend/postgres_options.py), where the ping cost the same wait and then
reconnected; a kept connection is at most CONN_MAX_AGE old.
"""
from __future__ import annotations

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    health_check_enabled: bool  # Django's (CONN_HEALTH_CHECKS, set at connect), not in django-stubs
    health_check_done: bool

    def close_if_health_check_failed(self) -> None:
        """A quiet idle connection counts as checked; anything else goes to Django's own check (its round trip,
        its rules for pools and for a check already done)."""
        if (self.connection is not None and self.health_check_enabled and not self.health_check_done
                and self.idle_and_quiet()):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def idle_and_quiet(self) -> bool:
        """Open, between transactions, and nothing from the server since its last answer (a zero-timeout poll:
        no round trip)."""
        try:
            pgconn = self.connection.pgconn
            if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
                return False
            poller = select.poll()
            poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)  # error and hang-up are always reported
            return not poller.poll(0)
        except (psycopg.Error, OSError, ValueError):
            return False
