"""Every job beat runs, by the name of its entry in settings.CELERY_BEAT_SCHEDULE, callable as of a
given moment: what `manage.py run_periodic_jobs --at` replays (shared/API.md, "Periodic jobs by hand")."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime

from notifications.queues import URGENT_QUEUE
from notifications.services import delivery
from recovery.services import escalations, reachability, refill_safety_net, reminders, retention


def _pass_on(now: datetime) -> dict[str, int]:
    return {"passed_on": len(escalations.pass_on_overdue_escalations(now=now)),
            "unreachable_rechecked": reachability.recheck_unreachable_escalations()}


def _sweep(now: datetime, queue: str | None = None) -> dict[str, int]:
    return asdict(delivery.deliver_due(queue=queue, now=now))


# Run in this order: reminders and the safety net write rows, pass-on writes more, the sweep sends them.
PERIODIC_JOBS: dict[str, Callable[[datetime], Mapping[str, int]]] = {
    "dispatch-reminders": lambda now: reminders.dispatch_reminders(now=now),
    "refill-safety-net": lambda now: refill_safety_net.run_refill_safety_net(now=now),
    "pass-on-overdue-escalations": _pass_on,
    "sweep-outbox": _sweep,
    # In beat every few seconds between the full sweeps; after the one above it finds nothing left.
    "sweep-urgent-outbox": lambda now: _sweep(now, queue=URGENT_QUEUE),
    # Nightly in beat; prunes what is past its retention as of the real now (deletion is never replayed).
    "prune-expired-data": lambda now: retention.prune_expired_data(),
}


def run_all(now: datetime) -> dict[str, dict[str, int]]:
    """Run every periodic job once as of `now`; returns what each did (counts by kind)."""
    return {name: dict(job(now)) for name, job in PERIODIC_JOBS.items()}
