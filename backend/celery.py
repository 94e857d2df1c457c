"""Celery application: moves work only; the database is the source of truth (DESIGN.md)."""
import os

from celery import Celery
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("backend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task log lines carry the request_id of the request that queued them (django-structlog).
app.steps["worker"].add(DjangoStructLogInitStep)
