"""gunicorn settings for the web container (Dockerfile, docker-compose.yml): `gunicorn -c gunicorn.conf.py`.

Workers follow the CPUs this process may use (2 x CPUs + 1, gunicorn's rule of thumb for sync
workers); WEB_CONCURRENCY overrides. The access log is JSON through backend/logs.py: path without
its query string, push tokens in device paths replaced, with the request's duration.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from backend.logs import logging_config


def usable_cpus() -> int:
    """CPUs this process may run on (a container's cpuset, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    return int(os.environ.get("WEB_CONCURRENCY") or 0) or usable_cpus() * 2 + 1


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = default_workers()
# Sync workers (gunicorn's default class): one request at a time per process, the connection closed after
# each answer. The gthread class (keep-alive, threads overlapping one request's PostgreSQL wait with another's
# CPU) served fewer requests here: with wrk's 8 keep-alive connections on 2 workers, one worker took most
# connections while the other idled, and its thread hand-offs cost more CPU per request than the reconnects
# they save (bench/README.md, "API"); in a later alternating comparison it was no better beyond this machine's
# noise ("API, third pass"). In production the proxy in front keeps the clients' connections open.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Web processes cancel a database statement after this (backend/postgres_options.py): a lock wait or an
# overloaded server answers 503 with Retry-After well before the worker timeout kills the request.
# With no worker timeout (0), none either.
if timeout > 0:
    os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_MS", str(int(max(timeout - 10, timeout / 2) * 1000)))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound. A new worker costs about 2 s
# of CPU (imports, first requests): every 2,000 requests that was about 1 ms on each request, a third of
# a GET /api/v1/me/ (bench/README.md); every 20,000 it is 0.1 ms, and at 300 req/s a worker still
# starts afresh about every two minutes.
max_requests = 20000
max_requests_jitter = 2000
# Only the proxy in front may say "this was https" (DJANGO_BEHIND_TLS_PROXY); default: local only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's runtime control socket is not used; off, so nothing else listens and parallel test runs
# on one machine do not share its default path.
control_socket_disable = True
accesslog = "-"
# %(U)s is the path without the query string (patient searches carry names there).
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
logconfig_dict = logging_config(os.environ.get("LOG_LEVEL", "INFO"))

# Prometheus (backend/metrics.py): each worker writes its counters to files in this folder, so a scrape
# answered by any worker sums all of them. Set before any worker imports prometheus_client; a fresh
# folder per start (files of workers that are gone would otherwise count forever).
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pump-prometheus-")


def child_exit(_server: Any, worker: Any) -> None:
    """A worker ended: its live gauges stop counting (its counters stay in the sum)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(_server: Any) -> None:
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
