"""Writes of the notification outbox. Pushes are rows first; Celery only delivers them."""
from __future__ import annotations

from recovery.models import Escalation


def queue_escalation_pushes(escalation: Escalation) -> list:
    """Write the outbox rows announcing `escalation` to its surgeon's devices.

    Called by recovery.services inside the report's transaction (DESIGN.md step 2).
    The notifications issue (#4) fills this in; until then nothing is queued.
    """
    return []
