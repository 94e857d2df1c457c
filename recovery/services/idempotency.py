"""What makes a phone retry safe: the body's fingerprint and the conflict of a reused client_id."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import models


class IdempotencyConflict(Exception):
    """The phone record's client_id (a report or a message) was already used for a different body (the
    API answers 409)."""

    def __init__(self, record: models.Model, client_id: Any = None) -> None:
        self.client_id = client_id if client_id is not None else getattr(record, "client_id", None)
        super().__init__(f"client_id {self.client_id} was already used with a different body")
        self.record = record


def _canonical(value: Any) -> str:
    if isinstance(value, (uuid.UUID, Decimal, date, time, datetime)):
        return str(value)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def payload_fingerprint(data: dict[str, Any], *, file_digest: str = "") -> str:
    """sha256 of the validated body as canonical JSON (plus the photo's sha256), to tell a retry from a reuse."""
    body = dict(data)
    if file_digest:
        body["photo_sha256"] = file_digest
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_canonical)
    return hashlib.sha256(canonical.encode()).hexdigest()
