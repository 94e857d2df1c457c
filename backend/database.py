"""PostgreSQL connections keep the statements of every API request prepared (settings: prepare_threshold,
recovery/compiled_query.server_prepared_cursor); this makes that safe across a migration run while the web and
worker processes keep running."""
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
    """An execute wrapper: on that error in autocommit, forget this connection's prepared statements
    (DEALLOCATE ALL, which psycopg also notes) and run the statement once more; it had not run. Inside a
    transaction the error stands (the transaction is aborted; its rollback clears them the same way, and the
    next request or task runs it prepared anew). Only the "cached plan" error is retried, never executemany."""
    try:
        return execute(sql, params, many, context)
    except NotSupportedError as error:
        connection = context["connection"]
        if many or not _is_stale_prepared_statement(error) or not connection.get_autocommit():
            raise
        with connection.wrap_database_errors:
            context["cursor"].cursor.execute("DEALLOCATE ALL")
        return execute(sql, params, many, context)


def _is_stale_prepared_statement(error: NotSupportedError) -> bool:
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    return (getattr(cause, "sqlstate", None) == FEATURE_NOT_SUPPORTED
            and "cached plan must not change result type" in str(getattr(diag, "message_primary", "")))


def on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **_kwargs: Any) -> None:
    """Every new PostgreSQL connection gets the wrapper, outermost (execute_wrappers lives on the connection
    object; Django's `execute_wrapper()` blocks push and pop at the end of the list, so first stays put)."""
    if connection.vendor == "postgresql" and retry_after_schema_change not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, retry_after_schema_change)
