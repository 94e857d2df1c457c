"""Backups (README.md "Backups"): scripts/db-backup.sh dumps the test database with pg_dump and
restores it with pg_restore into a new database, which then holds the same records."""
from __future__ import annotations

import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from recovery.models import AuditEvent, CheckIn, Patient, User
from tests.factories import CheckInFactory, PatientFactory

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows


def url(name: str) -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def counts(cursor: Any) -> dict[str, int]:
    tables = [model._meta.db_table for model in (User, Patient, CheckIn, AuditEvent)]
    result = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - table names of our own models
        result[table] = cursor.fetchone()[0]
    return result


def test_a_dump_restores_into_a_new_database_with_the_same_records(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("backups are of PostgreSQL (make test)")
    patient = PatientFactory(enrolled=True)
    for days_ago in range(3):
        CheckInFactory(patient=patient, local_date=patient.local_date() - timedelta(days=days_ago))
    with connection.cursor() as cursor:
        before = counts(cursor)
    assert before["recovery_checkin"] == 3
    dump = tmp_path / "pump.dump"
    restored = f"restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{restored}"')
    try:
        subprocess.run([ROOT / "scripts" / "db-backup.sh", "dump", url(connection.settings_dict["NAME"]), dump],
                       check=True, capture_output=True, timeout=300)
        assert dump.stat().st_size > 0
        assert dump.stat().st_mode & 0o777 == 0o600  # every patient's records: its owner's only
        subprocess.run([ROOT / "scripts" / "db-backup.sh", "restore", dump, url(restored)],
                       check=True, capture_output=True, timeout=300)

        with psycopg.connect(url(restored).replace("postgres://", "postgresql://")) as restored_db:
            with restored_db.cursor() as cursor:
                assert counts(cursor) == before
                cursor.execute("SELECT display_name FROM recovery_patient WHERE id = %s", [patient.pk])
                assert cursor.fetchone() == (patient.display_name,)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')


def test_the_password_reaches_pg_dump_in_its_environment_not_on_its_command_line(tmp_path):
    """A command line is readable by every local user (ps); the process's environment is not."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    seen = tmp_path / "seen"
    for tool in ("pg_dump", "pg_restore"):
        stub = bin_dir / tool
        stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" "$PGPASSWORD" > "{seen}"\n')
        stub.chmod(0o755)
    for args in (["dump", "postgres://bob:p%40ss@db.example:5432/pump", tmp_path / "x.dump"],
                 ["restore", tmp_path / "x.dump", "postgres://bob:p%40ss@db.example:5432/pump"]):
        subprocess.run([ROOT / "scripts" / "db-backup.sh", *args], check=True, capture_output=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "PG_BIN": str(bin_dir)})
        command_line, password = seen.read_text().splitlines()
        assert "p@ss" not in command_line and "p%40ss" not in command_line
        assert "--dbname=postgresql://bob@db.example:5432/pump" in command_line
        assert password == "p@ss"
