"""`GET /metrics` for Prometheus (django-prometheus plus the outbox and escalation gauges).

Protected, because counts of escalations are operational data: with METRICS_TOKEN set, a request
must carry `Authorization: Bearer <METRICS_TOKEN>`; without it, only requests from the machine
itself (REMOTE_ADDR on loopback; X-Forwarded-For is not looked at) are answered. Anything else is 404,
so the endpoint is not advertised.
"""
from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django_prometheus.exports import ExportToDjangoView


def may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def metrics(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        raise Http404
    return ExportToDjangoView(request)
