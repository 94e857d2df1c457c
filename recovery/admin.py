"""Django admin for the clinical domain: staff search and fix records; every look at a patient's
records is written to the audit trail (recovery.services.record_audit_event)."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.http import HttpRequest, HttpResponse

from recovery import services
from recovery.models import (
    ActivationCode,
    AuditEvent,
    CheckIn,
    Escalation,
    IncisionCheck,
    Milestone,
    Patient,
    PatientMessage,
    Pump,
    Restriction,
    Surgeon,
    User,
    WarningReport,
)


def patient_of(obj: models.Model) -> Patient | None:
    """The patient a record belongs to (the patient itself for a Patient row)."""
    return obj if isinstance(obj, Patient) else getattr(obj, "patient", None)


class PatientRecordAuditMixin:
    """Audit-logs staff opening, creating, changing and deleting a patient's records in the admin."""

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, admin.utils.unquote(object_id))
            if obj is not None:
                services.record_audit_event(actor=request.user, action=AuditEvent.Action.VIEW,
                                            patient=patient_of(obj), obj=obj, request=request)
        return response

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if response.status_code == 200 and changelist is not None:
            shown = {patient.pk: patient for obj in changelist.result_list if (patient := patient_of(obj))}
            services.record_audit_events(actor=request.user, action=AuditEvent.Action.VIEW, patients=shown.values(),
                                         object_type=self.model._meta.label, request=request)
        return response

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        action = AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE
        services.record_audit_event(actor=request.user, action=action, patient=patient_of(obj), obj=obj,
                                    request=request)

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        self._audit_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        for obj in queryset:
            self._audit_delete(request, obj)
        super().delete_queryset(request, queryset)

    def _audit_delete(self, request: HttpRequest, obj: models.Model) -> None:
        # A deleted patient leaves the event with patient=NULL (SET_NULL); object_id still names it.
        services.record_audit_event(actor=request.user, action=AuditEvent.Action.DELETE,
                                    patient=patient_of(obj), obj=obj, request=request)


PHONE_RECORD_READONLY = (
    "client_id", "payload_fingerprint", "local_date", "created_at",
    "triage_level", "triage_reasons", "triage_advice",
)


class PhoneRecordAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    """What the three kinds of phone report share: idempotency and triage fields are read-only."""

    list_display = ("patient", "local_date", "triage_level", "created_at")
    list_filter = ("triage_level",)
    search_fields = ("patient__display_name", "client_id")
    date_hierarchy = "created_at"
    raw_id_fields = ("patient",)
    list_select_related = ("patient",)
    readonly_fields = PHONE_RECORD_READONLY


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "role", "is_staff", "is_active", "last_login")
    list_filter = ("role", "is_staff", "is_superuser", "is_active")
    fieldsets = DjangoUserAdmin.fieldsets + (("Role", {"fields": ("role",)}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (("Role", {"fields": ("role",)}),)


@admin.register(Surgeon)
class SurgeonAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "backup")
    search_fields = ("display_name", "user__username", "user__email")
    autocomplete_fields = ("backup",)
    raw_id_fields = ("user",)
    list_select_related = ("user", "backup")


class PumpInline(admin.StackedInline):
    model = Pump
    can_delete = False


@admin.register(Patient)
class PatientAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    list_display = ("display_name", "surgeon", "surgery_date", "timezone", "checkin_time", "user")
    list_filter = ("surgeon", "binder_prescribed", "timezone")
    search_fields = ("display_name", "user__username", "surgeon__display_name")
    date_hierarchy = "surgery_date"
    autocomplete_fields = ("surgeon",)
    raw_id_fields = ("user",)
    list_select_related = ("surgeon", "user")
    readonly_fields = ("created_at", "updated_at")
    inlines = (PumpInline,)


@admin.register(Pump)
class PumpAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    list_display = ("patient", "kind", "drug", "next_refill_date", "battery_replacement_due")
    list_filter = ("kind", "drug")
    search_fields = ("patient__display_name",)
    raw_id_fields = ("patient",)
    list_select_related = ("patient",)


@admin.register(ActivationCode)
class ActivationCodeAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    """Codes are issued by enrolment (the plain code is shown once); here they can only be looked at."""

    list_display = ("patient", "created_at", "expires_at", "used_at")
    search_fields = ("patient__display_name",)
    raw_id_fields = ("patient",)
    list_select_related = ("patient",)
    readonly_fields = ("patient", "code_hash", "created_at", "expires_at", "used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Milestone)
class MilestoneAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    list_display = ("patient", "key", "title", "due_date", "window_days", "completed_at")
    list_filter = ("key",)
    search_fields = ("patient__display_name", "key", "title")
    date_hierarchy = "due_date"
    raw_id_fields = ("patient",)
    list_select_related = ("patient",)


@admin.register(Restriction)
class RestrictionAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    list_display = ("patient", "key", "title", "starts_on", "ends_on")
    list_filter = ("key",)
    search_fields = ("patient__display_name", "key", "title")
    raw_id_fields = ("patient",)
    list_select_related = ("patient",)


@admin.register(CheckIn)
class CheckInAdmin(PhoneRecordAdmin):
    list_display = ("patient", "local_date", "pain_score", "temperature", "temperature_unit",
                    "binder_hours", "triage_level", "created_at")
    list_filter = ("triage_level", "binder_worn", "restrictions_followed")


@admin.register(IncisionCheck)
class IncisionCheckAdmin(PhoneRecordAdmin):
    list_display = ("patient", "site", "local_date", "redness", "swelling", "drainage", "bleeding", "pain",
                    "triage_level", "created_at")
    list_filter = ("triage_level", "site", "redness", "drainage", "bleeding")


@admin.register(WarningReport)
class WarningReportAdmin(PhoneRecordAdmin):
    list_display = ("patient", "local_date", "symptoms", "triage_level", "created_at")


@admin.register(Escalation)
class EscalationAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    """Escalations are made by triage; staff may reassign them but not forge their source or timing."""

    list_display = ("patient", "level", "assigned_surgeon", "created_at", "ack_due_at", "acknowledged_at",
                    "acknowledged_by", "escalated_to")
    list_filter = ("level", ("acknowledged_at", admin.EmptyFieldListFilter), "assigned_surgeon")
    search_fields = ("patient__display_name", "assigned_surgeon__display_name")
    date_hierarchy = "created_at"
    raw_id_fields = ("patient", "checkin", "incision_check", "warning_report", "acknowledged_by")
    autocomplete_fields = ("assigned_surgeon", "escalated_to")
    list_select_related = ("patient", "assigned_surgeon", "acknowledged_by", "escalated_to")
    readonly_fields = ("level", "reasons", "checkin", "incision_check", "warning_report", "created_at",
                       "acknowledged_at", "acknowledged_by", "escalated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PatientMessage)
class PatientMessageAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    list_display = ("patient", "kind", "title", "sender", "created_at")
    list_filter = ("kind",)
    search_fields = ("patient__display_name", "title", "body")
    date_hierarchy = "created_at"
    raw_id_fields = ("patient", "sender", "escalation")
    list_select_related = ("patient", "sender")
    readonly_fields = ("created_at",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail: searchable, never written or erased by hand."""

    list_display = ("at", "actor", "action", "object_type", "object_id", "patient", "ip_address")
    list_filter = ("action", "object_type")
    search_fields = ("actor__username", "patient__display_name", "object_id", "path")
    date_hierarchy = "at"
    list_select_related = ("actor", "patient")

    def get_readonly_fields(self, request: HttpRequest, obj: AuditEvent | None = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
