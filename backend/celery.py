"""Celery application: moves work only; the database is the source of truth (DESIGN.md)."""
import os

from celery import Celery
from celery.app.utils import Settings
from celery.signals import celeryd_init
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("backend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task log lines carry the request_id of the request that queued them (django-structlog).
app.steps["worker"].add(DjangoStructLogInitStep)


@celeryd_init.connect
def patient_broker_timeouts_for_workers(conf: Settings, **_: object) -> None:
    """A worker keeps its broker connection through a slow Redis answer (web processes keep the short
    timeouts that protect a request); set before the worker connects, inherited by its pool processes."""
    from django.conf import settings

    conf.broker_connection_timeout = settings.WORKER_BROKER_CONNECTION_TIMEOUT
    conf.broker_transport_options = settings.WORKER_BROKER_TRANSPORT_OPTIONS
