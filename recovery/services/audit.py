"""The audit trail of staff reads and writes of patient records.

Where a request came from (path, address, user agent) is set once per request by
recovery.middleware.RequestOriginMiddleware into a context variable; services read it when they write
an audit row, in the same transaction as the change they describe. Views never write audit rows.

Repeated views of the same page of the same patient by the same person within
settings.AUDIT_VIEW_MERGE_WINDOW (fixed slots, 10 minutes by default) are one row: a unique merge key
and INSERT ... ON CONFLICT DO NOTHING, so the inbox polled every 15 s does not write a row per poll.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from recovery.models import AuditEvent, Patient


@dataclass(frozen=True)
class RequestOrigin:
    """Where an audited request came from; empty outside a request (commands, tasks)."""

    path: str = ""
    ip_address: str | None = None
    user_agent: str = ""


NO_REQUEST = RequestOrigin()
_origin: ContextVar[RequestOrigin] = ContextVar("audit_request_origin", default=NO_REQUEST)


def client_ip(meta: dict[str, Any]) -> str | None:
    """The caller's address: X-Forwarded-For only as far as DJANGO_NUM_PROXIES trusted proxies vouch for it."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return meta.get("REMOTE_ADDR") or None


def origin_of(request: HttpRequest) -> RequestOrigin:
    """The request's path without its query string (a search such as ?q=<patient name> is health data
    that must not spread into the audit table), the caller's address and user agent."""
    return RequestOrigin(
        path=request.path[:512],
        ip_address=client_ip(request.META),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:256],
    )


@contextmanager
def request_origin(origin: RequestOrigin) -> Iterator[RequestOrigin]:
    """Audit rows written inside this block name `origin` (the middleware wraps every request in it)."""
    token = _origin.set(origin)
    try:
        yield origin
    finally:
        _origin.reset(token)


def current_origin() -> RequestOrigin:
    return _origin.get()


def patient_of(obj: models.Model | None) -> Patient | None:
    """The patient a record belongs to (the patient itself for a Patient row)."""
    if obj is None or isinstance(obj, Patient):
        return obj
    return getattr(obj, "patient", None)


def record(
    *, actor: Any, action: str, patient: Patient | None, obj: models.Model | None = None, object_type: str = "",
) -> None:
    """Write who read or changed which patient record, when and from where. Call it inside the
    transaction of the change; views are merged (see the module docstring)."""
    object_type = object_type or (obj._meta.label if obj is not None else "recovery.Patient")
    object_id = str(obj.pk) if obj is not None else (str(patient.pk) if patient else "")
    _write([(patient, object_id)], actor=actor, action=action, object_type=object_type)


def record_views(*, actor: Any, patients: Iterable[Patient], object_type: str = "recovery.Patient") -> None:
    """Audit one read of several patients' records (a list page) in a single insert."""
    unique = {patient.pk: patient for patient in patients}
    _write([(patient, str(pk)) for pk, patient in unique.items()], actor=actor, action=AuditEvent.Action.VIEW,
           object_type=object_type)


def _write(targets: list[tuple[Patient | None, str]], *, actor: Any, action: str, object_type: str) -> None:
    if not targets:
        return
    origin = current_origin()
    now = timezone.now()
    merges = action == AuditEvent.Action.VIEW and settings.AUDIT_VIEW_MERGE_WINDOW.total_seconds() > 0
    rows = [
        AuditEvent(
            actor=actor, action=action, patient=patient, object_type=object_type, object_id=object_id, at=now,
            merge_key=_merge_key(actor, object_type, object_id, origin.path, now) if merges else None,
            **asdict(origin),
        )
        for patient, object_id in targets
    ]
    AuditEvent.objects.bulk_create(rows, ignore_conflicts=merges)


def _merge_key(actor: Any, object_type: str, object_id: str, path: str, at: datetime) -> str:
    slot = int(at.timestamp() // settings.AUDIT_VIEW_MERGE_WINDOW.total_seconds())
    return hashlib.sha256(f"{actor.pk}|{object_type}|{object_id}|{path}|{slot}".encode()).hexdigest()
