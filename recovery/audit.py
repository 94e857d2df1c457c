"""View mixin shared by the surgeon API and the dashboard: audit what a request shows or changes."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from recovery import services
from recovery.models import AuditEvent, Patient


class AuditsPatientRecords:
    """Writes who read or changed which patient record, through services.record_audit_event(s)."""

    request: HttpRequest

    def audit(self, action: str, patient: Patient, obj: Any = None) -> None:
        services.record_audit_event(actor=self.request.user, action=action, patient=patient, obj=obj,
                                    request=self.request)

    def audit_page(self, patients: list[Patient], object_type: str) -> None:
        """One view event per patient shown on a list page, in a single insert."""
        unique = list({patient.pk: patient for patient in patients}.values())
        services.record_audit_events(actor=self.request.user, action=AuditEvent.Action.VIEW, patients=unique,
                                     object_type=object_type, request=self.request)
