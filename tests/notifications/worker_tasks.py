"""A task only tests send: a real `celery worker` started with `--include tests.notifications.worker_tasks`
runs it (tests/notifications/test_worker_database_connections.py)."""
from pathlib import Path

from celery import shared_task
from django.db import connection


@shared_task
def note_database_backend(path: str) -> None:
    """Append the PostgreSQL backend (server process id) this task's query ran on to the file at `path`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with Path(path).open("a") as file:
        file.write(f"{pid}\n")
