"""recovery/api/serializers.CopiedFieldsSerializer: the phone's input serializers copy their declared fields with
copy.copy instead of DRF's deepcopy, and validate exactly as DRF's copies would, each instance on fields of its own."""
from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from rest_framework import serializers

from recovery.api import serializers as s

CLIENT_ID = str(uuid.uuid4())
INPUTS: dict[type[serializers.Serializer], list[Any]] = {
    s.CheckInInputSerializer: [
        {"client_id": CLIENT_ID, "pain_score": 2, "binder_worn": True, "symptoms": []},
        {"client_id": CLIENT_ID, "pain_score": 9, "temperature": "101.4", "temperature_unit": "F",
         "binder_hours": 6.5, "restrictions_followed": False, "symptoms": ["fever", "fever", "chills"], "note": " a "},
        {"client_id": CLIENT_ID, "pain_score": 11, "temperature": 120, "symptoms": ["not_a_symptom"]},
        {"client_id": 5, "pain_score": "x", "temperature_unit": "K", "binder_hours": 25, "symptoms": "fever"},
        {"client_id": CLIENT_ID, "pain_score": 3, "temperature": "38.2", "temperature_unit": "C", "note": "n" * 4001},
        {"client_id": CLIENT_ID, "pain_score": None, "symptoms": [None, 3], "binder_worn": "maybe"},
        {}, [], "text", None,
    ],
    s.WarningReportInputSerializer: [
        {"client_id": CLIENT_ID, "symptoms": ["difficulty_breathing"]},
        {"client_id": CLIENT_ID, "symptoms": [], "note": "   "},
        {"client_id": CLIENT_ID, "symptoms": ["x" * 65] * 3},
        {"client_id": CLIENT_ID, "symptoms": ["fever"] * 500},
        {"symptoms": None}, {},
    ],
    s.IncisionCheckInputSerializer: [
        {"client_id": CLIENT_ID, "site": "back", "redness": True, "note": "warm"},
        {"client_id": CLIENT_ID, "site": "knee", "swelling": "yes", "photo": "not a file"},
        {"client_id": "not-a-uuid"},
    ],
    s.PatientMessageInputSerializer: [
        {"client_id": CLIENT_ID, "body": "  When can I shower?  "},
        {"client_id": CLIENT_ID, "body": ""}, {"body": "b" * 4001},
    ],
}


def with_drfs_copies(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    class Reference(serializer_class):  # type: ignore[valid-type, misc]
        def get_fields(self) -> dict[str, serializers.Field]:
            return copy.deepcopy(self._declared_fields)
    return Reference


def outcome(serializer: serializers.Serializer) -> tuple[bool, Any, Any]:
    valid = serializer.is_valid()
    return valid, dict(serializer.validated_data) if valid else None, serializer.errors


@pytest.mark.parametrize(("serializer_class", "data"),
                         [(cls, data) for cls, corpus in INPUTS.items() for data in corpus])
def test_validation_is_that_of_drfs_deep_copies(serializer_class, data) -> None:
    assert issubclass(serializer_class, s.CopiedFieldsSerializer)
    assert outcome(serializer_class(data=data)) == outcome(with_drfs_copies(serializer_class)(data=data))


def test_each_instance_validates_on_fields_of_its_own() -> None:
    first, second = s.CheckInInputSerializer(data={}), s.CheckInInputSerializer(data={})
    fields: Any = first.fields
    fields["note"].max_length = 1
    fields["note"].error_messages["max_length"] = "changed"
    fields["pain_score"].validators.clear()
    fields["symptoms"].child.max_length = 1
    body = {"client_id": CLIENT_ID, "pain_score": 11, "symptoms": ["fever"], "note": "long"}
    other = s.CheckInInputSerializer(data=body)
    assert not other.is_valid()
    assert set(other.errors) == {"pain_score"}  # the bound limits of another instance did not reach it
    others: Any = other.fields
    assert others["symptoms"].child.parent is others["symptoms"]
    assert second.fields["note"] is not first.fields["note"]
    assert s.CheckInInputSerializer._declared_fields["note"].parent is None  # the declared fields stay unbound
