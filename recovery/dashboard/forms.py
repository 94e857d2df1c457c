"""Forms of the surgeon dashboard; validation mirrors the API's so both refuse the same input."""
from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from recovery import access, phones
from recovery.models import Escalation, Language, Patient, Pump, Surgeon, User, validate_timezone_name
from recovery.plausible_dates import PUMP_DATE_WINDOW, SURGERY_DATE_WINDOW, out_of_window
from recovery.pump_models import MODEL_CHOICES
from recovery.services.enrollment import CONTACT_FIELDS
from recovery.services.pumps import enrollment_pump_errors

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class PhoneField(forms.CharField):
    """A phone number normalized to E.164 (recovery.phones), the same rule as the API."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        try:
            return phones.normalize_phone(value)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


class ContactFields(forms.Form):
    """How the care team reaches the patient (entered at enrollment, editable on the patient page)."""

    phone = PhoneField(label="Patient's phone")
    emergency_contact_name = forms.CharField(label="Emergency contact", max_length=120, required=False)
    emergency_contact_phone = PhoneField(label="Emergency contact's phone")
    preferred_contact_time = forms.CharField(
        label="Preferred contact time", max_length=120, required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. weekday mornings"}),
    )

    def contact(self) -> dict[str, str]:
        return {field: self.cleaned_data[field] for field in CONTACT_FIELDS}


class SurgeonLoginForm(AuthenticationForm):
    """Django's login form, refusing anyone who is not a surgeon with a clear reason."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not access.is_care_team_member(user):
            raise forms.ValidationError(
                "This dashboard is for the care team (surgeons and nurses). Patients use the phone app.",
                code="not_surgeon",
            )


class PlausibleDateField(forms.DateField):
    """A date inside a window of recovery.plausible_dates around today: a year such as 9999 is a typing
    mistake, and overflowed the recovery plan's date arithmetic (a 500) where a form forgot to check it."""

    def __init__(self, *, window: dict[str, int], **kwargs: Any) -> None:
        self.window = window
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        problem = out_of_window(value, self.window)
        if problem:
            raise forms.ValidationError(problem, code="out_of_window")


class EnrollmentForm(ContactFields):
    # A fresh id per rendered form, stored with the enrollment (Patient.enrollment_key): a double click
    # or a resent POST enrolls the patient only once.
    submission_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    display_name = forms.CharField(max_length=120, label="Patient name")
    surgery_date = PlausibleDateField(window=SURGERY_DATE_WINDOW)
    timezone = forms.ChoiceField(
        label="Patient's time zone", choices=TIMEZONE_CHOICES, initial="America/New_York",
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
    next_refill_date = PlausibleDateField(window=PUMP_DATE_WINDOW, required=False)
    battery_replacement_due = PlausibleDateField(window=PUMP_DATE_WINDOW, required=False)
    enrolling_surgeon = forms.ModelChoiceField(label="Surgeon", queryset=Surgeon.objects.none(), required=False,
                                               empty_label=None)
    field_order = ["enrolling_surgeon", "display_name", "surgery_date", "timezone", "checkin_time",
                   "binder_prescribed", "phone", "emergency_contact_name", "emergency_contact_phone",
                   "preferred_contact_time"]

    def set_surgeons(self, surgeons: QuerySet[Surgeon]) -> None:
        """The surgeons the patient may be enrolled under (recovery.access.team_surgeons): a choice
        only for a nurse in several teams."""
        self._surgeons = list(surgeons)
        field = self.fields["enrolling_surgeon"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101  (declared above)
        field.queryset = surgeons
        if len(self._surgeons) == 1:
            field.widget = forms.HiddenInput()
            field.initial = self._surgeons[0].pk

    def surgeon(self) -> Surgeon:
        chosen: Surgeon | None = (self.cleaned_data or {}).get("enrolling_surgeon")
        return chosen or self._surgeons[0]

    def clean(self) -> dict:
        cleaned = super().clean() or self.cleaned_data
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


class TextareaField(forms.CharField):
    """Free text typed in a <textarea>, its line breaks stored as LF. A browser counts each line break as one
    character against the textarea's maxlength but sends it as two (CRLF): a note the page let through was refused as
    too long (a bare 400, the note lost) when it had line breaks and came near the limit."""

    def __init__(self, *, rows: int = 1, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return text.replace("\r\n", "\n") if text else text


def reports_seen_field() -> forms.IntegerField:
    """How many of the case's reports the page showed (a hidden field the inbox and patient pages always send):
    acknowledging or resolving is refused when more have joined since (services.escalations)."""
    return forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class ReasonsSeenField(forms.CharField):
    """The case's reasons the page showed, comma-separated in a hidden field; None when the form had none."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, max_length=4000, **kwargs)

    def clean(self, value: Any) -> list[str] | None:
        text = super().clean(value)
        if value is None:
            return None  # a page drawn before the field existed: not checked
        return [reason for reason in text.split(",") if reason]


class AcknowledgeForm(forms.Form):
    note = TextareaField(required=False, max_length=4000)
    reports_seen = reports_seen_field()
    reasons_seen = ReasonsSeenField()


class CaseNoteForm(AcknowledgeForm):
    """A note on a case already acknowledged ("called again, no answer"): kept by the acknowledgement service,
    as the API's acknowledge with a note, so it must say something."""

    note = TextareaField(max_length=4000, error_messages={
        "required": "Write the note before adding it: an empty note is not kept."})


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=Escalation.Outcome.choices)
    note = TextareaField(required=False, max_length=4000)
    reports_seen = reports_seen_field()
    reasons_seen = ReasonsSeenField()


class PatientEditForm(ContactFields):
    """The care team's changes to a patient; saved through recovery.services.enrollment.update_patient."""

    display_name = forms.CharField(max_length=120, label="Patient name")
    surgery_date = PlausibleDateField(window=SURGERY_DATE_WINDOW,
                                      help_text="Changing it moves the whole recovery plan.")
    timezone = forms.ChoiceField(label="Patient's time zone", choices=TIMEZONE_CHOICES,
                                 validators=[validate_timezone_name])
    checkin_time = forms.TimeField(label="Daily check-in time", widget=forms.TimeInput(attrs={"type": "time"}))
    binder_prescribed = forms.BooleanField(label="Abdominal binder prescribed", required=False)
    field_order = ["display_name", "surgery_date", "timezone", "checkin_time", "binder_prescribed"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each field carries the value the page showed (a hidden "initial-" input): changed_data is what this
        # person changed, not every field that differs from the record now. A change made since the page was
        # drawn (the patient's check-in time or zone from the app, a colleague's edit) is then not undone.
        for field in self.fields.values():
            field.show_hidden_initial = True

    @classmethod
    def for_patient(cls, patient: Patient, data: Any = None) -> PatientEditForm:
        initial = {name: getattr(patient, name) for name in cls.base_fields}
        return cls(data=data, initial=initial)

    def changes(self) -> dict[str, Any]:
        """The fields this person changed on the page, with their new values."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class ReplyForm(forms.Form):
    body = TextareaField(label="Reply to the patient", max_length=4000, rows=3)
    # A fresh id per rendered form, sent as the message's client_id (services.messages): a double click or a
    # resent POST is one message and one push. Not required, so a page drawn before it existed still sends.
    client_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    @classmethod
    def again(cls, body: str) -> ReplyForm:
        """The form once more with `body` and a new client_id, to send deliberately what a reused one refused."""
        form = cls({"body": body, "client_id": str(uuid.uuid4())})
        form.is_valid()
        return form


class ListQueryForm(forms.Form):
    """The query string of a sortable dashboard list, read through form fields: Django's CharField refuses a
    NUL character (PostgreSQL text cannot hold one; it was a 500 from the database), so the page answers 400.
    An unknown sort key (an old bookmark) falls back to the page's default order."""

    sort = forms.CharField(required=False)

    def __init__(self, data: Any, *, sorts: Iterable[str], default_sort: str) -> None:
        super().__init__(data)
        self.sorts, self.default_sort = set(sorts), default_sort

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"]
        return sort if sort in self.sorts else self.default_sort


class PatientSearchForm(ListQueryForm):
    """The patients list's query string: name search, sort, page number (the paginator reads the page)."""

    q = forms.CharField(required=False)
    page = forms.CharField(required=False)
