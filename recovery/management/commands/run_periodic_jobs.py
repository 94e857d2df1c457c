"""`python manage.py run_periodic_jobs [--at 2027-01-15T14:00:00Z]`: every job beat runs, once, as of a moment.

For operators replaying a missed run, and for tests (shared/API.md, "Periodic jobs by hand").
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from recovery import periodic


def parse_moment(value: str) -> datetime:
    """An ISO 8601 date-time with offset (a trailing Z is UTC); one without an offset is refused."""
    moment = parse_datetime(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    if moment is None or timezone.is_naive(moment):
        raise CommandError(f"--at must be an ISO 8601 date-time with offset, e.g. 2027-01-15T14:00:00Z; got {value!r}")
    return moment


class Command(BaseCommand):
    help = "Run, once, every periodic job beat runs (reminders, refill safety net, pass-on, outbox sweep)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="Run as if it were this moment (ISO 8601 with offset); default now.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = parse_moment(options["at"]) if options["at"] else timezone.now()
        self.stdout.write(f"periodic jobs as of {now.astimezone(UTC).isoformat()}")
        for name, counts in periodic.run_all(now).items():
            summary = ", ".join(f"{kind}={count}" for kind, count in counts.items()) or "nothing to do"
            self.stdout.write(f"{name}: {summary}")
