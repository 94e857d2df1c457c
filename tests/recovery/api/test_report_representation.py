"""CheckInSerializer writes its fields out for speed (the check-in POST answers with it); it must answer
exactly what DRF's generic walk over the declared fields answers, for every shape of check-in."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.serializers import ModelSerializer

from recovery.api import serializers as s
from recovery.models import CheckIn
from recovery.services import reports
from tests.factories import CheckInFactory, PatientFactory

pytestmark = pytest.mark.django_db


def assert_same_as_generic(record: CheckIn) -> None:
    for zone in ("UTC", "America/New_York"):
        with timezone.override(zone):
            serializer = s.CheckInSerializer(record)
            assert serializer.data == ModelSerializer.to_representation(serializer, record)


def test_a_stored_check_in_of_every_shape_is_written_out_as_drf_would():
    patient = PatientFactory(enrolled=True)
    shapes = [
        CheckInFactory(patient=patient),
        CheckInFactory(patient=patient, temperature=Decimal("38.25"), temperature_unit="C", binder_worn=True,
                       binder_hours=Decimal("7.5"), restrictions_followed=False, symptoms=["fever", "stiff_neck"],
                       note="hot", triage_level="emergency", triage_reasons=["fever_with_meningeal_signs"],
                       triage_advice="Call 911"),
        CheckInFactory(patient=patient, binder_worn=False, binder_hours=Decimal("0"), restrictions_followed=True),
    ]
    for record in shapes:
        assert_same_as_generic(CheckIn.objects.get(pk=record.pk))


def test_a_check_in_as_the_post_answers_it_is_written_out_as_drf_would():
    """Straight from the report service (a UUID, a Decimal from the input, the unit as given)."""
    patient = PatientFactory(enrolled=True)
    submission = reports.submit_checkin(patient, {
        "client_id": uuid.uuid4(), "pain_score": 7, "temperature": Decimal("101.3"), "temperature_unit": "F",
        "binder_worn": True, "binder_hours": Decimal("12.0"), "restrictions_followed": None,
        "symptoms": ["fever"], "note": "",
    })
    assert submission.created and isinstance(submission.record, CheckIn)
    assert_same_as_generic(submission.record)
    body = s.CheckInSerializer(submission.record).data
    assert body["temperature"] == Decimal("101.3") and body["triage"]["level"] == submission.record.triage_level
