"""The audit trail of staff reads and writes of patient records.

Where a request came from (path, address, user agent) is set once per request by
recovery.middleware.RequestOriginMiddleware into a context variable; services read it when they write
an audit row, in the same transaction as the change they describe. Views never write audit rows.

Repeated views of the same page of the same patient by the same person within
settings.AUDIT_VIEW_MERGE_WINDOW (fixed slots, 10 minutes by default) are one row: a unique merge key
and INSERT ... ON CONFLICT DO NOTHING, so the inbox polled every 15 s does not write a row per poll.
Each process also remembers the merge keys of the current slot that it has seen committed: a poll of an
unchanged inbox then sends no INSERT at all, and a changed one inserts only the newly shown patients.
"""
from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
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
    """The caller's address: X-Forwarded-For only as far as DJANGO_NUM_PROXIES trusted proxies vouch for it.

    An entry there that is not an address ("unknown", a typo of a proxy, or whatever a client sent when
    fewer proxies are in front than configured) is not vouched for: the peer's own address stands. An audit
    row's address is an inet column, which refused such a value (a 500 on every audited read).
    """
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and forwarded and _is_address(candidate := forwarded[-min(proxies, len(forwarded))]):
        return candidate
    peer = meta.get("REMOTE_ADDR") or None
    return peer if peer is not None and _is_address(peer) else None


def _is_address(value: str) -> bool:
    """An address PostgreSQL's inet column takes: not an IPv6 one with a zone ("fe80::1%eth0"), which Python reads."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return getattr(address, "scope_id", None) is None


def _text(value: str, max_length: int) -> str:
    """A header or path as a text column holds it: without NUL (PostgreSQL text refuses it; a client may send
    one in its User-Agent, a 500 on every audited request) and cut to the column's length."""
    return value.replace("\x00", "")[:max_length]


def origin_of(request: HttpRequest) -> RequestOrigin:
    """The request's path without its query string (a search such as ?q=<patient name> is health data
    that must not spread into the audit table), the caller's address and user agent."""
    return RequestOrigin(
        path=_text(request.path, 512),
        ip_address=client_ip(request.META),
        user_agent=_text(request.META.get("HTTP_USER_AGENT", ""), 256),
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
    _write([(patient.pk if patient is not None else None, object_id)], actor=actor, action=action,
           object_type=object_type)


def record_views(*, actor: Any, patients: Iterable[Patient], object_type: str = "recovery.Patient") -> None:
    """Audit one read of several patients' records (a list page) in a single insert."""
    record_views_of(actor=actor, patient_ids=[patient.pk for patient in patients], object_type=object_type)


def record_views_of(*, actor: Any, patient_ids: Iterable[int], object_type: str = "recovery.Patient") -> None:
    """record_views by the patients' ids (a page answered from recovery.api.inbox_pages' copy)."""
    unique = dict.fromkeys(patient_ids)
    _write([(pk, str(pk)) for pk in unique], actor=actor, action=AuditEvent.Action.VIEW, object_type=object_type)


def _write(targets: list[tuple[int | None, str]], *, actor: Any, action: str, object_type: str) -> None:
    if not targets:
        return
    origin = current_origin()
    now = timezone.now()
    window = settings.AUDIT_VIEW_MERGE_WINDOW.total_seconds()
    merges = action == AuditEvent.Action.VIEW and window > 0
    slot = int(now.timestamp() // window) if merges else 0
    keyed = [(patient_id, object_id, _merge_key(actor, object_type, object_id, origin.path, slot) if merges else None)
             for patient_id, object_id in targets]
    if merges:
        keyed = [target for target in keyed if not _recorded.has(slot, target[2])]
        if not keyed:
            return  # every view is already a committed row of this window
    fields = asdict(origin)
    AuditEvent.objects.bulk_create(
        [AuditEvent(actor=actor, action=action, patient_id=patient_id, object_type=object_type, object_id=object_id,
                    at=now, merge_key=key, **fields) for patient_id, object_id, key in keyed],
        ignore_conflicts=merges,
    )
    if merges:
        keys = [key for _patient_id, _object_id, key in keyed]
        # Only once committed: a rolled-back view was not recorded and must be written again next time.
        transaction.on_commit(lambda: _recorded.add(slot, keys))


def _merge_key(actor: Any, object_type: str, object_id: str, path: str, slot: int) -> str:
    return hashlib.sha256(f"{actor.pk}|{object_type}|{object_id}|{path}|{slot}".encode()).hexdigest()


class _RecordedViews:
    """Merge keys of the current window slot that this process saw committed. Audit rows are never
    deleted, so a key known here is a row in the table; keys of earlier slots can never match again and
    are dropped. Bounded: past MAX keys in one slot it starts over (costing one ignored INSERT per view)."""

    MAX = 100_000

    def __init__(self) -> None:
        self.slot: int | None = None
        self.keys: set[str] = set()

    def has(self, slot: int, key: str | None) -> bool:
        return slot == self.slot and key in self.keys

    def add(self, slot: int, keys: list[str | None]) -> None:
        if slot != self.slot or len(self.keys) + len(keys) > self.MAX:
            self.slot, self.keys = slot, set()
        self.keys.update(key for key in keys if key is not None)


_recorded = _RecordedViews()
