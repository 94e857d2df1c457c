"""docker-compose.yml cannot be started here (no Docker engine), so these tests check that what it
names exists: services, images, commands, modules, environment variables, health checks, Dockerfile."""
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
# The services that run this project's code (built from the Dockerfile).
OWN = sorted(name for name, service in SERVICES.items() if "build" in service)
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::(?P<op>[-?])(?P<arg>[^}]*))?\}")


def settings_env_names() -> set[str]:
    """Every environment variable backend/settings.py reads through django-environ."""
    source = (ROOT / "backend" / "settings.py").read_text()
    return set(re.findall(r'\benv(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', source))


def resolve(value: str, given: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, with `given` as the shell environment."""
    def one(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if given.get(name):
            return given[name]
        if op == "?":
            raise KeyError(f"{name} is required: {arg}")
        return arg if op == "-" else ""
    return INTERPOLATION.sub(one, str(value))


def test_it_has_web_worker_beat_postgres_and_redis():
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(SERVICES)
    assert SERVICES["postgres"]["image"] == "postgres:15"
    assert SERVICES["redis"]["image"].startswith("redis:7")


def test_web_runs_gunicorn_on_the_projects_wsgi_application():
    command = SERVICES["web"]["command"]
    assert command[0] == "gunicorn"
    module_name, attribute = command[1].split(":")

    assert callable(getattr(importlib.import_module(module_name), attribute))


@pytest.mark.parametrize("service, subcommand", [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_celery_with_the_projects_app(service, subcommand):
    command = SERVICES[service]["command"]
    assert command[:2] == ["celery", "-A"] and subcommand in command
    app_module = command[command.index("-A") + 1]

    from celery import Celery
    assert isinstance(importlib.import_module(f"{app_module}.celery").app, Celery)


def test_exactly_one_beat_runs():
    assert SERVICES["beat"].get("deploy", {}).get("replicas", 1) == 1
    beats = [name for name in OWN if "beat" in SERVICES[name].get("command", [])]
    assert beats == ["beat"]


@pytest.mark.parametrize("service", OWN)
def test_every_variable_a_service_sets_is_one_the_settings_read(service):
    unknown = set(SERVICES[service]["environment"]) - settings_env_names()

    assert not unknown, f"{service} sets variables backend/settings.py never reads: {sorted(unknown)}"


@pytest.mark.parametrize("service", OWN)
def test_secret_key_has_no_default_in_compose(service):
    with pytest.raises(KeyError, match="DJANGO_SECRET_KEY"):
        resolve(SERVICES[service]["environment"]["DJANGO_SECRET_KEY"], {})


def test_the_compose_environment_gives_postgres_redis_and_production_settings():
    given = {"DJANGO_SECRET_KEY": "k" * 64}
    env = {name: resolve(value, given) for name, value in SERVICES["web"]["environment"].items()}
    probe = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], "
        "s.CACHES['default']['BACKEND'], s.CELERY_BROKER_URL, s.DEBUG]))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in env and not k.startswith(("DJANGO_", "DATABASE_"))}

    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "backend.settings"},
    ).stdout

    assert json.loads(out) == [
        # Django's RedisCache, falling back to process memory while Redis is away (backend/cache.py)
        "backend.postgresql", "postgres", "backend.cache.RedisCacheWithLocalFallback",
        "redis://redis:6379/0", False,
    ]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_depends_on_targets_exist_and_can_report_health(service):
    for target, rule in SERVICES[service].get("depends_on", {}).items():
        assert target in SERVICES and target != service
        if rule["condition"] == "service_healthy":
            assert "healthcheck" in SERVICES[target], f"{service} waits for {target} to be healthy"
        else:
            assert rule["condition"] == "service_completed_successfully"


def test_web_worker_and_beat_wait_for_the_database_broker_and_migrations():
    for service in ("web", "worker", "beat"):
        assert {"postgres", "redis", "migrate"} <= set(SERVICES[service]["depends_on"])
    assert "manage.py" in SERVICES["migrate"]["command"] and "migrate" in SERVICES["migrate"]["command"]


@pytest.mark.parametrize("service", OWN)
def test_built_services_use_a_dockerfile_that_exists(service):
    build = SERVICES[service]["build"]

    assert (ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).is_file()


def test_dockerfile_copies_only_paths_that_exist_and_installs_the_project():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    copied = [part for line in lines if line.startswith("COPY ") for part in line.split()[1:-1]]

    assert lines[[line.startswith("FROM") for line in lines].index(True)].startswith("FROM python:3.11")
    assert copied and all((ROOT / part).exists() for part in copied)
    assert any("pip install ." in line for line in lines)


def test_readme_documents_every_environment_variable_the_settings_read():
    readme = (ROOT / "README.md").read_text()

    assert sorted(name for name in settings_env_names() if f"`{name}`" not in readme) == []


def queues_consumed(service: str) -> set[str]:
    command = SERVICES[service]["command"]
    return set(command[command.index("-Q") + 1].split(",")) if "-Q" in command else set()


def test_urgent_worker_serves_only_the_urgent_queue_and_the_bulk_worker_never_does():
    from notifications.queues import BULK_QUEUE, URGENT_QUEUE

    assert queues_consumed("worker-urgent") == {URGENT_QUEUE}
    assert queues_consumed("worker") == {BULK_QUEUE}
    assert {"postgres", "redis", "migrate"} <= set(SERVICES["worker-urgent"]["depends_on"])
    workers = [name for name in OWN if "worker" in SERVICES[name].get("command", [])]
    assert all(queues_consumed(name) for name in workers), "a worker without -Q would take both queues"
