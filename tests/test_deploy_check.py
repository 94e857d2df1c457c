"""`manage.py check --deploy` with production-like environment variables reports nothing but the
warnings README.md lists as accepted (section "check --deploy")."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
ACCEPTED = ["security.W021"]  # HSTS preload: the domain owner's decision (README.md)


def check_deploy(**overrides: str | None) -> subprocess.CompletedProcess:
    """Run the deploy check in a fresh process, with only the given settings environment."""
    env: dict[str, str | None] = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="backend.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="example.org",
    )
    env.update(overrides)
    present = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=present, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_passes_with_production_environment():
    result = check_deploy()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_only_the_warnings_the_readme_accepts_are_silenced():
    assert settings.SILENCED_SYSTEM_CHECKS == ACCEPTED
    readme = (ROOT / "README.md").read_text()
    assert all(check_id in readme for check_id in ACCEPTED)


def test_check_deploy_fails_without_a_secret_key():
    result = check_deploy(DJANGO_SECRET_KEY=None)

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_check_deploy_fails_with_debug_on():
    result = check_deploy(DJANGO_DEBUG="true")

    assert result.returncode != 0
    assert "security.W018" in result.stderr
