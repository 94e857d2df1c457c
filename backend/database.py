"""PostgreSQL connections keep repeated statements prepared (settings: server_side_binding, prepare_threshold);
this makes that safe across a migration run while the workers keep running."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper

# PostgreSQL's "cached plan must not change result type": a statement this connection prepared reads a column
# whose type a migration has since changed (varchar(80) -> varchar(160) is enough). psycopg keeps using the
# prepared statement, so without this every later run of it on the connection would fail the same way.
FEATURE_NOT_SUPPORTED = "0A000"


def retry_after_schema_change(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                              context: dict[str, Any]) -> Any:
    """An execute wrapper: on that error outside a transaction, forget this connection's prepared statements
    (DEALLOCATE ALL, which psycopg also notes) and run the statement once more; it had not run. Inside a
    transaction the error stands: the transaction is aborted, and its rollback clears them the same way."""
    try:
        return execute(sql, params, many, context)
    except NotSupportedError as error:
        connection = context["connection"]
        if getattr(error.__cause__, "sqlstate", None) != FEATURE_NOT_SUPPORTED or connection.in_atomic_block:
            raise
        context["cursor"].cursor.execute("DEALLOCATE ALL")
        return execute(sql, params, many, context)


def on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **_kwargs: Any) -> None:
    """Every new PostgreSQL connection gets the wrapper (execute_wrappers lives on the connection object)."""
    if connection.vendor == "postgresql" and retry_after_schema_change not in connection.execute_wrappers:
        connection.execute_wrappers.append(retry_after_schema_change)
