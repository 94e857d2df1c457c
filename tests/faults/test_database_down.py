"""PostgreSQL stopped under a running web server (gunicorn): 503 with Retry-After, JSON under /api/."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.faults.conftest import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _env(database_url: str) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url,
            "CACHE_URL": "locmemcache://", "DATABASE_CONN_MAX_AGE": "0"}


def request(url: str, body: dict | None = None, token: str = "") -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def web_on_own_database(postgres_server):
    """gunicorn (2 workers) on a migrated throwaway database with one surgeon login."""
    env = _env(postgres_server.url)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True, cwd=ROOT)
    subprocess.run([*manage, "create_surgeon", "--username", "dr.fault", "--password", "pump-fault-2026!"],
                   env=env, check=True, capture_output=True, cwd=ROOT)
    port = free_port()
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "backend.wsgi", "--bind", f"127.0.0.1:{port}",
                            "--workers", "2", "--timeout", "60"], env=env, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return request(f"{base}/api/v1/me/")[0] == 401
        except OSError:
            return False

    try:
        wait_for(up, timeout=60, what="gunicorn to answer")
        yield base, postgres_server
    finally:
        web.terminate()
        web.wait(timeout=30)


def test_api_answers_503_with_retry_after_while_postgresql_is_stopped(web_on_own_database):
    base, postgres = web_on_own_database
    login = {"username": "dr.fault", "password": "pump-fault-2026!"}
    status, _, body = request(f"{base}/api/v1/auth/token/", login)
    assert status == 200
    token = json.loads(body)["access"]
    postgres.stop()
    for url, payload in ((f"{base}/api/v1/auth/token/", login), (f"{base}/api/v1/surgeon/inbox/", None)):
        status, headers, body = request(url, payload, token=token if payload is None else "")
        assert status == 503, (url, status, body[:300])
        assert int(headers["Retry-After"]) > 0
        assert "detail" in json.loads(body)
    postgres.start()
    assert wait_for(lambda: request(f"{base}/api/v1/surgeon/inbox/", token=token)[0] == 200, timeout=30,
                    what="the API back after PostgreSQL restarted")
