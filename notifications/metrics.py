"""Prometheus gauges of the push outbox, read from the database on each scrape of /metrics."""
from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

from notifications.health import push_health
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
        # Rows, not ids: the partial index notification_failed_or_dead answers it alone (an index-only scan).
        counts = dict(
            Notification.objects.filter(status__in=[Notification.Status.FAILED, Notification.Status.DEAD])
            .values_list("status").annotate(n=Count("*")).values_list("status", "n")
        )
        failed.add_metric(["retrying"], counts.get(Notification.Status.FAILED, 0))
        failed.add_metric(["dead"], counts.get(Notification.Status.DEAD, 0))
        yield from (pending, oldest, failed)
        yield from escalation_push_gauges()

    def describe(self) -> list:
        return []  # no describe-time database query (collect runs only on scrape)


def escalation_push_gauges() -> Iterator[GaugeMetricFamily]:
    """Escalation pushes alone (notifications.health): the ones that must never be lost."""
    health = push_health()
    failing = GaugeMetricFamily("pump_push_escalation_delivery_failing",
                                "1 while an escalation push has been undelivered for minutes (the ALERT log line).")
    failing.add_metric([], float(health.failing))
    undelivered = GaugeMetricFamily("pump_push_escalations_undelivered", "Escalation pushes not yet delivered.")
    undelivered.add_metric([], health.undelivered_escalation_pushes)
    oldest = GaugeMetricFamily("pump_push_oldest_undelivered_escalation_age_seconds",
                               "Age of the oldest undelivered escalation push; 0 when none.")
    since = health.oldest_undelivered_since
    oldest.add_metric([], max((timezone.now() - since).total_seconds(), 0.0) if since else 0.0)
    yield from (failing, undelivered, oldest)


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(OutboxCollector())
        _registered = True
