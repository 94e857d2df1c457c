"""Handing stored outbox rows to the broker without ever holding up a web request.

The rows are committed before this runs; a failed hand-off loses nothing (the periodic sweep sends
due rows). So the hand-off is bounded by short Redis timeouts (settings.CELERY_BROKER_TRANSPORT_OPTIONS),
and after one failure this process skips the broker for `SKIP_BROKER_FOR` seconds: during an outage
only the first request per process waits for the timeout, the others answer at once.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

logger = logging.getLogger(__name__)

SKIP_BROKER_FOR = 15.0

_lock = threading.Lock()
_skip_until = 0.0


def broker_skipped() -> bool:
    """True while a recent hand-off failed and this process leaves new rows to the sweep."""
    return time.monotonic() < _skip_until


def reset() -> None:
    """Forget a recorded broker failure (tests; a new worker process starts without one anyway)."""
    global _skip_until
    with _lock:
        _skip_until = 0.0


def hand_off(chunks: Sequence[list[int]], publish: Callable[[list[int]], object]) -> int:
    """Publish each chunk of row ids with `publish`; returns how many chunks went to the broker.

    Never raises for a broker failure: the rows stay due and the sweep delivers them.
    """
    global _skip_until
    handed = 0
    for chunk in chunks:
        if broker_skipped():
            logger.warning("Could not enqueue delivery of %d notifications (broker recently unavailable); "
                           "the sweep will send them", len(chunk))
            continue
        try:
            publish(chunk)
            handed += 1
        except Exception as exc:  # noqa: BLE001 - any broker failure: the rows are safe, the sweep sends them
            with _lock:
                _skip_until = time.monotonic() + SKIP_BROKER_FOR
            logger.warning("Could not enqueue delivery of %d notifications (%s); the sweep will send them",
                           len(chunk), type(exc).__name__)
    return handed
