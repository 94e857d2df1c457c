"""The phone's input serializers copy their fields shallowly from fields DRF deep-copied once per class and
language (recovery.api.serializers.PhoneInputSerializer): the same answers as DRF's own copies, in the language
of each request, with no field shared between two serializers."""
import uuid
from typing import Any

import pytest
from django.utils import translation
from rest_framework import serializers

from recovery.api.serializers import (
    CheckInInputSerializer,
    IncisionCheckInputSerializer,
    PhoneInputSerializer,
    WarningReportInputSerializer,
)


def with_drfs_own_copies(serializer_class: type[PhoneInputSerializer]) -> type[serializers.Serializer]:
    """The same serializer with DRF's deep copy of every declared field for each instance."""
    own_copies = {"get_fields": serializers.Serializer.get_fields}
    return type(f"Deep{serializer_class.__name__}", (serializer_class,), own_copies)


PAYLOADS = [
    (CheckInInputSerializer, {"client_id": str(uuid.uuid4()), "pain_score": 2, "binder_worn": True, "symptoms": []}),
    (CheckInInputSerializer, {"client_id": str(uuid.uuid4()), "pain_score": 11, "symptoms": ["fever", "fever"]}),
    (CheckInInputSerializer, {"client_id": "not-a-uuid", "pain_score": -1, "temperature": "41.9",
                              "temperature_unit": "C", "binder_hours": 25, "note": "x" * 4001}),
    (CheckInInputSerializer, {"client_id": str(uuid.uuid4()), "pain_score": 3, "symptoms": ["hiccups"]}),
    (CheckInInputSerializer, {"client_id": str(uuid.uuid4()), "pain_score": 3, "symptoms": "fever"}),
    (WarningReportInputSerializer, {"client_id": str(uuid.uuid4()), "symptoms": ["seizure", "fever"]}),
    (WarningReportInputSerializer, {"client_id": str(uuid.uuid4()), "symptoms": [], "note": " "}),
    (WarningReportInputSerializer, {"client_id": str(uuid.uuid4()), "symptoms": ["x" * 65]}),
    (IncisionCheckInputSerializer, {"client_id": str(uuid.uuid4()), "site": "nowhere", "redness": "maybe"}),
]


@pytest.mark.parametrize(("serializer_class", "payload"), PAYLOADS)
def test_answers_as_drfs_own_copies_in_each_language(serializer_class, payload):
    for language in ("es", "en", "es", "en"):
        with translation.override(language):
            ours, drfs = serializer_class(data=payload), with_drfs_own_copies(serializer_class)(data=payload)
            assert ours.is_valid() == drfs.is_valid()
            assert ours.errors == drfs.errors
            if not ours.errors:
                assert ours.validated_data == drfs.validated_data


def test_a_limits_message_is_in_the_language_of_each_request():
    """DRF's limit messages keep the text of their first rendering: a copy shared across languages answered every
    later request in the first patient's language."""
    def pain_error(language: str) -> str:
        with translation.override(language):
            serializer = CheckInInputSerializer(data={"client_id": str(uuid.uuid4()), "pain_score": 11})
            assert not serializer.is_valid()
            return str(serializer.errors["pain_score"][0])

    spanish, english = pain_error("es"), pain_error("en")
    assert english == "Ensure this value is less than or equal to 10."
    assert spanish != english
    assert pain_error("es") == spanish and pain_error("en") == english


def test_no_field_is_shared_between_two_serializers():
    first, second = CheckInInputSerializer(data={}), CheckInInputSerializer(data={})
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other
        assert field.parent is first and other.parent is second
        assert field.field_name == other.field_name == name
    symptoms, others = first.fields["symptoms"], second.fields["symptoms"]
    assert isinstance(symptoms, serializers.ListField) and isinstance(others, serializers.ListField)
    child: Any = symptoms.child
    assert child is not others.child
    assert child.parent is symptoms


class NestedInput(PhoneInputSerializer):
    counts = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField(max_value=3)))


def test_nested_children_are_each_serializers_own():
    first, second = NestedInput(data={"counts": {"a": [4]}}), NestedInput(data={})
    counts, others = first.fields["counts"], second.fields["counts"]
    assert isinstance(counts, serializers.DictField) and isinstance(others, serializers.DictField)
    inner: Any = counts.child
    assert inner is not others.child and inner.parent is counts
    assert inner.child is not others.child.child and inner.child.parent is inner  # type: ignore[attr-defined]
    with translation.override("en"):
        assert not first.is_valid()
        assert first.errors == {"counts": {"a": {0: ["Ensure this value is less than or equal to 3."]}}}
