"""`GET /metrics` for Prometheus (django-prometheus plus the outbox and escalation gauges).

Under gunicorn with several workers (gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR), every worker
writes its counters to files there and any worker answers the sum of all of them; the database
gauges are read once per scrape.

Protected, because counts of escalations are operational data: with METRICS_TOKEN set, a request
must carry `Authorization: Bearer <METRICS_TOKEN>`; without it, only requests from the machine
itself are answered: REMOTE_ADDR on loopback, no reverse proxy configured (DJANGO_NUM_PROXIES 0) and no
forwarding header, since every request a proxy on the same host passes on comes from loopback too.
Anything else is 404, so the endpoint is not advertised.
"""
from __future__ import annotations

import hmac
import ipaddress
import os

import prometheus_client
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import multiprocess

from notifications.metrics import OutboxCollector
from recovery.metrics import OpenEscalationsCollector

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    if settings.NUM_PROXIES or any(header in request.META for header in FORWARDING_HEADERS):
        return False  # a proxy's requests all come from loopback: behind one, only the token says who scrapes
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def registry() -> prometheus_client.CollectorRegistry:
    """This process's registry, or, with several gunicorn workers, one summing every worker's files."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return prometheus_client.REGISTRY
    combined = prometheus_client.CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    combined.register(OutboxCollector())
    combined.register(OpenEscalationsCollector())
    return combined


def metrics(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        raise Http404
    return HttpResponse(prometheus_client.generate_latest(registry()),
                        content_type=prometheus_client.CONTENT_TYPE_LATEST)
