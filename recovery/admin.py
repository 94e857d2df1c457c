"""Django admin for the clinical domain: staff search and fix records through the services, which
write the audit trail. Every admin page that shows a patient's records (list, change, history,
delete confirmation) or a patient's login is audited, and the autocomplete endpoint, which would list them
unaudited, refuses the records and leaves the logins out; phone reports are made by the phone only (no "add"
here). No escalation is ever lost: cases and their reports cannot be deleted here, nor a patient or report of
an open case (staff_edits.deletion_refusals)."""
from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from recovery import selectors
from recovery.models import (
    AcknowledgementNote,
    ActivationCode,
    AuditEvent,
    CheckIn,
    Escalation,
    EscalationReport,
    IncisionCheck,
    Milestone,
    Nurse,
    Patient,
    PatientMessage,
    PromptLog,
    Pump,
    PumpDoseChange,
    PumpRefill,
    RefillAlert,
    Restriction,
    Surgeon,
    User,
    WarningReport,
)
from recovery.plausible_dates import PUMP_DATE_WINDOW, SURGERY_DATE_WINDOW, out_of_window
from recovery.services import enrollment, records, staff_edits


def _may_be_shown(model_admin: admin.ModelAdmin, request: HttpRequest, obj: Any) -> bool:
    """Whether the page asking for `obj` will show it: get_object runs before Django's permission check, and a
    refused request (403) shows nothing to audit. Change and history pages need the view or change permission,
    the delete confirmation the delete permission."""
    return model_admin.has_view_or_change_permission(request, obj) or model_admin.has_delete_permission(request, obj)


def _confirming_delete_selected(request: HttpRequest) -> bool:
    """The "delete selected" action showing its confirmation page (not yet the confirmed POST that deletes)."""
    return request.method == "POST" and request.POST.get("action") == "delete_selected" and not request.POST.get("post")


def _for_autocomplete(request: HttpRequest) -> bool:
    """The admin's autocomplete endpoint: it serves names to a widget and leaves no audit row."""
    match = request.resolver_match
    return match is not None and match.url_name == "autocomplete"


class AuditedPagesMixin:
    """Admin pages that show patients' records audit a view of the patients they show: the change, history and
    delete-confirmation pages of one object (get_object), the list, and the confirmation of "delete selected".
    What they refuse to delete (`deletion_refusals`) is listed as protected on the confirmation, which makes
    Django's admin refuse the deletion with that message."""

    model: type[models.Model]

    def audit_shown(self, request: HttpRequest, obj: Any) -> None:
        records.shown(request.user, obj)

    def audit_listed(self, request: HttpRequest, objs: Any) -> None:
        records.shown_list(request.user, objs, self.model._meta.label)

    def deletion_refusals(self, objs: Any) -> list[str]:
        return staff_edits.deletion_refusals(objs)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is not None and request.method == "GET" and _may_be_shown(self, request, obj):  # type: ignore[arg-type]
            self.audit_shown(request, obj)
        return obj

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = getattr(response, "context_data", {}).get("cl")
        if response.status_code == 200 and changelist is not None:
            self.audit_listed(request, changelist.result_list)
        return response

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, Any, Any]:
        if _confirming_delete_selected(request):  # one object's confirmation was audited by get_object
            self.audit_listed(request, objs)
        if refusals := self.deletion_refusals(objs):
            return [], {}, set(), refusals
        return super().get_deleted_objects(objs, request)  # type: ignore[misc]


def plausible_date(window: dict[str, int]) -> Any:
    """A form validator refusing a date outside `window` (recovery.plausible_dates), as the dashboard and the API do."""
    def validate(day: Any) -> None:
        if (problem := out_of_window(day, window)) is not None:
            raise ValidationError(problem, code="out_of_window")
    return validate


class PlausibleDatesMixin:
    """A date typed in the admin is held to the windows the dashboard and the API use: a year such as 9999 is a typing
    mistake, and overflowed the recovery plan's and the pump's date arithmetic (a 500, or a patient page that no
    longer opens). A surgery date within SURGERY_DATE_WINDOW, every other date within PUMP_DATE_WINDOW."""

    def formfield_for_dbfield(self, db_field: models.Field, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if field is not None and isinstance(db_field, models.DateField) and not isinstance(db_field,
                                                                                          models.DateTimeField):
            window = SURGERY_DATE_WINDOW if db_field.name == "surgery_date" else PUMP_DATE_WINDOW
            field.validators.append(plausible_date(window))
        return field


class PatientRecordAuditMixin(PlausibleDatesMixin, AuditedPagesMixin):
    """Admin pages of patient records read and write through services, which audit them."""

    def get_search_fields(self, request: HttpRequest) -> Any:
        """The admin's autocomplete endpoint would serve these records' names (a patient's, or one in
        their __str__) without an audit row; no widget here autocompletes them (raw id fields do, through
        the audited list page), so it is refused."""
        if _for_autocomplete(request):
            raise PermissionDenied("Patient records are not served to autocomplete.")
        return super().get_search_fields(request)  # type: ignore[misc]

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        staff_edits.save_record(obj, by=request.user, created=not change)

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        staff_edits.delete_records([obj], by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        staff_edits.delete_records(list(queryset), by=request.user)


class WrittenByServicesOnlyMixin:
    """Records only the services write (with their audit row): staff look at them, never add, change or delete
    one by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


PHONE_RECORD_READONLY = (
    "client_id", "payload_fingerprint", "local_date", "created_at",
    "triage_level", "triage_reasons", "triage_advice",
)


class PhoneRecordAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    """What the three kinds of phone report share: idempotency and triage fields are read-only, and
    there is no "add": a report is made by the phone through the report services (with triage and
    escalation); a staff-typed one would bypass both."""

    list_display: tuple[str, ...] = ("patient", "local_date", "triage_level", "created_at")
    list_filter: ClassVar[tuple[str, ...]] = ("triage_level",)
    search_fields = ("patient__display_name", "client_id")
    date_hierarchy = "created_at"
    raw_id_fields = ("patient",)
    list_select_related = ("patient",)
    readonly_fields = PHONE_RECORD_READONLY

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(User)
class UserAdmin(AuditedPagesMixin, DjangoUserAdmin):
    """A patient's login says who is a patient here, itself health information: its pages are audited as reads of
    that patient, and the autocomplete endpoint, which leaves no audit row, never serves it."""

    list_display = ("username", "email", "role", "is_staff", "is_active", "last_login")
    list_filter = ("role", "is_staff", "is_superuser", "is_active")
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("Role", {"fields": ("role",)}))
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (("Role", {"fields": ("role",)}),)

    def audit_shown(self, request: HttpRequest, obj: Any) -> None:
        if obj.role == User.Role.PATIENT:
            records.shown(request.user, obj)

    def audit_listed(self, request: HttpRequest, objs: Any) -> None:
        records.shown_logins(request.user, objs)

    def deletion_refusals(self, objs: Any) -> list[str]:
        """A login named in the audit trail is not deleted (deactivated instead), refused without collecting its
        thousands of audit rows."""
        return staff_edits.user_deletion_refusals(objs)

    def get_search_results(self, request: HttpRequest, queryset: models.QuerySet,
                           search_term: str) -> tuple[models.QuerySet, bool]:
        if _for_autocomplete(request):
            queryset = queryset.exclude(role=User.Role.PATIENT)
        return super().get_search_results(request, queryset, search_term)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        staff_edits.delete_users([obj])

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        staff_edits.delete_users(list(queryset))


@admin.register(Surgeon)
class SurgeonAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "backup")
    search_fields = ("display_name", "user__username", "user__email")
    autocomplete_fields = ("backup",)
    raw_id_fields = ("user",)
    list_select_related = ("user", "backup")


@admin.register(Nurse)
class NurseAdmin(admin.ModelAdmin):
    """A nurse sees the patients of the surgeons whose teams they are in (recovery.access)."""

    list_display = ("display_name", "user")
    search_fields = ("display_name", "user__username", "user__email")
    filter_horizontal = ("teams",)
    raw_id_fields = ("user",)
    list_select_related = ("user",)


# Written only by recovery.services.pumps, which recomputes the refill dates from them (the API's refill
# and pump endpoints). next_refill_date stays editable here for pumps recorded without refill data.
PUMP_COMPUTED_FIELDS = (
    "low_reservoir_alarm_ml", "concentration", "concentration_unit", "daily_dose", "dose_unit", "last_refill_date",
    "schedule_start_date", "schedule_start_volume_ml", "alarm_date",
)


class PumpInline(PlausibleDatesMixin, admin.StackedInline):
    model = Pump
    can_delete = False
    min_num = 1  # enrollment needs the pump: its form is required
    max_num = 1
    readonly_fields = PUMP_COMPUTED_FIELDS


class PatientAdminForm(ModelForm):
    """A patient moves to another surgeon only without an open escalation case: the case stays with the surgeon it
    was assigned to, so the new team would not see it while the old one, no longer the patient's, would keep
    receiving the reports that join it."""

    def clean_surgeon(self) -> Surgeon:
        surgeon: Surgeon = self.cleaned_data["surgeon"]
        patient: Patient = self.instance
        if patient.pk is not None and surgeon.pk != patient.surgeon_id and selectors.has_open_case(patient):
            raise ValidationError("This patient has an open escalation case, which stays with its surgeon's team: "
                                  "resolve it before moving the patient to another surgeon.", code="open_case")
        return surgeon


@admin.register(Patient)
class PatientAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    """A patient added here is enrolled (pump, recovery plan, activation code shown once); a new
    surgery date or binder prescription rebuilds the plan; a move to another surgeon waits for the open case to be
    resolved (PatientAdminForm)."""

    form = PatientAdminForm

    list_display = ("display_name", "surgeon", "surgery_date", "timezone", "checkin_time", "user")
    list_filter = ("surgeon", "binder_prescribed", "timezone")
    search_fields = ("display_name", "user__username", "surgeon__display_name")
    date_hierarchy = "surgery_date"
    autocomplete_fields = ("surgeon",)
    raw_id_fields = ("user",)
    list_select_related = ("surgeon", "user")
    readonly_fields = ("created_at", "updated_at")
    inlines = (PumpInline,)

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        if change and isinstance(obj, Patient):
            enrollment.save_patient_changes(obj, form.changed_data, by=request.user)
        # An added patient is enrolled in save_related, where the pump's form is at hand.

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: list[BaseInlineFormSet],
                     change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)
            return
        patient: Patient = form.instance
        pump = {name: value for name, value in formsets[0].forms[0].cleaned_data.items()
                if name in ("kind", "drug", "next_refill_date", "battery_replacement_due")}
        enrolled = enrollment.enroll_patient(
            surgeon=patient.surgeon, display_name=patient.display_name, surgery_date=patient.surgery_date,
            timezone_name=patient.timezone, checkin_time=patient.checkin_time,
            binder_prescribed=patient.binder_prescribed, pump=pump, by=request.user,
        )
        if patient.user_id is not None:
            enrolled.patient.user_id = patient.user_id
            staff_edits.save_record(enrolled.patient, by=request.user, created=False)
        for formset in formsets:  # the pump was saved by the enrollment; the change message reads these
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        patient.pk, patient.created_at, patient.updated_at = (
            enrolled.patient.pk, enrolled.patient.created_at, enrolled.patient.updated_at)
        messages.info(request, f"Activation code for {enrolled.patient.display_name} (shown once): "
                               f"{enrolled.activation_code}")

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool) -> None:
        for obj in formset.save(commit=False):
            staff_edits.save_record(obj, by=request.user, created=obj.pk is None)


@admin.register(Pump)
class PumpAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    list_display = ("patient", "kind", "drug", "model", "next_refill_date", "alarm_date", "battery_replacement_due")
    list_filter = ("kind", "drug", "model")
    search_fields = ("patient__display_name", "serial_number")
    raw_id_fields = ("patient",)
    list_select_related = ("patient",)
    readonly_fields = PUMP_COMPUTED_FIELDS


class PumpRecordAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    """Refills, dose changes and refill alerts are written by the pump services (which recompute the
    dates and audit); here they can be looked at only."""

    search_fields = ("pump__patient__display_name",)
    list_select_related = ("pump__patient",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(PumpRefill)
class PumpRefillAdmin(PumpRecordAdmin):
    list_display = ("patient", "refill_date", "volume_ml", "alarm_date", "next_refill_date", "recorded_by")
    date_hierarchy = "refill_date"


@admin.register(PumpDoseChange)
class PumpDoseChangeAdmin(PumpRecordAdmin):
    list_display = ("patient", "effective_date", "daily_dose", "dose_unit", "volume_left_ml", "next_refill_date")


@admin.register(RefillAlert)
class RefillAlertAdmin(PumpRecordAdmin):
    list_display = ("patient", "stage", "level", "due_date", "created_at", "closed_at")
    list_filter = ("stage", "level")


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


class EscalationReportInline(admin.TabularInline):
    """The reports of a case, as triage joined them: read only."""

    model = EscalationReport
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "checkin", "incision_check", "warning_report")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EscalationReport)
class EscalationReportAdmin(WrittenByServicesOnlyMixin, PatientRecordAuditMixin, admin.ModelAdmin):
    """Which report joined which case: written by triage only."""

    list_display = ("escalation", "created_at", "checkin", "incision_check", "warning_report")
    list_select_related = ("escalation__patient",)
    raw_id_fields = ("escalation", "checkin", "incision_check", "warning_report")
    readonly_fields = ("escalation", "checkin", "incision_check", "warning_report", "created_at")
    search_fields = ("escalation__patient__display_name",)


class AcknowledgementNoteInline(admin.TabularInline):
    """The acknowledgement notes of a case, oldest first: read only, as the care team wrote them."""

    model = AcknowledgementNote
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "author", "text")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AcknowledgementNote)
class AcknowledgementNoteAdmin(WrittenByServicesOnlyMixin, PatientRecordAuditMixin, admin.ModelAdmin):
    """Acknowledgement notes: written by the care team acknowledging a case (the API and the dashboard), never
    written, changed or erased by hand."""

    list_display = ("escalation", "created_at", "author")
    list_select_related = ("escalation__patient", "author")
    search_fields = ("escalation__patient__display_name",)
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: AcknowledgementNote | None = None) -> list[str]:
        return [field.name for field in AcknowledgementNote._meta.fields]


@admin.register(Escalation)
class EscalationAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    """Escalation cases are made by triage; staff may reassign them but not forge their reports, notes or timing."""

    inlines = [EscalationReportInline, AcknowledgementNoteInline]
    list_display = ("patient", "level", "assigned_surgeon", "created_at", "updated_at", "ack_due_at",
                    "acknowledged_at", "acknowledged_by", "escalated_to", "resolved_at", "outcome")
    list_filter = ("level", ("acknowledged_at", admin.EmptyFieldListFilter),
                   ("resolved_at", admin.EmptyFieldListFilter), "outcome", "assigned_surgeon")
    search_fields = ("patient__display_name", "assigned_surgeon__display_name")
    date_hierarchy = "created_at"
    raw_id_fields = ("patient", "checkin", "incision_check", "warning_report", "acknowledged_by")
    autocomplete_fields = ("assigned_surgeon", "escalated_to")
    list_select_related = ("patient", "assigned_surgeon", "acknowledged_by", "escalated_to")
    readonly_fields = ("level", "reasons", "checkin", "incision_check", "warning_report", "created_at",
                       "updated_at", "acknowledged_at", "acknowledged_by", "escalated_at",
                       "resolved_at", "resolved_by", "outcome", "resolution_note")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # no escalation is ever lost; resolved cases are the clinical record


@admin.register(PatientMessage)
class PatientMessageAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    list_display = ("patient", "kind", "title", "sender", "created_at")
    list_filter = ("kind",)
    search_fields = ("patient__display_name", "title", "body")
    date_hierarchy = "created_at"
    raw_id_fields = ("patient", "sender", "escalation")
    list_select_related = ("patient", "sender")
    readonly_fields = ("created_at",)


@admin.register(PromptLog)
class PromptLogAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    """Which scheduled reminders went to whom: written by the reminder dispatcher only."""

    list_display = ("local_date", "kind", "patient", "created_at")
    list_filter = ("kind",)
    search_fields = ("patient__display_name",)
    date_hierarchy = "local_date"
    raw_id_fields = ("patient",)
    list_select_related = ("patient",)
    readonly_fields = ("patient", "kind", "local_date", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PromptLog | None = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(WrittenByServicesOnlyMixin, PatientRecordAuditMixin, admin.ModelAdmin):
    """The audit trail: searchable, never written or erased by hand. Its pages name the patients whose records
    were read, so reading them is audited as well (one view per patient shown, merged like any other). An event
    of a patient since deleted names the patient by the id it keeps, and is found by it (search "12")."""

    list_display = ("at", "actor", "action", "object_type", "object_id", "about", "ip_address")
    list_filter = ("action", "object_type")
    search_fields = ("actor__username", "patient__display_name", "patient_id__exact", "object_id", "path")
    date_hierarchy = "at"
    list_select_related = ("actor", "patient")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[AuditEvent]:
        # Joined, so an event of a deleted patient reads patient None (its id stays) rather than failing to fetch it.
        return super().get_queryset(request).select_related("actor", "patient")

    def get_fields(self, request: HttpRequest, obj: AuditEvent | None = None) -> list[Any]:
        return ["about" if field.name == "patient" else field.name for field in AuditEvent._meta.fields]

    def get_readonly_fields(self, request: HttpRequest, obj: AuditEvent | None = None) -> list[str]:
        return self.get_fields(request, obj)

    @admin.display(description="patient", ordering="patient_id")
    def about(self, event: AuditEvent) -> str | None:
        """The patient the event is about, or its id once the patient was deleted."""
        if event.patient_id is None:
            return None
        if event.patient is None:
            return f"patient #{event.patient_id} (deleted)"
        return format_html('<a href="{}">{}</a>', reverse("admin:recovery_patient_change", args=[event.patient_id]),
                           event.patient)

    def audit_shown(self, request: HttpRequest, obj: Any) -> None:
        records.shown_audit_events(request.user, [obj])

    def audit_listed(self, request: HttpRequest, objs: Any) -> None:
        records.shown_audit_events(request.user, objs)
