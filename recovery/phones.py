"""Phone numbers of patients and their emergency contacts: parsed with Google's libphonenumber
(`phonenumbers`), stored in E.164, shown in international format and dialled through `tel:` links."""
from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError

INVALID_PHONE = "Enter a valid phone number, e.g. +1 212 555 0100 (a number without +country is read as {region})."


def normalize_phone(value: str, region: str | None = None) -> str:
    """E.164 form of `value` ("" stays ""); a number without +country code is read in `region`
    (default settings.PHONE_DEFAULT_REGION). Raises ValidationError when it is not a possible number."""
    value = (value or "").strip()
    if not value:
        return ""
    region = region or settings.PHONE_DEFAULT_REGION
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(INVALID_PHONE.format(region=region)) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(INVALID_PHONE.format(region=region))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """An E.164 number in international format for reading ("+1 212-555-0100")."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164
