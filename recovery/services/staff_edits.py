"""Staff edits in the admin of records that have no richer service (pumps, milestones, messages ...):
saved or deleted together with their audit row, in one transaction."""
from __future__ import annotations

from typing import Any

from django.db import models, transaction

from recovery.models import AuditEvent
from recovery.services import audit


def save_record(obj: models.Model, *, by: Any, created: bool) -> models.Model:
    """Store a staff-made or staff-changed record and audit it."""
    with transaction.atomic():
        obj.save()
        action = AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE
        audit.record(actor=by, action=action, patient=audit.patient_of(obj), obj=obj)
    return obj


def delete_records(objs: list[models.Model], *, by: Any) -> None:
    """Delete records and audit each. A deleted patient leaves its events with patient=NULL
    (SET_NULL); object_id still names it."""
    with transaction.atomic():
        for obj in objs:
            audit.record(actor=by, action=AuditEvent.Action.DELETE, patient=audit.patient_of(obj), obj=obj)
            obj.delete()
