"""A database that stops answering fails a request in seconds: web processes cancel a statement after
DATABASE_STATEMENT_TIMEOUT_MS (gunicorn.conf.py sets it), and TCP keepalives with tcp_user_timeout close a
connection whose server went away (backend/postgres_options.py)."""
from __future__ import annotations

import importlib.util
import os
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from backend.postgres_options import hung_server_options, server_settings
from recovery.models import Escalation, WarningReport
from tests.factories import PatientFactory
from tests.support import bearer

ROOT = Path(__file__).resolve().parent.parent


def test_the_options_keep_what_the_database_url_set_and_add_the_rest():
    added = hung_server_options({"keepalives_idle": 5, "options": "-c search_path=app"}, tcp_user_timeout_ms=7000,
                                statement_timeout_ms=20000)
    assert added == {"keepalives": 1, "keepalives_interval": 10, "keepalives_count": 3, "tcp_user_timeout": 7000,
                     "options": "-c search_path=app -c statement_timeout=20000"}
    assert "options" not in hung_server_options({}, tcp_user_timeout_ms=7000, statement_timeout_ms=0)
    assert "options" not in hung_server_options({"options": "-c statement_timeout=5"}, tcp_user_timeout_ms=0,
                                                statement_timeout_ms=20000)


def test_the_database_url_keeps_a_server_setting_it_names_and_gets_the_others():
    assert server_settings({}, {"jit": "off"}) == {"options": "-c jit=off"}
    assert server_settings({"options": "-c statement_timeout=5"}, {"jit": "off"}) == {
        "options": "-c statement_timeout=5 -c jit=off"}
    assert server_settings({"options": "-c jit=on"}, {"jit": "off"}) == {}
    assert server_settings({"options": "-c jit_above_cost=500000"}, {"jit": "off"}) == {
        "options": "-c jit_above_cost=500000 -c jit=off"}


@pytest.mark.django_db
def test_the_products_connections_compile_no_statement_with_jit():
    """A batch of the reminder dispatch took 18 ms of JIT compilation to run in 4 (backend/settings.py)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_gunicorn_gives_web_processes_a_statement_timeout_below_its_worker_timeout(monkeypatch, tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_STATEMENT_TIMEOUT_MS"}
    environment.update(GUNICORN_TIMEOUT="30", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    monkeypatch.setattr(os, "environ", environment)  # what the configuration sets stays in this test
    spec = importlib.util.spec_from_file_location("gunicorn_conf_probe", ROOT / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert int(environment["DATABASE_STATEMENT_TIMEOUT_MS"]) == 20_000 < conf.timeout * 1000
    for worker_timeout, statement_timeout in (("0", None), ("6", "3000"), ("1", "500")):  # none without one
        environment.pop("DATABASE_STATEMENT_TIMEOUT_MS", None)
        environment["GUNICORN_TIMEOUT"] = worker_timeout
        spec.loader.exec_module(conf)
        assert environment.get("DATABASE_STATEMENT_TIMEOUT_MS") == statement_timeout


@pytest.fixture
def short_statement_timeout():
    """This test's connection as a web process's, with a 300 ms statement timeout."""
    options = connection.settings_dict["OPTIONS"]
    before = options.get("options")
    options["options"] = "-c statement_timeout=300"
    connection.close()
    yield
    if before is None:
        options.pop("options")
    else:
        options["options"] = before
    connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("short_statement_timeout")
def test_a_report_stuck_behind_a_lock_answers_503_and_stores_nothing():
    patient = PatientFactory(enrolled=True)
    client = bearer(APIClient(), patient.user)
    client.get("/api/v1/me/")  # connects with the timeout
    client_id = str(uuid.uuid4())
    body = {"client_id": client_id, "symptoms": ["difficulty_breathing"]}
    with psycopg.connect(**connection.get_connection_params()) as holder:  # e.g. a long job holding the row
        holder.execute("SELECT id FROM recovery_patient WHERE id = %s FOR UPDATE", [patient.pk])
        answer = client.post("/api/v1/warning-reports/", body, format="json")
    assert answer.status_code == 503 and int(answer["Retry-After"]) > 0
    assert answer["Content-Type"].startswith("application/json") and "detail" in answer.json()
    assert not WarningReport.objects.exists() and not Escalation.objects.exists()
    # the phone's retry (the same client_id), once the row is free, is stored once
    assert client.post("/api/v1/warning-reports/", body, format="json").status_code == 201
    assert WarningReport.objects.get().client_id == uuid.UUID(client_id)
    assert Escalation.objects.count() == 1
