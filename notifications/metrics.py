"""Prometheus gauges of the push outbox, read from the database on each scrape of /metrics."""
from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

from notifications.models import Notification

UNSENT = (Notification.Status.PENDING, Notification.Status.FAILED)


class OutboxCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        unsent = Notification.objects.filter(status__in=UNSENT).aggregate(count=Count("id"), oldest=Min("created_at"))
        pending = GaugeMetricFamily("pump_outbox_pending", "Pushes not yet sent (pending or waiting for a retry).")
        pending.add_metric([], unsent["count"])
        oldest = GaugeMetricFamily("pump_outbox_oldest_pending_age_seconds",
                                   "Age of the oldest push not yet sent; 0 when none is waiting.")
        age = (timezone.now() - unsent["oldest"]).total_seconds() if unsent["oldest"] else 0.0
        oldest.add_metric([], max(age, 0.0))
        failed = GaugeMetricFamily("pump_outbox_failed_deliveries",
                                   "Pushes whose delivery failed: 'retrying' will be tried again, 'dead' never.",
                                   labels=["state"])
        counts = dict(
            Notification.objects.filter(status__in=[Notification.Status.FAILED, Notification.Status.DEAD])
            .values_list("status").annotate(n=Count("id")).values_list("status", "n")
        )
        failed.add_metric(["retrying"], counts.get(Notification.Status.FAILED, 0))
        failed.add_metric(["dead"], counts.get(Notification.Status.DEAD, 0))
        yield from (pending, oldest, failed)

    def describe(self) -> list:
        return []  # no describe-time database query (collect runs only on scrape)


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(OutboxCollector())
        _registered = True
