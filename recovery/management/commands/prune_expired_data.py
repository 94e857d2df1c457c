"""By hand what Celery beat runs nightly: flush expired tokens, prune old sent/dead outbox rows."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from recovery.services.retention import prune_expired_data


class Command(BaseCommand):
    help = "Delete expired refresh tokens and sent/dead outbox rows older than OUTBOX_RETENTION_DAYS."

    def handle(self, *args: Any, **_options: Any) -> None:
        for what, count in prune_expired_data().items():
            self.stdout.write(f"{what}: {count} deleted")
