"""Prometheus gauge of open escalations by level, read from the database on each scrape of /metrics."""
from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

from recovery.models import Escalation, TriageLevel

ESCALATION_LEVELS = [level for level in TriageLevel.values if level != TriageLevel.ROUTINE]


class OpenEscalationsCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = dict(
            Escalation.objects.filter(acknowledged_at__isnull=True)
            .values_list("level").annotate(n=Count("id")).values_list("level", "n")
        )
        gauge = GaugeMetricFamily("pump_open_escalations", "Escalations nobody has acknowledged yet.",
                                  labels=["level"])
        for level in ESCALATION_LEVELS:
            gauge.add_metric([level], counts.get(level, 0))
        yield gauge

    def describe(self) -> list:
        return []


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(OpenEscalationsCollector())
        _registered = True
