"""Logs (issue 14): one JSON line per event with a request id; no query strings (patient searches)
and no push tokens (the device DELETE path), neither in Django's logs nor in gunicorn's access log."""
from __future__ import annotations

import http.client
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import structlog
from django.conf import settings
from django.test import Client, override_settings

from backend.logs import scrub_text
from backend.sentry import scrub_event
from tests.factories import PatientFactory, SurgeonFactory
from tests.support import bearer

ROOT = Path(__file__).resolve().parent.parent
PATIENT_NAME = "Lovelace"
PUSH_TOKEN = "fcm-SECRET-token-0123456789abcdef"


@pytest.fixture
def log_lines():
    """What the project's root log handler writes (its own formatter and filters), as parsed lines."""
    console = logging.getLogger().handlers[0]
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(console.formatter)
    for log_filter in console.filters:
        capture.addFilter(log_filter)
    logging.getLogger().addHandler(capture)
    loggers = [logging.getLogger(name) for name in ("django.server", "gunicorn.access")]
    for logger in loggers:
        logger.addHandler(capture)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    logging.getLogger().removeHandler(capture)
    for logger in loggers:
        logger.removeHandler(capture)


@pytest.mark.django_db
def test_request_logs_are_json_with_a_request_id_and_no_query_string(log_lines):
    client = Client()
    client.force_login(SurgeonFactory().user)

    client.get("/dashboard/patients/", {"q": f"Ada {PATIENT_NAME}"})

    lines = log_lines()
    requests = [line for line in lines if line.get("event") in ("request_started", "request_finished")]
    # One line per request (request_started only at DEBUG: gunicorn's access line is the other).
    started = logging.getLogger("django_structlog.middlewares.request").isEnabledFor(logging.DEBUG)
    assert [line["event"] for line in requests] == ["request_started"] * started + ["request_finished"]
    finished = requests[-1]
    assert finished["request_id"] and finished["request"] == "GET /dashboard/patients/?[scrubbed]"
    assert finished["code"] == 200 and PATIENT_NAME not in json.dumps(lines)
    assert "ip" not in structlog.contextvars.get_contextvars()  # nothing of the request left for the next one


@pytest.mark.django_db
@pytest.mark.parametrize(("proxies", "logged"), [(0, "10.0.0.9"), (1, "203.0.113.7")])
def test_the_logged_address_is_the_one_trusted_proxies_vouch_for(log_lines, api_client, proxies, logged):
    """As the audit rows and throttles: a forged X-Forwarded-For is not logged as the caller's address."""
    client = bearer(api_client, PatientFactory(enrolled=True).user)
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}):
        client.get("/api/v1/me/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7")

    finished = [line for line in log_lines() if line.get("event") == "request_finished"]
    assert [line["ip"] for line in finished] == [logged]


@pytest.mark.django_db
def test_a_push_token_in_the_device_path_never_reaches_the_log(log_lines, api_client):
    client = bearer(api_client, PatientFactory(enrolled=True).user)

    response = client.delete(f"/api/v1/devices/{PUSH_TOKEN}/")

    assert response.status_code == 404  # logged as a warning by Django too
    lines = log_lines()
    assert any("/api/v1/devices/[token]/" in json.dumps(line) for line in lines)
    assert PUSH_TOKEN not in json.dumps(lines)


@pytest.mark.django_db
def test_a_failed_api_login_never_puts_the_username_in_the_log(log_lines, api_client):
    """django-axes logs the failed logins it does not count, API ones too: a patient's login name there says they
    are a patient here."""
    patient = PatientFactory(enrolled=True, user__username="ada.lovelace")

    response = api_client.post("/api/v1/auth/token/", {"username": "ada.lovelace", "password": "wrong"})

    assert response.status_code == 401
    lines = json.dumps(log_lines())
    assert "/api/v1/auth/token/" in lines  # the failure is logged, without naming whose login it was
    assert patient.user.username not in lines


@pytest.mark.django_db
def test_a_failed_dashboard_login_still_names_the_username_for_unlocking(log_lines, client):
    SurgeonFactory(user__username="dr.hopper")

    client.post("/dashboard/login/", {"username": "dr.hopper", "password": "wrong"})

    assert "dr.hopper" in json.dumps(log_lines())


@pytest.mark.parametrize(("text", "clean"), [
    ('"GET /dashboard/patients/?q=Ada+Lovelace HTTP/1.1" 200', '"GET /dashboard/patients/?[scrubbed] HTTP/1.1" 200'),
    ("DELETE /api/v1/devices/abc:DEF-123_x/", "DELETE /api/v1/devices/[token]/"),
    ("Not Found: /api/v1/devices/abc/?x=1", "Not Found: /api/v1/devices/[token]/?[scrubbed]"),
    ("POST /api/v1/devices/", "POST /api/v1/devices/"),
])
def test_scrub_text(text, clean):
    assert scrub_text(text) == clean


def test_sentry_events_lose_request_data_users_and_tokens():
    event = {
        "request": {"url": f"https://x.org/api/v1/devices/{PUSH_TOKEN}/?q={PATIENT_NAME}", "method": "DELETE",
                    "data": {"note": "pain 9"}, "cookies": {"sessionid": "s"}, "headers": {"Authorization": "B"},
                    "query_string": f"q={PATIENT_NAME}"},
        "user": {"id": 1, "username": "ada"},
        "exception": {"values": [{"value": f"no device /api/v1/devices/{PUSH_TOKEN}/?q={PATIENT_NAME}",
                                  "stacktrace": {"frames": [{"vars": {"note": "pain 9"}}]}}]},
        "breadcrumbs": {"values": [{"message": f"GET /dashboard/patients/?q={PATIENT_NAME}", "data": {"q": 1}}]},
    }
    cleaned = json.dumps(scrub_event(event))
    for secret in (PATIENT_NAME, "pain 9", "sessionid", "ada", "Authorization"):
        assert secret not in cleaned
    assert scrub_event(event)["request"] == {"method": "DELETE", "url": "https://x.org/api/v1/devices/[token]/"}


def test_sentry_starts_only_with_a_dsn_and_without_personal_data():
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    code = ("import django; django.setup(); import sentry_sdk; c = sentry_sdk.get_client(); "
            "print(c.is_active(), c.options['send_default_pii'], c.options['before_send'].__module__)")
    with_dsn = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env={**env, "SENTRY_DSN": "https://public@127.0.0.1:9/1"})
    without = subprocess.run([sys.executable, "-c", code.split("; print")[0] + "; print(c.is_active())"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert with_dsn.stdout.split() == ["True", "False", "backend.sentry"], with_dsn.stderr
    assert without.stdout.split() == ["False"], without.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str) -> int:
    """One request, redirects not followed; answers the status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path)
    status = connection.getresponse().status
    connection.close()
    return status


def test_gunicorns_access_log_has_no_query_strings_or_push_tokens(tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "backend.wsgi:application", "--config", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        )
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            assert request(port, "GET", f"/dashboard/patients/?q=Ada+{PATIENT_NAME}") == 302
            assert request(port, "DELETE", f"/api/v1/devices/{PUSH_TOKEN}/") == 401
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    text = log.read_text()
    access = [json.loads(line) for line in text.splitlines() if '"gunicorn.access"' in line]
    assert len(access) == 2, text
    assert '"DELETE /api/v1/devices/[token]/ HTTP/1.1" 401' in access[1]["event"]
    assert PATIENT_NAME not in text and PUSH_TOKEN not in text


NOTE = "pain 9 since the refill"


def database_error_quoting_a_note() -> BaseException:
    """A real PostgreSQL error whose DETAIL repeats the row: "Failing row contains (pain 9 since the refill)"."""
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE probe_notes (note text CHECK (length(note) < 5))")
            cursor.execute("INSERT INTO probe_notes VALUES (%s)", [NOTE])
    except DatabaseError as error:
        assert NOTE in str(error.__cause__)  # what would otherwise be logged
        return error
    raise AssertionError("the insert did not fail")


@pytest.mark.django_db(transaction=True)
def test_a_database_error_is_logged_with_its_name_and_sqlstate_but_not_its_text(log_lines):
    error = database_error_quoting_a_note()
    try:
        raise error
    except Exception:
        logging.getLogger("django.request").error("Internal Server Error: /api/v1/checkins/", exc_info=True)
        structlog.get_logger("recovery").exception("task_failed")
        logging.getLogger("celery.app.trace").error("Task %(name)s raised unexpected: %(exc)s",
                                                    {"name": "recovery.x", "exc": repr(error)}, exc_info=True)
    lines = log_lines()
    assert len(lines) == 3
    for line in lines:
        assert NOTE not in json.dumps(line)
        assert "IntegrityError <- CheckViolation (SQLSTATE 23514)" in line["exception"]
        assert 'File "' in line["exception"]  # the traceback stays: where it happened
    assert lines[2]["event"].startswith("Task recovery.x raised unexpected: [message withheld")


def test_other_errors_keep_their_message(log_lines):
    try:
        raise ValueError("unknown pump model")
    except ValueError:
        logging.getLogger("django.request").error("Internal Server Error: /x", exc_info=True)
    assert "ValueError: unknown pump model" in log_lines()[0]["exception"]


def test_sentry_events_of_a_database_error_keep_no_message():
    event = {"exception": {"values": [
        {"type": "CheckViolation", "module": "psycopg.errors", "value": f"DETAIL: Failing row contains ({NOTE})"},
        {"type": "IntegrityError", "module": "django.db.utils", "value": f"DETAIL: Failing row contains ({NOTE})"},
    ]}}
    cleaned = scrub_event(event)
    assert NOTE not in json.dumps(cleaned)
    assert [e["type"] for e in cleaned["exception"]["values"]] == ["CheckViolation", "IntegrityError"]
