"""Forms of the surgeon dashboard; validation mirrors the API's so both refuse the same input."""
from __future__ import annotations

import uuid
import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from recovery import access
from recovery.models import Escalation, Language, Pump, User, validate_timezone_name
from recovery.plausible_dates import PUMP_DATE_WINDOW, SURGERY_DATE_WINDOW, out_of_window
from recovery.pump_models import MODEL_CHOICES
from recovery.services.pumps import enrollment_pump_errors


class SurgeonLoginForm(AuthenticationForm):
    """Django's login form, refusing anyone who is not a surgeon with a clear reason."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not access.is_care_team_member(user):
            raise forms.ValidationError(
                "This dashboard is for surgeons. Patients use the phone app.", code="not_surgeon"
            )


class EnrollmentForm(forms.Form):
    # A fresh id per rendered form, stored with the enrollment (Patient.enrollment_key): a double click
    # or a resent POST enrolls the patient only once.
    submission_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    display_name = forms.CharField(max_length=120, label="Patient name")
    surgery_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    timezone = forms.ChoiceField(
        label="Patient's time zone",
        choices=[(name, name) for name in sorted(zoneinfo.available_timezones())],
        initial="America/New_York",
        validators=[validate_timezone_name],
    )
    checkin_time = forms.TimeField(
        label="Daily check-in time", initial="09:00", widget=forms.TimeInput(attrs={"type": "time"})
    )
    binder_prescribed = forms.BooleanField(label="Abdominal binder prescribed", required=False, initial=True)
    language = forms.ChoiceField(
        label="Patient's language", required=False,
        choices=[("", "The language of the patient's phone"), *Language.choices],
        help_text="The app, reminders and the printed handout use it; the patient can change it in the app.",
    )
    pump_kind = forms.ChoiceField(label="Pump", choices=Pump.Kind.choices)
    pump_drug = forms.ChoiceField(label="Drug", choices=Pump.Drug.choices)
    pump_model = forms.ChoiceField(label="Pump model", choices=[("", "Not recorded"), *MODEL_CHOICES], required=False)
    serial_number = forms.CharField(max_length=64, required=False)
    next_refill_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    battery_replacement_due = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        cleaned = super().clean() or self.cleaned_data
        for field, window in (("surgery_date", SURGERY_DATE_WINDOW), ("next_refill_date", PUMP_DATE_WINDOW),
                              ("battery_replacement_due", PUMP_DATE_WINDOW)):
            problem = out_of_window(cleaned.get(field), window)
            if problem:
                self.add_error(field, problem)
        if cleaned.get("surgery_date") and cleaned.get("timezone") and not self.errors:
            today = timezone.now().astimezone(zoneinfo.ZoneInfo(cleaned["timezone"])).date()
            errors = enrollment_pump_errors(self.pump(), surgery_date=cleaned["surgery_date"], today=today)
            for field, messages in errors.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned

    def pump(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["pump_kind"],
            "drug": data["pump_drug"],
            "model": data.get("pump_model", ""),
            "serial_number": data.get("serial_number", ""),
            "next_refill_date": data["next_refill_date"],
            "battery_replacement_due": data["battery_replacement_due"],
        }


class AcknowledgeForm(forms.Form):
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 1}))


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=Escalation.Outcome.choices)
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 1}))
