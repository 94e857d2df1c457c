"""backend/postgresql: the health check of a kept connection (CONN_HEALTH_CHECKS, at the first query of each request
and task) costs no round trip while the server has said nothing, and still replaces a connection the server ended."""
from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection, connections

from backend.postgresql.base import DatabaseWrapper
from tests.support import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other() -> Iterator[psycopg.Connection]:
    """A second session on the same server, as an administrator or a restart would act on the first."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as session:
        yield session


def product_connection() -> DatabaseWrapper:
    database = connections["default"]
    assert isinstance(database, DatabaseWrapper)
    return database


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
        assert row is not None
        return int(row[0])


def last_statement_of(pid: int, other: psycopg.Connection) -> str:
    row = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None
    return str(row[0])


def health_check_as_a_new_request_does() -> None:
    database = product_connection()
    database.health_check_done = False  # what close_old_connections() leaves at the end of a request or task
    database.close_if_health_check_failed()


def test_the_product_connects_through_this_backend() -> None:
    assert product_connection().health_check_enabled


def test_a_quiet_kept_connection_is_used_without_a_round_trip(other) -> None:
    pid = backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement of the request before'")
    health_check_as_a_new_request_does()
    assert connection.connection is not None
    # Django's own check would have left "SELECT 1" here.
    assert last_statement_of(pid, other) == "SELECT 'the last statement of the request before'"
    assert backend_pid() == pid


def test_a_connection_the_server_ended_is_replaced_before_the_next_query(other) -> None:
    pid = backend_pid()
    assert other.execute("SELECT pg_terminate_backend(%s, 10000)", [pid]).fetchone() == (True,)
    health_check_as_a_new_request_does()
    assert backend_pid() != pid  # no error reached the caller: a new connection answered


def test_a_message_on_a_live_connection_gets_the_round_trip_and_keeps_the_connection(other) -> None:
    with connection.cursor() as cursor:
        cursor.execute("LISTEN health_check_probe")
    try:
        pid = backend_pid()
        other.execute("NOTIFY health_check_probe")
        # Delivered by the listener's backend after the notifier's commit: not necessarily there yet.
        wait_for(lambda: not product_connection().idle_and_quiet(), timeout=10, what="the notification to arrive")
        health_check_as_a_new_request_does()
        assert last_statement_of(pid, other) == "SELECT 1"  # Django's check ran, and passed
        assert backend_pid() == pid
    finally:
        with connection.cursor() as cursor:
            cursor.execute("UNLISTEN *")


def test_inside_a_transaction_the_check_is_djangos_round_trip(other) -> None:
    pid = backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
    try:
        assert not product_connection().idle_and_quiet()
        health_check_as_a_new_request_does()
        assert last_statement_of(pid, other) == "SELECT 1"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")
