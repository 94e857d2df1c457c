"""Payloads of the patient and surgeon API (shared/API.md). Validation only; the rules live in services."""
from __future__ import annotations

import copy
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from pillow_heif import register_heif_opener
from rest_framework import serializers
from rest_framework_simplejwt.serializers import PasswordField, TokenObtainSerializer

from recovery import phones, plan, pump_models, refills, selectors, triage
from recovery.api.fields import BoundedDateField, BoundedImageField
from recovery.api.schema import HHMM_PATTERN, symptom_codes_schema
from recovery.models import (
    AcknowledgementNote,
    CheckIn,
    Escalation,
    IncisionCheck,
    Language,
    Milestone,
    Patient,
    PatientMessage,
    Pump,
    PumpRefill,
    Restriction,
    TriageLevel,
    WarningReport,
    validate_country_code,
    validate_timezone_name,
)
from recovery.plausible_dates import PUMP_DATE_WINDOW, QUERY_DATE_WINDOW, SURGERY_DATE_WINDOW
from recovery.services.pumps import (
    BATTERY_NOTICE_DAYS,
    battery_replacement_soon,
    enrollment_pump_errors,
    refill_margin_short,
    refill_warning,
)

# HEIC is the iPhone camera default; pillow-heif teaches Pillow to read it.
register_heif_opener()

PHOTO_FORMATS = {"JPEG", "PNG", "HEIF"}
# A JPEG that carries a second image in its Multi-Picture Format segment (the HDR gain map of an iPhone photo, a
# depth map) is what Pillow calls MPO; its first image is the photo, kept as JPEG like any other.
JPEG_WITH_MORE_PICTURES = "MPO"

NOTE_MAX_LENGTH = 4000
HHMM = "%H:%M"


# --- Shared fields ---------------------------------------------------------------------------

# (serializer class, language) -> its declared fields as DRF copies them (PhoneInputSerializer)
_FIELDS_BY_LANGUAGE: dict[tuple[type, str | None], dict[str, serializers.Field]] = {}


class PhoneInputSerializer(serializers.Serializer):
    """A phone report's input: its fields are shallow copies of fields DRF deep-copied once per class and
    language. DRF deep-copies every declared field for each serializer made, which runs each field's
    `__init__` again; that was 8 % of a check-in POST's CPU in gunicorn (py-spy, bench/README.md, "Eleventh
    pass"). A field's validators carry DRF's `lazy_format` messages, which keep the text of their first
    rendering, so copies share them only within one language (tests/recovery/api/test_errors_in_patient_language.py);
    what binding sets (name, parent, source) is each copy's own, a list or dict field's child included."""

    def get_fields(self) -> dict[str, serializers.Field]:
        key = (type(self), translation.get_language())
        declared = _FIELDS_BY_LANGUAGE.get(key)
        if declared is None:
            declared = _FIELDS_BY_LANGUAGE[key] = super().get_fields()
        return {name: _shallow_copy(prototype) for name, prototype in declared.items()}


def _shallow_copy(field: serializers.Field) -> serializers.Field:
    """A copy of `field` sharing its validators, with a child of its own (a list or dict field's) that has it as
    parent, as the field's `__init__` binds it (name and source "")."""
    copied = copy.copy(field)
    if isinstance(copied, serializers.ListField | serializers.DictField):
        child: Any = _shallow_copy(copied.child)
        child.parent = copied
        copied.child = child
    return copied


@extend_schema_field(symptom_codes_schema())
class SymptomListField(serializers.ListField):
    """A list of the symptom codes of shared/API.md; an unknown code is a 400 naming the field."""

    child = serializers.CharField(max_length=64)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", len(triage.SYMPTOM_CODES))
        kwargs.setdefault("help_text", "Symptom codes (SymptomCodeEnum); an unknown code answers 400.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        codes = super().to_internal_value(data)
        unknown = [code for code in codes if code not in triage.SYMPTOM_CODES]
        if unknown:
            raise serializers.ValidationError(
                gettext("Unknown symptom code(s): %(unknown)s. Known codes: %(known)s.")
                % {"unknown": ", ".join(sorted(set(unknown))), "known": ", ".join(triage.SYMPTOM_CODES)}
            )
        return list(dict.fromkeys(codes))  # drop repeats, keep order


class ClientIdField(serializers.UUIDField):
    """The phone-made UUID of a report, as a string (DRF would also take an integer)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "UUID made on the phone; a retry sends the same one.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class TimezoneField(serializers.CharField):
    """An IANA time zone name, such as America/New_York."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            validate_timezone_name(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


@extend_schema_field({"type": "string", "pattern": HHMM_PATTERN, "example": "09:00"})
class HHMMTimeField(serializers.TimeField):
    """A local time of day written "HH:MM" (seconds are accepted on input and dropped)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=HHMM, input_formats=[HHMM, "%H:%M:%S"], **kwargs)

    def to_internal_value(self, value: Any) -> Any:
        # Stored as answered: "09:00:30" is 09:00, not a time the answer shows as 09:00 and the prompt keeps for 09:01.
        return super().to_internal_value(value).replace(second=0, microsecond=0)


def checkin_time_field(**kwargs: Any) -> serializers.TimeField:
    return HHMMTimeField(**kwargs)


class TriageSerializer(serializers.Serializer):
    level = serializers.ChoiceField(source="triage_level", choices=TriageLevel.choices, read_only=True)
    reasons = serializers.ListField(source="triage_reasons", child=serializers.CharField(), read_only=True)
    advice = serializers.CharField(source="triage_advice", read_only=True)


# --- Accounts --------------------------------------------------------------------------------

# Named in the schema as simplejwt's serializer was (TokenObtainPairRequest): clients generated from it keep working.
@extend_schema_serializer(component_name="TokenObtainPair")
class LoginSerializer(TokenObtainSerializer):
    """simplejwt's username and password check (401 on bad credentials), and the staff second factor's code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The password as typed: simplejwt's field trims it, while activation stores it untrimmed (and Django's
        # own login form does not strip it), so a password beginning or ending with a space never logged in.
        self.fields["password"] = PasswordField(trim_whitespace=False)
        self.fields["otp_token"] = serializers.CharField(
            required=False, allow_blank=True, max_length=32, write_only=True,
            help_text="Staff (surgeons, nurses, admins) with two-factor required (STAFF_TWO_FACTOR_REQUIRED): the "
            "current code of their authenticator app, or one of their single-use recovery codes, set up on the "
            "dashboard. Without it, or wrong, the answer is 400 naming `otp_token`. Patients leave it out.",
        )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs[self.username_field] = selectors.username_as_stored(attrs[self.username_field])
        super().validate(attrs)  # sets self.user, or raises AuthenticationFailed (401)
        return {"otp_token": attrs.get("otp_token") or None}


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


class ActivationSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text="The one-time code the surgeon handed over.")
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True,
                                     style={"input_type": "password"})


# --- Patient ---------------------------------------------------------------------------------

def decimal_field(max_digits: int, decimal_places: int, **kwargs: Any) -> serializers.DecimalField:
    """A decimal sent and answered as a JSON number."""
    return serializers.DecimalField(max_digits=max_digits, decimal_places=decimal_places, coerce_to_string=False,
                                    **kwargs)


def positive_decimal(max_digits: int, decimal_places: int, **kwargs: Any) -> serializers.DecimalField:
    return decimal_field(max_digits, decimal_places, min_value=Decimal(10) ** -decimal_places, **kwargs)


class MriGuidanceSerializer(serializers.Serializer):
    """The model's MRI status code and the labelling it follows. The advice itself reaches the patient as
    an education article in their language (recovery.education) and the care team on the pump card."""

    model = serializers.CharField(source="key", read_only=True)
    name = serializers.CharField(read_only=True)
    maker = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(source="mri_status", choices=pump_models.MriStatus.choices, read_only=True)
    source = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field named like Field.source


class RefillInputSerializer(serializers.Serializer):
    """A refill as the care team records it (POST .../refills/)."""

    client_id = ClientIdField()
    refill_date = BoundedDateField(**PUMP_DATE_WINDOW)
    volume_ml = positive_decimal(6, 2, help_text="Volume put into the reservoir, mL.")
    concentration = positive_decimal(12, 4)
    concentration_unit = serializers.ChoiceField(choices=refills.ConcentrationUnit.choices)
    daily_dose = positive_decimal(12, 4)
    dose_unit = serializers.ChoiceField(choices=refills.DoseUnit.choices)


class FirstFillSerializer(RefillInputSerializer):
    """The fill at implant, given at enrollment: a refill without client_id, dated the surgery day by default."""

    client_id = None  # type: ignore[assignment]
    refill_date = BoundedDateField(required=False, **PUMP_DATE_WINDOW)


class PumpSerializer(serializers.ModelSerializer):
    """The pump, read in profiles and written at enrollment (one component in the schema).

    `alarm_date` and `next_refill_date` are computed from the refills (shared/API.md); a pump with no
    refill data may be given a next refill date by hand.
    """

    next_refill_date = BoundedDateField(required=False, allow_null=True, **PUMP_DATE_WINDOW)
    battery_replacement_due = BoundedDateField(required=False, allow_null=True, **PUMP_DATE_WINDOW)
    model = serializers.ChoiceField(choices=pump_models.MODEL_CHOICES, required=False, allow_blank=True)
    reservoir_volume_ml = positive_decimal(5, 2, required=False, allow_null=True)
    low_reservoir_alarm_ml = decimal_field(5, 2, min_value=Decimal(0), required=False)
    concentration = decimal_field(12, 4, read_only=True, allow_null=True)
    daily_dose = decimal_field(12, 4, read_only=True, allow_null=True)
    refill = FirstFillSerializer(required=False, write_only=True,
                                 help_text="Enrollment only: the first fill, from which the dates are computed.")
    battery_replacement_soon = serializers.SerializerMethodField(
        help_text=f"Battery replacement due within {BATTERY_NOTICE_DAYS} days (or overdue)."
    )
    mri_guidance = serializers.SerializerMethodField()
    refill_margin_short = serializers.SerializerMethodField(
        help_text=f"The low-reservoir alarm comes less than {refills.REFILL_MARGIN_DAYS} days after the refill or "
        "dose change the dates are computed from (a short fill): `next_refill_date` is then that day, not "
        f"`alarm_date - {refills.REFILL_MARGIN_DAYS}`, and the refill is due now."
    )

    class Meta:
        model = Pump
        fields = ["kind", "drug", "model", "serial_number", "reservoir_volume_ml", "low_reservoir_alarm_ml",
                  "concentration", "concentration_unit", "daily_dose", "dose_unit", "last_refill_date",
                  "alarm_date", "next_refill_date", "refill_margin_short", "battery_replacement_due",
                  "battery_replacement_soon", "mri_guidance", "refill"]
        read_only_fields = ["concentration_unit", "dose_unit", "last_refill_date", "alarm_date"]

    def get_battery_replacement_soon(self, pump: Pump) -> bool:
        return battery_replacement_soon(pump)

    def get_refill_margin_short(self, pump: Pump) -> bool:
        return refill_margin_short(pump)

    @extend_schema_field(MriGuidanceSerializer)
    def get_mri_guidance(self, pump: Pump) -> dict:
        return MriGuidanceSerializer(pump.mri_guidance).data


class CareTeamPumpSerializer(PumpSerializer):
    """The pump as the care team's refill and PATCH answer it: with what they must be told about its dates."""

    refill_warning = serializers.SerializerMethodField(
        help_text="Why the refill is due now (a short fill, or a reservoir at its alarm volume), in words for the "
        "care team; null when the dates keep the 7-day margin."
    )

    class Meta(PumpSerializer.Meta):
        fields = [*PumpSerializer.Meta.fields, "refill_warning"]

    def get_refill_warning(self, pump: Pump) -> str | None:
        return refill_warning(pump)


class PumpUpdateSerializer(serializers.Serializer):
    """PATCH of the pump: its record, the alarm volume, and dose changes (which recompute the dates)."""

    model = serializers.ChoiceField(choices=pump_models.MODEL_CHOICES, required=False, allow_blank=True)
    serial_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    reservoir_volume_ml = positive_decimal(5, 2, required=False, allow_null=True)
    low_reservoir_alarm_ml = decimal_field(5, 2, min_value=Decimal(0), required=False)
    battery_replacement_due = BoundedDateField(required=False, allow_null=True, **PUMP_DATE_WINDOW)
    next_refill_date = BoundedDateField(
        required=False, allow_null=True, help_text="Only for a pump without refill data; otherwise computed.",
        **PUMP_DATE_WINDOW,
    )
    daily_dose = positive_decimal(12, 4, required=False, help_text="A new daily dose: recomputes the dates from "
                                  "the volume left on effective_date.")
    dose_unit = serializers.ChoiceField(choices=refills.DoseUnit.choices, required=False)
    effective_date = BoundedDateField(required=False, **PUMP_DATE_WINDOW,
                                      help_text="Day the new dose starts (default: the patient's today).")
    client_id = ClientIdField(required=False, help_text="Makes a dose change retry-safe (same id: stored once).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": ["Nothing to change."]})
        if "effective_date" in attrs and "daily_dose" not in attrs:
            raise serializers.ValidationError({"effective_date": ["Only with a new daily_dose."]})
        return attrs


class RefillSerializer(serializers.ModelSerializer):
    volume_ml = decimal_field(6, 2, read_only=True)
    concentration = decimal_field(12, 4, read_only=True)
    daily_dose = decimal_field(12, 4, read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = PumpRefill
        fields = ["id", "client_id", "refill_date", "volume_ml", "concentration", "concentration_unit",
                  "daily_dose", "dose_unit", "alarm_date", "next_refill_date", "recorded_by", "created_at"]
        read_only_fields = fields


class CountryField(serializers.CharField):
    """An ISO 3166-1 alpha-2 country code (any case, stored upper case); "" goes back to the zone's country."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data).upper()
        if value:
            try:
                validate_country_code(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from exc
        return value


class PatientProfileSerializer(serializers.ModelSerializer):
    """The patient's own profile: recovery day and phase are computed in their zone."""

    checkin_time = checkin_time_field(read_only=True)
    country = serializers.CharField(source="country_code", read_only=True, allow_null=True,
                                    help_text="ISO 3166-1 alpha-2; by default the country of the time zone.")
    emergency_number = serializers.CharField(read_only=True, help_text="The local emergency number; 112 if unknown.")
    recovery_day = serializers.SerializerMethodField()
    phase = serializers.SerializerMethodField()
    phase_title = serializers.SerializerMethodField()
    language = serializers.SerializerMethodField(help_text="Language of every text the patient is sent: en or es.")
    pump = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = ["id", "display_name", "timezone", "country", "emergency_number", "checkin_time", "surgery_date",
                  "recovery_day", "phase", "phase_title", "language", "pump"]
        read_only_fields = fields

    def get_recovery_day(self, patient: Patient) -> int:
        return patient.recovery_day()

    def get_phase(self, patient: Patient) -> str:
        return patient.phase().key

    @extend_schema_field(serializers.ChoiceField(choices=Language.choices))
    def get_language(self, patient: Patient) -> str:
        return patient.text_language

    def get_phase_title(self, patient: Patient) -> str:
        return str(patient.phase().title)

    @extend_schema_field(PumpSerializer(allow_null=True))
    def get_pump(self, patient: Patient) -> dict | None:
        try:
            return PumpSerializer(patient.pump).data
        except Pump.DoesNotExist:
            return None


class PatientSettingsSerializer(serializers.Serializer):
    """What a patient may change about themselves from the app."""

    timezone = TimezoneField(required=False, help_text="IANA zone name, e.g. America/New_York.")
    checkin_time = checkin_time_field(required=False, help_text='Local time of the daily check-in, "HH:MM".')
    language = serializers.ChoiceField(choices=Language.choices, required=False,
                                       help_text="Language of every text the patient is sent: en or es.")
    country = CountryField(required=False, help_text='ISO 3166-1 alpha-2, e.g. "GB"; "" to follow the time zone.')


class MilestoneSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    done_by = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = ["key", "title", "due_date", "status", "completed_at", "done_by"]
        read_only_fields = fields

    def get_title(self, milestone: Milestone) -> str:
        return plan.in_patient_language(milestone.key, milestone.title, plan.TEMPLATES_BY_KEY)

    @extend_schema_field(serializers.ChoiceField(choices=[plan.DoneBy.PATIENT, plan.DoneBy.CLINIC]))
    def get_done_by(self, milestone: Milestone) -> str:
        """Who ticks it off: the patient from the app, or the care team."""
        return plan.done_by(milestone.key)

    @extend_schema_field(serializers.ChoiceField(choices=Milestone.Status.choices))
    def get_status(self, milestone: Milestone) -> str:
        return milestone.status_on(self.context["today"])


class RestrictionSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    instructions = serializers.SerializerMethodField()

    class Meta:
        model = Restriction
        fields = ["key", "title", "instructions", "starts_on", "ends_on"]
        read_only_fields = fields

    def get_title(self, restriction: Restriction) -> str:
        return plan.in_patient_language(restriction.key, restriction.title, plan.RESTRICTIONS_BY_KEY)

    def get_instructions(self, restriction: Restriction) -> str:
        return plan.in_patient_language(
            restriction.key, restriction.instructions, plan.RESTRICTIONS_BY_KEY, attribute="instructions"
        )


class EducationArticleSerializer(serializers.Serializer):
    """One education article, in the patient's language, with the source it follows."""

    key = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    source = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field named like Field.source


class RestrictionQuerySerializer(serializers.Serializer):
    date = BoundedDateField(required=False, help_text="YYYY-MM-DD in the patient's zone; default: their today.",
                            **QUERY_DATE_WINDOW)


class CheckInInputSerializer(PhoneInputSerializer):
    client_id = ClientIdField()
    pain_score = serializers.IntegerField(min_value=0, max_value=10)
    temperature = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, allow_null=True,
                                           default=None, coerce_to_string=False,
                                           help_text="Body temperature in `temperature_unit`, with at most one "
                                           "decimal (100.4, 38.0); more decimals answer 400 naming the field.")
    temperature_unit = serializers.ChoiceField(choices=CheckIn.TemperatureUnit.choices,
                                               default=CheckIn.TemperatureUnit.FAHRENHEIT)
    binder_worn = serializers.BooleanField(required=False, allow_null=True, default=None)
    binder_hours = serializers.DecimalField(max_digits=3, decimal_places=1, min_value=Decimal("0"),
                                            max_value=Decimal("24"), required=False, allow_null=True, default=None,
                                            coerce_to_string=False,
                                            help_text="Hours the binder was worn, 0-24, with at most one decimal "
                                            "(7.5); more decimals answer 400 naming the field.")
    restrictions_followed = serializers.BooleanField(required=False, allow_null=True, default=None)
    symptoms = SymptomListField(required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        temperature = attrs.get("temperature")
        if temperature is not None:
            unit = attrs.get("temperature_unit", CheckIn.TemperatureUnit.FAHRENHEIT)
            if not triage.is_plausible_temperature(temperature, unit):
                low, high = triage.plausible_range(unit)
                message = gettext("A body temperature in °%(unit)s must be between %(low)s and %(high)s.")
                raise serializers.ValidationError(
                    {"temperature": [message % {"unit": unit, "low": f"{low:.1f}", "high": f"{high:.1f}"}]}
                )
        return attrs


@extend_schema_serializer(component_name="IncisionCheckWithPhoto")
class IncisionCheckInputSerializer(PhoneInputSerializer):
    client_id = ClientIdField()
    site = serializers.ChoiceField(choices=IncisionCheck.Site.choices)
    redness = serializers.BooleanField(default=False)
    swelling = serializers.BooleanField(default=False)
    drainage = serializers.BooleanField(default=False)
    bleeding = serializers.BooleanField(default=False)
    pain = serializers.BooleanField(default=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, default="")
    photo = BoundedImageField(required=False, allow_null=True, default=None,
                                   help_text="JPEG, PNG or HEIC, multipart only; stored as JPEG without EXIF.")

    def validate_photo(self, photo: Any) -> Any:
        if photo is None:
            return None
        if photo.size > settings.INCISION_PHOTO_MAX_BYTES:
            raise serializers.ValidationError(
                gettext("The photo is larger than %(megabytes)s MB.")
                % {"megabytes": settings.INCISION_PHOTO_MAX_BYTES // (1024 * 1024)}
            )
        image_format = getattr(getattr(photo, "image", None), "format", None)
        if image_format == JPEG_WITH_MORE_PICTURES:
            image_format = "JPEG"
        if image_format not in PHOTO_FORMATS:
            formats = sorted(PHOTO_FORMATS)
            message = (gettext("The photo must be %(formats)s or %(last)s, not %(format)s.") if image_format
                       else gettext("The photo must be %(formats)s or %(last)s, not a format we could read."))
            raise serializers.ValidationError(
                message % {"formats": ", ".join(formats[:-1]), "last": formats[-1], "format": image_format}
            )
        return photo


@extend_schema_serializer(component_name="IncisionCheckJson")
class IncisionCheckJsonSerializer(IncisionCheckInputSerializer):
    """The incision check as a JSON body (schema only): a photo travels as multipart, never in JSON."""

    photo = None  # type: ignore[assignment]  # DRF: a field set to None in a subclass is removed


class WarningReportInputSerializer(PhoneInputSerializer):
    client_id = ClientIdField()
    symptoms = SymptomListField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["symptoms"] and not attrs.get("note", "").strip():
            raise serializers.ValidationError({"symptoms": [gettext("Report at least one symptom or write a note.")]})
        return attrs


class PhoneRecordSerializer(serializers.ModelSerializer):
    triage = TriageSerializer(source="*", read_only=True)

    class Meta:
        fields = ["id", "client_id", "local_date", "created_at"]


class CheckInSerializer(PhoneRecordSerializer):
    temperature = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=False, allow_null=True)
    binder_hours = serializers.DecimalField(max_digits=3, decimal_places=1, coerce_to_string=False, allow_null=True)
    symptoms = SymptomListField(read_only=True)

    class Meta:
        model = CheckIn
        fields = PhoneRecordSerializer.Meta.fields + [
            "pain_score", "temperature", "temperature_unit", "binder_worn", "binder_hours",
            "restrictions_followed", "symptoms", "note", "triage",
        ]
        read_only_fields = fields

    def to_representation(self, instance: CheckIn) -> dict[str, Any]:
        """The fields above written out directly: building a ModelSerializer's fields for every answer was a
        tenth of a check-in POST's CPU. tests/recovery/api/test_report_representation.py checks that it
        equals DRF's generic representation."""
        record = instance
        return {
            "id": record.pk,
            "client_id": _or_none(str, record.client_id),
            "local_date": _DATE.to_representation(record.local_date),
            "created_at": _DATETIME.to_representation(record.created_at),
            "pain_score": _or_none(int, record.pain_score),
            "temperature": _or_none(_TEMPERATURE.to_representation, record.temperature),
            "temperature_unit": _or_none(str, record.temperature_unit),
            "binder_worn": _or_none(bool, record.binder_worn),
            "binder_hours": _or_none(_BINDER_HOURS.to_representation, record.binder_hours),
            "restrictions_followed": _or_none(bool, record.restrictions_followed),
            "symptoms": _or_none(_texts, record.symptoms),
            "note": _or_none(str, record.note),
            "triage": {
                "level": _or_none(str, record.triage_level),
                "reasons": _or_none(_texts, record.triage_reasons),
                "advice": _or_none(str, record.triage_advice),
            },
        }


# The conversions of CheckInSerializer's declared fields, for its written-out representation.
_DATE = serializers.DateField()
_TEMPERATURE = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=False)
_BINDER_HOURS = serializers.DecimalField(max_digits=3, decimal_places=1, coerce_to_string=False)


def _or_none(convert: Callable[[Any], Any], value: Any) -> Any:
    """DRF answers None for a field whose value is None, without its conversion."""
    return None if value is None else convert(value)


class IncisionCheckSerializer(PhoneRecordSerializer):
    has_photo = serializers.SerializerMethodField()

    class Meta:
        model = IncisionCheck
        fields = PhoneRecordSerializer.Meta.fields + [
            "site", "redness", "swelling", "drainage", "bleeding", "pain", "note", "has_photo", "triage",
        ]
        read_only_fields = fields

    def get_has_photo(self, record: IncisionCheck) -> bool:
        # The photo itself is never given a public URL; the dashboard serves it behind a permission check.
        return bool(record.photo)


class WarningReportSerializer(PhoneRecordSerializer):
    class Meta:
        model = WarningReport
        fields = PhoneRecordSerializer.Meta.fields + ["symptoms", "note", "triage"]
        read_only_fields = fields

    symptoms = SymptomListField(read_only=True)


CARE_TEAM_SENDER = gettext_lazy("Your care team")
SYSTEM_SENDER = "Pump recovery"


class MessageSerializer(serializers.ModelSerializer):
    """One message of the thread, either direction; `sender` says who wrote it."""

    sender = serializers.ChoiceField(source="sender_role", choices=PatientMessage.Sender.choices, read_only=True,
                                     help_text="Who wrote it: the patient, the care team or the system.")
    sender_name = serializers.SerializerMethodField()

    class Meta:
        model = PatientMessage
        fields = ["id", "client_id", "sender", "kind", "title", "body", "sender_name", "escalation_id", "created_at"]
        read_only_fields = fields

    def get_sender_name(self, message: PatientMessage) -> str:
        """The patient's name, the care-team member's, or a generic sender in the language being answered
        in (the patient's on the patient API, English on the care team's); "Pump recovery" is the app's name."""
        if message.kind == PatientMessage.Kind.PATIENT:
            return message.patient.display_name
        sender = message.sender
        if sender is None:
            return str(CARE_TEAM_SENDER) if message.kind == PatientMessage.Kind.CARE_TEAM else SYSTEM_SENDER
        for profile in ("surgeon", "nurse"):
            member = getattr(sender, profile, None) if sender.role == profile else None
            if member is not None:
                return str(member.display_name)
        return sender.get_full_name() or str(CARE_TEAM_SENDER)


class PatientMessageInputSerializer(serializers.Serializer):
    client_id = ClientIdField()
    body = serializers.CharField(max_length=NOTE_MAX_LENGTH, trim_whitespace=True)


class PatientMessageCreatedSerializer(MessageSerializer):
    """The patient's message as stored, with how to report warning signs (a message is read in clinic hours)."""

    notice = serializers.SerializerMethodField()

    class Meta(MessageSerializer.Meta):
        fields = MessageSerializer.Meta.fields + ["notice"]
        read_only_fields = fields

    def get_notice(self, message: PatientMessage) -> str:
        return str(self.context.get("notice", ""))


class CareTeamMessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=NOTE_MAX_LENGTH, trim_whitespace=True)
    client_id = ClientIdField(required=False, help_text="Optional UUID made by the client: a retry with the same "
                              "one stores and pushes nothing new (200, the message first stored); with another "
                              "body it is a 409.")


class ConflictSerializer(serializers.Serializer):
    client_id = serializers.ListField(child=serializers.CharField())


# --- Surgeon ---------------------------------------------------------------------------------

class PhoneField(serializers.CharField):
    """A phone number, stored in E.164; without +country it is read in settings.PHONE_DEFAULT_REGION."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        try:
            return phones.normalize_phone(super().to_internal_value(data))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class ContactInputSerializer(serializers.Serializer):
    """How the care team reaches the patient."""

    phone = PhoneField(help_text="The patient's phone.")
    emergency_contact_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    emergency_contact_phone = PhoneField()
    preferred_contact_time = serializers.CharField(max_length=120, required=False, allow_blank=True,
                                                   help_text='e.g. "weekday mornings".')


class EnrollmentInputSerializer(ContactInputSerializer):
    display_name = serializers.CharField(max_length=120)
    surgery_date = BoundedDateField(**SURGERY_DATE_WINDOW)
    timezone = TimezoneField()
    pump = PumpSerializer()
    checkin_time = checkin_time_field(required=False)
    binder_prescribed = serializers.BooleanField(required=False, default=True)
    language = serializers.ChoiceField(
        choices=Language.choices, required=False,
        help_text="The patient's language (en or es); if not given, the phone's language at activation.",
    )
    country = CountryField(required=False, default="", help_text="ISO 3166-1 alpha-2; default: the time zone's.")
    surgeon_id = serializers.IntegerField(
        required=False, help_text="A nurse in several teams names the surgeon to enroll under (default: "
        "the caller, or the nurse's only team)."
    )
    client_id = ClientIdField(
        required=False, help_text="Optional UUID made by the client: a retry with the same one enrolls nobody "
        "new (200, the patient first enrolled, without the activation code, which is shown once); the same one "
        "for another name, surgery date or time zone is a 409."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = timezone.now().astimezone(zoneinfo.ZoneInfo(attrs["timezone"])).date()
        errors = enrollment_pump_errors(attrs["pump"], surgery_date=attrs["surgery_date"], today=today)
        if errors:
            raise serializers.ValidationError({"pump": errors})
        return attrs


class PatientUpdateSerializer(ContactInputSerializer):
    """The care team's changes to a patient; a new surgery date or binder prescription rebuilds the plan."""

    display_name = serializers.CharField(max_length=120, required=False)
    surgery_date = BoundedDateField(required=False, **SURGERY_DATE_WINDOW)
    timezone = TimezoneField(required=False)
    checkin_time = checkin_time_field(required=False)
    binder_prescribed = serializers.BooleanField(required=False)


class EnrollmentRetrySerializer(PatientProfileSerializer):
    """The answer to a retried enrollment (same client_id): the patient first enrolled, without the activation
    code, which was shown once and is stored only as its hash (a new one is issued from the dashboard). Its own
    schema, so the code of the 201 answer stays a plain string for the clients generated from the schema."""

    activation_expires_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta(PatientProfileSerializer.Meta):
        fields = ["id", "activation_expires_at"] + [f for f in PatientProfileSerializer.Meta.fields if f != "id"]
        read_only_fields = fields


class EnrollmentSerializer(EnrollmentRetrySerializer):
    activation_code = serializers.CharField(read_only=True, help_text="Shown once; only its hash is stored.")
    activation_expires_at = serializers.DateTimeField(read_only=True)

    class Meta(EnrollmentRetrySerializer.Meta):
        fields = ["id", "activation_code", *EnrollmentRetrySerializer.Meta.fields[1:]]
        read_only_fields = fields


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)


class LastCheckInSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    local_date = serializers.DateField(read_only=True)
    pain_score = serializers.IntegerField(read_only=True)
    triage_level = serializers.CharField(read_only=True)


class SurgeonPatientSerializer(PatientProfileSerializer):
    """A row of the surgeon's patients list (annotated by selectors.patient_summaries_for)."""

    activated = serializers.SerializerMethodField()
    last_checkin = serializers.SerializerMethodField()
    open_escalations_count = serializers.IntegerField(read_only=True)
    unread_messages_count = serializers.IntegerField(read_only=True, default=0,
                                                     help_text="The patient's messages the care team has not opened.")

    class Meta(PatientProfileSerializer.Meta):
        fields = PatientProfileSerializer.Meta.fields + [
            "activated", "last_checkin", "open_escalations_count", "unread_messages_count",
            "phone", "emergency_contact_name", "emergency_contact_phone", "preferred_contact_time",
        ]
        read_only_fields = fields

    def get_activated(self, patient: Patient) -> bool:
        return patient.user_id is not None

    @extend_schema_field(LastCheckInSerializer(allow_null=True))
    def get_last_checkin(self, patient: Patient) -> dict | None:
        annotated: Any = patient  # the last_checkin_* values are annotations of selectors.patient_summaries_for
        if getattr(annotated, "last_checkin_id", None) is None:
            return None
        return {
            "id": annotated.last_checkin_id,
            "created_at": serializers.DateTimeField().to_representation(annotated.last_checkin_at),
            "local_date": serializers.DateField().to_representation(annotated.last_checkin_local_date),
            "pain_score": annotated.last_checkin_pain_score,
            "triage_level": annotated.last_checkin_triage_level,
        }


REPORT_TYPES = ("checkin", "incision_check", "warning_report")


class ReportRefSerializer(serializers.Serializer):
    """Which phone report raised an escalation."""

    type = serializers.ChoiceField(choices=REPORT_TYPES, read_only=True)
    id = serializers.IntegerField(read_only=True)


class CaseReportSerializer(serializers.Serializer):
    """One report inside an escalation case, with its own triage as the phone got it."""

    type = serializers.ChoiceField(source="kind", choices=REPORT_TYPES,
                                   read_only=True)
    id = serializers.IntegerField(source="report.pk", read_only=True)
    created_at = serializers.DateTimeField(source="report.created_at", read_only=True)
    level = serializers.ChoiceField(source="report.triage_level", choices=TriageLevel.choices, read_only=True)
    reasons = serializers.ListField(source="report.triage_reasons", child=serializers.CharField(), read_only=True)
    note = serializers.CharField(source="report.note", read_only=True, help_text="The patient's own words.")


_DATETIME = serializers.DateTimeField()  # ISO 8601 in the active time zone, as every declared DateTimeField


def _person(person: Any) -> dict[str, Any]:
    return {"id": person.pk, "display_name": str(person.display_name)}


def _texts(values: list[Any]) -> list[str | None]:
    return [None if value is None else str(value) for value in values]  # as ListField(child=CharField())


def _case_report(kind: str, report: Any) -> dict[str, Any]:
    return {"type": kind, "id": report.pk, "created_at": _DATETIME.to_representation(report.created_at),
            "level": report.triage_level, "reasons": _texts(report.triage_reasons), "note": str(report.note)}


class AcknowledgementNoteSerializer(serializers.ModelSerializer):
    """One acknowledgement note of a case: what the care-team member wrote, who (a username) and when."""

    note = serializers.CharField(source="text", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True, allow_null=True, default=None,
                                   help_text="Who wrote it (a username); null for a note kept from before notes "
                                   "had authors when the audit trail does not name its writer for certain.")

    class Meta:
        model = AcknowledgementNote
        fields = ["note", "author", "created_at"]
        read_only_fields = fields


def _acknowledgement_note(note: AcknowledgementNote) -> dict[str, Any]:
    author = note.author
    return {"note": note.text, "author": author.username if author is not None else None,
            "created_at": _DATETIME.to_representation(note.created_at)}


class EscalationSerializer(serializers.ModelSerializer):
    """An inbox item: a patient's escalation case and the reports inside it (shared/API.md 1.1)."""

    patient = PersonSerializer(read_only=True)
    assigned_surgeon = PersonSerializer(read_only=True)
    escalated_to = PersonSerializer(read_only=True, allow_null=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", read_only=True, allow_null=True,
                                            default=None)
    resolved_by = serializers.CharField(source="resolved_by.username", read_only=True, allow_null=True, default=None)
    outcome = serializers.SerializerMethodField()
    acknowledge_note = serializers.CharField(read_only=True, help_text="The latest acknowledgement note, \"\" if "
                                             "none; every one is in `acknowledge_notes`.")
    acknowledge_notes = AcknowledgementNoteSerializer(
        source="acknowledgement_notes", many=True, read_only=True,
        help_text="Every acknowledgement note of the case, oldest first, with who wrote it and when: a later "
        "acknowledgement's note is added, never replacing an earlier one.")
    note = serializers.CharField(read_only=True,
                                 help_text="The resolution note, else the latest acknowledgement note.")
    reports = CaseReportSerializer(source="case_reports", many=True, read_only=True,
                                   help_text="The reports of the case, oldest first.")
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True,
                                    help_text="Codes of the triage rules that fired (symptom codes and others).")
    source = serializers.SerializerMethodField()  # type: ignore[assignment]  # a field named like Field.source

    class Meta:
        model = Escalation
        fields = ["id", "patient", "level", "reasons", "created_at", "updated_at", "ack_due_at", "acknowledged_at",
                  "acknowledged_by", "acknowledge_note", "acknowledge_notes", "assigned_surgeon", "escalated_to",
                  "escalated_at", "resolved_at", "resolved_by", "outcome", "resolution_note", "note", "reports",
                  "source"]
        read_only_fields = fields

    def to_representation(self, instance: Escalation) -> dict[str, Any]:
        """The fields declared above, written out directly: the inbox answers 50 of these per poll, and
        DRF's generic walk over 20 fields and their nested serializers was most of the poll's CPU.
        tests/recovery/api/test_inbox_cases.py checks that it equals the generic representation."""
        escalation: Any = instance  # the inbox's annotations and prefetched reports ride on the instance
        moment = _DATETIME.to_representation
        acknowledged_by, resolved_by, escalated_to = (escalation.acknowledged_by, escalation.resolved_by,
                                                      escalation.escalated_to)
        return {
            "id": escalation.pk,
            "patient": _person(escalation.patient),
            "level": escalation.level,
            "reasons": _texts(escalation.reasons),
            "created_at": moment(escalation.created_at),
            "updated_at": moment(escalation.updated_at),
            "ack_due_at": moment(escalation.ack_due_at),
            "acknowledged_at": moment(escalation.acknowledged_at),
            "acknowledged_by": acknowledged_by.username if acknowledged_by is not None else None,
            "acknowledge_note": escalation.acknowledge_note,
            "acknowledge_notes": [_acknowledgement_note(note) for note in escalation.acknowledgement_notes.all()],
            "assigned_surgeon": _person(escalation.assigned_surgeon),
            "escalated_to": _person(escalated_to) if escalated_to is not None else None,
            "escalated_at": moment(escalation.escalated_at),
            "resolved_at": moment(escalation.resolved_at),
            "resolved_by": resolved_by.username if resolved_by is not None else None,
            "outcome": self.get_outcome(escalation),
            "resolution_note": escalation.resolution_note,
            "note": escalation.note,
            "reports": [_case_report(item.kind, item.report) for item in escalation.case_reports.all()],
            "source": self.get_source(escalation),
        }

    @extend_schema_field(serializers.ChoiceField(choices=Escalation.Outcome.choices, allow_null=True))
    def get_outcome(self, escalation: Escalation) -> str | None:
        return escalation.outcome or None

    @extend_schema_field(ReportRefSerializer(allow_null=True))
    def get_source(self, escalation: Escalation) -> dict[str, Any] | None:
        for kind, field in (("checkin", "checkin_id"), ("incision_check", "incision_check_id"),
                            ("warning_report", "warning_report_id")):
            if getattr(escalation, field) is not None:
                return {"type": kind, "id": getattr(escalation, field)}
        return None


class InboxQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["open", "resolved", "all"], default="open", required=False,
                                    help_text="open (default): not yet resolved; resolved; or all.")


def reports_seen_field() -> serializers.IntegerField:
    """The optional marker of what the clinician saw before acknowledging or resolving a case."""
    return serializers.IntegerField(
        required=False, min_value=0,
        help_text="Optional: how many of the case's `reports` the clinician was shown (the length of the inbox "
        "item's `reports`). If the case now holds more, a report joined it since: the answer is 409 "
        "`{\"reports_seen\": [message]}` and nothing is changed; fetch the case, look at the new report, retry. "
        "Without it the request is not checked.",
    )


def reasons_seen_field() -> serializers.ListField:
    """The optional marker of the reasons the clinician saw: the refill safety net adds one without a report."""
    return serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=100,
        help_text="Optional: the case's `reasons` the clinician was shown (the inbox item's `reasons`). If the case "
        "now has another (the refill safety net adds `refill_overdue` or `refill_alarm_date`, and may raise the "
        "level, without a report), the answer is 409 `{\"reasons_seen\": [message]}` and nothing is changed. "
        "Without it the reasons are not checked.",
    )


class AcknowledgeInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, default="")
    reports_seen = reports_seen_field()
    reasons_seen = reasons_seen_field()


class ResolveInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Escalation.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, default="")
    reports_seen = reports_seen_field()
    reasons_seen = reasons_seen_field()


class SurgeonPatientDetailSerializer(SurgeonPatientSerializer):
    """One patient for their surgeon: profile, timeline, recent reports and escalations."""

    timeline = serializers.SerializerMethodField()
    recent_checkins = serializers.SerializerMethodField()
    recent_incision_checks = serializers.SerializerMethodField()
    recent_warning_reports = serializers.SerializerMethodField()
    escalations = serializers.SerializerMethodField()

    class Meta(SurgeonPatientSerializer.Meta):
        fields = SurgeonPatientSerializer.Meta.fields + [
            "binder_prescribed", "timeline", "recent_checkins", "recent_incision_checks",
            "recent_warning_reports", "escalations",
        ]
        read_only_fields = fields

    def _many(self, serializer_class: type[serializers.Serializer], key: str) -> list:
        return list(serializer_class(self.context[key], many=True, context=self.context).data)

    @extend_schema_field(MilestoneSerializer(many=True))
    def get_timeline(self, patient: Patient) -> list:
        return self._many(MilestoneSerializer, "timeline")

    @extend_schema_field(CheckInSerializer(many=True))
    def get_recent_checkins(self, patient: Patient) -> list:
        return self._many(CheckInSerializer, "checkins")

    @extend_schema_field(IncisionCheckSerializer(many=True))
    def get_recent_incision_checks(self, patient: Patient) -> list:
        return self._many(IncisionCheckSerializer, "incision_checks")

    @extend_schema_field(WarningReportSerializer(many=True))
    def get_recent_warning_reports(self, patient: Patient) -> list:
        return self._many(WarningReportSerializer, "warning_reports")

    @extend_schema_field(EscalationSerializer(many=True))
    def get_escalations(self, patient: Patient) -> list:
        return self._many(EscalationSerializer, "escalations")
