"""recovery/compiled_query.CompiledInsert writes what `save(force_insert=True)` writes, in one statement, for each kind
of phone report (recovery/services/reports.py)."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection
from django.db.models import Model, signals
from django.db.models.functions import Now
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recovery.compiled_query import CompiledInsert
from recovery.models import CheckIn, IncisionCheck, WarningReport
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

CREATED_AT = timezone.now().replace(microsecond=123456)

REPORTS: list[tuple[type[Model], dict[str, Any]]] = [
    (CheckIn, {"pain_score": 7, "temperature": Decimal("100.9"), "temperature_unit": "F", "binder_worn": None,
               "binder_hours": Decimal("6.5"), "restrictions_followed": False, "symptoms": ["fever", "chills"],
               "note": "Sore «near» the pump", "triage_level": "urgent", "triage_reasons": ["fever"],
               "triage_advice": "Call the clinic today."}),
    (WarningReport, {"symptoms": ["difficulty_breathing"], "note": "", "triage_level": "emergency",
                     "triage_reasons": ["difficulty_breathing"], "triage_advice": "Call 911."}),
    (IncisionCheck, {"site": "abdomen", "redness": True, "swelling": False, "drainage": True, "bleeding": False,
                     "pain": True, "note": "x" * 4000}),
]


def stored(model: type[Model], pk: int) -> dict[str, Any]:
    row = model.objects.filter(pk=pk).values().get()  # type: ignore[attr-defined]
    return {name: value for name, value in row.items() if name not in {"id", "client_id"}}


@pytest.mark.parametrize(("model", "values"), REPORTS, ids=lambda item: getattr(item, "__name__", ""))
def test_the_row_and_the_instance_are_those_of_save(model, values) -> None:
    patient = PatientFactory()
    common = {"patient": patient, "local_date": date(2026, 11, 20), "created_at": CREATED_AT,
              "payload_fingerprint": "f" * 64, **values}
    saved = model(client_id=uuid.uuid4(), **common)
    saved.save(force_insert=True)
    compiled = model(client_id=uuid.uuid4(), **common)
    with CaptureQueriesContext(connection) as queries:
        CompiledInsert(model).insert(compiled)
    assert [query["sql"].split(" ")[0] for query in queries] == ["INSERT"]
    assert isinstance(compiled.pk, int) and compiled.pk != saved.pk
    assert not compiled._state.adding and compiled._state.db == "default"
    assert stored(model, compiled.pk) == stored(model, saved.pk)
    found = model.objects.filter(patient=patient, client_id=compiled.client_id).values_list("pk", flat=True)
    assert list(found) == [compiled.pk]


def test_a_field_default_and_pre_save_apply_as_in_save() -> None:
    patient = PatientFactory()
    report = WarningReport(patient=patient, client_id=uuid.uuid4(), local_date=date(2026, 11, 20), symptoms=["fever"])
    CompiledInsert(WarningReport).insert(report)
    row = WarningReport.objects.get(pk=report.pk)
    assert (row.triage_level, row.triage_reasons, row.triage_advice, row.payload_fingerprint) == ("routine", [], "", "")
    assert abs((timezone.now() - row.created_at).total_seconds()) < 60  # default=timezone.now


def test_the_save_signals_are_sent_around_the_insert() -> None:
    seen: list[tuple[str, bool | None, bool]] = []

    def before(sender: Any, instance: Model, **kwargs: Any) -> None:
        seen.append(("pre_save", None, instance.pk is None))

    def after(sender: Any, instance: Model, created: bool, **kwargs: Any) -> None:
        seen.append(("post_save", created, instance.pk is None))

    signals.pre_save.connect(before, sender=CheckIn)
    signals.post_save.connect(after, sender=CheckIn)
    try:
        CompiledInsert(CheckIn).insert(CheckIn(patient=PatientFactory(), client_id=uuid.uuid4(), pain_score=1,
                                               local_date=date(2026, 11, 20)))
    finally:
        signals.pre_save.disconnect(before, sender=CheckIn)
        signals.post_save.disconnect(after, sender=CheckIn)
    assert seen == [("pre_save", None, True), ("post_save", True, False)]


def test_an_expression_among_the_values_is_left_to_save() -> None:
    """The compiled statement holds a placeholder per field: an expression needs SQL of its own."""
    report = WarningReport(patient=PatientFactory(), client_id=uuid.uuid4(), local_date=date(2026, 11, 20),
                           symptoms=["fever"], created_at=Now())
    CompiledInsert(WarningReport).insert(report)
    row = WarningReport.objects.get(pk=report.pk)
    assert abs((timezone.now() - row.created_at).total_seconds()) < 60


def test_a_second_report_with_the_same_client_id_is_the_orms_integrity_error() -> None:
    """What recovery.services.reports tells a retry by."""
    patient, client_id = PatientFactory(), uuid.uuid4()
    insert = CompiledInsert(CheckIn)
    insert.insert(CheckIn(patient=patient, client_id=client_id, pain_score=1, local_date=date(2026, 11, 20)))
    with pytest.raises(IntegrityError):
        insert.insert(CheckIn(patient=patient, client_id=client_id, pain_score=2, local_date=date(2026, 11, 20)))


def test_only_new_rows_of_models_without_a_parent() -> None:
    report = WarningReport(patient=PatientFactory(), client_id=uuid.uuid4(), local_date=date(2026, 11, 20))
    report.save()
    with pytest.raises(ValueError, match="already has a primary key"):
        CompiledInsert(WarningReport).insert(report)


def test_each_fields_pre_save_runs_once_also_on_the_first_insert(monkeypatch) -> None:
    """The statement is compiled from a blank instance: an auto_now field would otherwise hold a later time than
    the stored row."""
    field = CheckIn._meta.get_field("created_at")
    calls: list[Model] = []
    original = field.pre_save

    def counted(instance: Model, add: bool) -> Any:
        calls.append(instance)
        return original(instance, add)

    monkeypatch.setattr(field, "pre_save", counted)
    report = CheckIn(patient=PatientFactory(), client_id=uuid.uuid4(), pain_score=1, local_date=date(2026, 11, 20))
    CompiledInsert(CheckIn).insert(report)
    assert [instance for instance in calls if instance is report] == [report]
