"""Schema changes PostgreSQL can make without locking a busy table for a rebuild.

Django's own operations drop and re-create an index (or a foreign key, when an FK field's `db_index`
changes) under an ACCESS EXCLUSIVE lock held to the end of the migration: on the outbox (30 days of pushes)
or PromptLog that stops every claim, sweep and report that writes a push while the table is scanned.
`OnPostgreSQLInstead` keeps Django's operations for the migration state and for other databases (SQLite in
`make run`), and on PostgreSQL runs statements that change no row and rebuild nothing instead
(`DROP INDEX CONCURRENTLY`, renames). Such a migration must say `atomic = False` (CONCURRENTLY cannot run
in a transaction). Going back runs Django's own operations, on every database, unless `postgresql_backwards`
gives PostgreSQL's statements for that too (ones a re-run after an interruption can repeat).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation

Statements = Callable[[BaseDatabaseSchemaEditor], list[str]]


class OnPostgreSQLInstead(migrations.SeparateDatabaseAndState):
    """`operations` for the state and for other databases; on PostgreSQL the statements `postgresql` returns
    (given the schema editor, e.g. to look up the names Django generated for the old indexes)."""

    def __init__(self, operations: Sequence[Operation], postgresql: Statements,
                 postgresql_backwards: Statements | None = None) -> None:
        super().__init__(database_operations=list(operations), state_operations=list(operations))
        self.postgresql = postgresql
        self.postgresql_backwards = postgresql_backwards

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs = {"operations": self.state_operations, "postgresql": self.postgresql}
        if self.postgresql_backwards is not None:
            kwargs["postgresql_backwards"] = self.postgresql_backwards
        return self.__class__.__qualname__, [], kwargs

    def database_forwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: Any,
                          to_state: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        for statement in self.postgresql(schema_editor):
            schema_editor.execute(statement)

    def database_backwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: Any,
                           to_state: Any) -> None:
        if schema_editor.connection.vendor != "postgresql" or self.postgresql_backwards is None:
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        for statement in self.postgresql_backwards(schema_editor):
            schema_editor.execute(statement)


def constraints_of(schema_editor: BaseDatabaseSchemaEditor, table: str) -> dict[str, Any]:
    """The table's indexes and constraints as Django's introspection names them."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


def drop_plain_indexes(tables: Sequence[str], columns: list[str]) -> Statements:
    """Statements dropping, concurrently, each table's plain (non-unique) index on exactly `columns`, whatever
    name Django gave it."""
    def statements(schema_editor: BaseDatabaseSchemaEditor) -> list[str]:
        return [f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}"
                for table in tables for name, info in constraints_of(schema_editor, table).items()
                if info["columns"] == columns and info["index"] and not info["unique"]
                and not info["foreign_key"] and not info["primary_key"]]
    return statements


def index_built_concurrently(schema_editor: BaseDatabaseSchemaEditor, name: str, create: str) -> list[str]:
    """Statements building the index `name` with `create` (a CREATE ... INDEX CONCURRENTLY IF NOT EXISTS of that
    name) while the table keeps being written. A concurrent build that failed or was cancelled (a statement
    timeout, a lost connection) leaves an invalid index of that name behind, unrecorded: the next `migrate`
    drops it and builds it again, where IF NOT EXISTS alone would record the invalid one as done."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name])
        found = cursor.fetchone()
    if found and not found[0]:
        return [f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}", create]
    return [create]

