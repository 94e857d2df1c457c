"""Operations (issue 14): /healthz, /metrics with the outbox and escalation gauges, API docs behind a
staff login in production, the retention job, gunicorn's worker count."""
from __future__ import annotations

import importlib.util
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from notifications.models import Notification
from recovery.models import AuditEvent, TriageLevel, User
from tests.factories import EscalationFactory, PatientFactory, UserFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


# --- /healthz ------------------------------------------------------------------------------------

def test_healthz_is_200_when_the_database_and_the_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_is_503_when_the_broker_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == "ok" and body["broker"].startswith("error")


def test_healthz_is_503_when_the_database_does_not_answer(client):
    from django.db import OperationalError

    def database_down(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(database_down):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError" and response.json()["broker"] == "ok"


def test_healthz_is_not_redirected_to_https_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/dashboard/login/").status_code == 301


# --- /metrics ------------------------------------------------------------------------------------

def metric(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{labels} not in the metrics"
    return float(match.group(1))


def test_metrics_expose_the_outbox_and_escalation_gauges(client):
    now = timezone.now()
    NotificationFactory(status=Notification.Status.PENDING, created_at=now - timedelta(minutes=10))
    NotificationFactory(status=Notification.Status.FAILED, created_at=now - timedelta(minutes=3))
    NotificationFactory(status=Notification.Status.SENT, created_at=now - timedelta(hours=2))
    NotificationFactory(status=Notification.Status.DEAD)
    # API 1.1: one open case per patient, so one patient each
    EscalationFactory(patient=PatientFactory(enrolled=True), level=TriageLevel.EMERGENCY)
    EscalationFactory(patient=PatientFactory(enrolled=True), level=TriageLevel.URGENT)
    EscalationFactory(patient=PatientFactory(enrolled=True), level=TriageLevel.URGENT)
    EscalationFactory(patient=PatientFactory(enrolled=True), level=TriageLevel.URGENT, acknowledged_at=now)

    response = client.get("/metrics")  # the test client's REMOTE_ADDR is 127.0.0.1

    assert response.status_code == 200
    text = response.content.decode()
    assert metric(text, "pump_outbox_pending") == 2
    assert 600 <= metric(text, "pump_outbox_oldest_pending_age_seconds") < 700
    assert metric(text, "pump_outbox_failed_deliveries", '{state="retrying"}') == 1
    assert metric(text, "pump_outbox_failed_deliveries", '{state="dead"}') == 1
    assert metric(text, "pump_open_escalations", '{level="emergency"}') == 1
    assert metric(text, "pump_open_escalations", '{level="urgent"}') == 2
    assert "django_http_requests_total_by_method_total" in text  # django-prometheus' own


def test_metrics_with_an_empty_outbox_say_zero(client):
    text = client.get("/metrics").content.decode()
    assert metric(text, "pump_outbox_pending") == 0 and metric(text, "pump_outbox_oldest_pending_age_seconds") == 0


def test_metrics_are_refused_from_another_machine_without_the_token():
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404
    forged = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forged.get("/metrics").status_code == 404


def test_behind_a_proxy_on_the_same_host_loopback_is_not_enough(settings):
    """Every request a local reverse proxy passes on comes from 127.0.0.1: only the token can tell."""
    via_proxy = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert via_proxy.get("/metrics").status_code == 404
    assert Client(REMOTE_ADDR="127.0.0.1", HTTP_FORWARDED="for=203.0.113.9").get("/metrics").status_code == 404
    settings.NUM_PROXIES = 1
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404
    settings.METRICS_TOKEN = "scrape-secret"
    assert via_proxy.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200


def test_with_a_metrics_token_only_the_bearer_of_it_may_scrape(settings):
    settings.METRICS_TOKEN = "scrape-secret"
    assert Client(REMOTE_ADDR="10.0.0.5").get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200
    assert Client(REMOTE_ADDR="10.0.0.5").get("/metrics", HTTP_AUTHORIZATION="Bearer guess").status_code == 404
    assert Client().get("/metrics").status_code == 404  # loopback alone is not enough once a token is set


# --- API docs -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/docs/", "/api/schema/"])
def test_api_docs_need_a_staff_login_in_production(path, settings):
    settings.API_DOCS_PUBLIC = False
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    patient = Client()
    patient.force_login(UserFactory(role=User.Role.PATIENT))
    assert patient.get(path).status_code == 302
    staff = Client()
    staff.force_login(UserFactory(role=User.Role.STAFF, is_staff=True))
    assert staff.get(path).status_code == 200


def test_api_docs_are_public_in_debug(settings):
    settings.API_DOCS_PUBLIC = True
    assert Client().get("/api/docs/").status_code == 200


# --- Retention ------------------------------------------------------------------------------------

def test_the_retention_job_flushes_expired_tokens_and_old_finished_pushes_but_keeps_audit_events(settings):
    settings.OUTBOX_RETENTION = timedelta(days=30)
    now = timezone.now()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    old_sent = NotificationFactory(status=Notification.Status.SENT, created_at=old)
    old_dead = NotificationFactory(status=Notification.Status.DEAD, created_at=old)
    kept = [NotificationFactory(status=Notification.Status.SENT, created_at=recent),
            NotificationFactory(status=Notification.Status.PENDING, created_at=old),
            NotificationFactory(status=Notification.Status.FAILED, created_at=old)]
    patient = PatientFactory(enrolled=True)
    user = patient.user
    assert user is not None
    live = RefreshToken.for_user(user)
    expired = RefreshToken.for_user(user)
    OutstandingToken.objects.filter(jti=expired["jti"]).update(expires_at=now - timedelta(seconds=1))
    audit = AuditEvent.objects.create(actor=user, action=AuditEvent.Action.VIEW, patient=patient,
                                      object_type="patient", at=now - timedelta(days=400))

    call_command("prune_expired_data")

    assert not Notification.objects.filter(pk__in=[old_sent.pk, old_dead.pk]).exists()
    assert Notification.objects.filter(pk__in=[row.pk for row in kept]).count() == 3
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live["jti"]]
    assert AuditEvent.objects.filter(pk=audit.pk).exists()


def test_the_retention_job_keeps_the_old_pushes_of_an_escalation_still_open(settings):
    """The inbox's "Push delivered" of a case open for weeks reads its sent rows."""
    from tests.factories import EscalationFactory

    settings.OUTBOX_RETENTION = timedelta(days=30)
    old = timezone.now() - timedelta(days=40)
    still_open = EscalationFactory()
    closed = EscalationFactory(resolved_at=timezone.now())
    kept = NotificationFactory(status=Notification.Status.SENT, created_at=old, topic=f"escalation:{still_open.pk}")
    pruned = NotificationFactory(status=Notification.Status.SENT, created_at=old, topic=f"escalation:{closed.pk}")

    call_command("prune_expired_data")

    assert Notification.objects.filter(pk=kept.pk).exists() and not Notification.objects.filter(pk=pruned.pk).exists()


def test_the_retention_job_is_scheduled_nightly_and_registered(settings):
    from backend.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["prune-expired-data"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


# --- gunicorn -------------------------------------------------------------------------------------

def load_gunicorn_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_runs_two_workers_per_cpu_plus_one(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # else the config sets one for this process
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1, 2, 3})
    assert load_gunicorn_conf().workers == 9
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert load_gunicorn_conf().workers == 3


def test_the_image_and_compose_start_gunicorn_with_the_config():
    assert '"--config", "gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()
    assert '"--config", "gunicorn.conf.py"' in (ROOT / "docker-compose.yml").read_text()


# --- docker-compose's web health check ------------------------------------------------------------

def web_healthcheck(port: int, allowed_hosts: str | None) -> int:
    """Run compose's web health check command (its python -c code) against the live server."""
    import os
    import subprocess
    import sys

    import yaml

    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"]
    code = command[3].replace("8000", str(port))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOWED_HOSTS"}
    if allowed_hosts is not None:
        env["DJANGO_ALLOWED_HOSTS"] = allowed_hosts
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=30).returncode


@pytest.mark.django_db(transaction=True)
def test_composes_health_check_probes_healthz_with_a_host_the_settings_allow(live_server, settings):
    settings.ALLOWED_HOSTS = ["example.org", "www.example.org"]
    port = int(live_server.url.rsplit(":", 1)[1])

    assert web_healthcheck(port, "example.org,www.example.org") == 0
    assert web_healthcheck(port, None) != 0  # "localhost" is not allowed here: the probe would fail


@pytest.mark.django_db(transaction=True)
def test_under_gunicorn_with_two_workers_any_scrape_counts_every_workers_requests(tmp_path):
    import http.client
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    from tests.support import free_port

    db = connection.settings_dict
    database_url = (f"postgres://{db['USER']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}"
                    f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}")
    if connection.vendor != "postgresql":
        pytest.skip("runs against the test PostgreSQL (make test)")
    NotificationFactory(status=Notification.Status.PENDING)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", DATABASE_URL=database_url)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "backend.wsgi:application", "--config", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "gunicorn.log").open("w"),
    )

    def get(path: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        conn.request("GET", path)
        response = conn.getresponse()
        answer = response.status, response.read().decode()
        conn.close()
        return answer

    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        assert [get("/healthz")[0] for _ in range(6)] == [200] * 6
        scrapes = [get("/metrics") for _ in range(2)]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    for status, text in scrapes:
        assert status == 200, (tmp_path / "gunicorn.log").read_text()
        healthz = [line for line in text.splitlines()
                   if line.startswith("django_http_requests_total_by_view_transport_method_total{")
                   and 'view="healthz"' in line and 'method="GET"' in line]
        assert len(healthz) == 1 and float(healthz[0].rsplit(" ", 1)[1]) == 6, healthz
        assert metric(text, "pump_outbox_pending") == 1


def test_the_sites_root_leads_to_the_dashboard():
    answer = Client().get("/")
    assert (answer.status_code, answer["Location"]) == (302, "/dashboard/")
