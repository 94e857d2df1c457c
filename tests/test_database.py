"""backend/database.py: a migration that changes a column's type while a connection holds a prepared statement
reading it does not break that connection."""
from __future__ import annotations

import psycopg
import pytest
from django.db import NotSupportedError, connection, transaction

from backend.database import retry_after_schema_change
from recovery.compiled_query import server_prepared_cursor

pytestmark = pytest.mark.django_db(transaction=True)

READ = "SELECT id, label FROM schema_change_probe WHERE id = %s"


@pytest.fixture(autouse=True)
def probe_table():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE schema_change_probe (id bigint PRIMARY KEY, label varchar(10))")
        cursor.execute("INSERT INTO schema_change_probe VALUES (1, 'before')")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE schema_change_probe")


def prepare_then_migrate_elsewhere() -> None:
    """Run READ until this connection has it prepared, then change the column's type from another connection,
    as `migrate` does while web and worker processes keep theirs."""
    for _ in range(8):
        with server_prepared_cursor(connection) as cursor:
            cursor.execute(READ, [1])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%schema_change_probe%%'")
        assert cursor.fetchone()[0] == 1, "the statement was not prepared (settings: prepare_threshold)"
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("ALTER TABLE schema_change_probe ALTER COLUMN label TYPE varchar(20)")


def test_a_statement_prepared_before_a_column_type_change_runs_after_it() -> None:
    assert retry_after_schema_change in connection.execute_wrappers
    prepare_then_migrate_elsewhere()
    for _ in range(3):
        with server_prepared_cursor(connection) as cursor:
            cursor.execute(READ, [1])
            assert cursor.fetchall() == [(1, "before")]


def test_without_the_wrapper_the_connection_keeps_failing() -> None:
    """What the wrapper is for (and proof this test set-up reproduces it)."""
    connection.execute_wrappers.remove(retry_after_schema_change)
    try:
        prepare_then_migrate_elsewhere()
        for _ in range(2):
            with pytest.raises(NotSupportedError), server_prepared_cursor(connection) as cursor:
                cursor.execute(READ, [1])
    finally:
        connection.execute_wrappers.insert(0, retry_after_schema_change)


def test_inside_a_transaction_the_error_stands_and_the_rollback_clears_it() -> None:
    prepare_then_migrate_elsewhere()
    with pytest.raises(NotSupportedError), transaction.atomic(), server_prepared_cursor(connection) as cursor:
        cursor.execute(READ, [1])
    with server_prepared_cursor(connection) as cursor:
        cursor.execute(READ, [1])
        assert cursor.fetchall() == [(1, "before")]


def test_the_wrapper_stays_on_the_connection_after_a_temporary_execute_wrapper_block() -> None:
    """Django's execute_wrapper() pops the last wrapper on exit; ours sits first and outlives such blocks."""
    with connection.execute_wrapper(lambda execute, *args: execute(*args)):
        pass
    assert connection.execute_wrappers == [retry_after_schema_change]


def test_other_statements_keep_client_side_binding_and_any_number_of_parameters() -> None:
    """PostgreSQL binds at most 65,535 parameters per statement; the ORM's own statements (a cascade of the
    nightly prune, an admin bulk action) are bound by the client and are not limited so."""
    from recovery.models import User

    assert User.objects.filter(id__in=range(1, 70_001)).count() == 0
