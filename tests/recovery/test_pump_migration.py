"""The data migration gives pumps stored before refill data an alarm date (next refill date + 7 days)."""
from datetime import date

import pytest

from tests.support import migrate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("back_to_the_latest_schema")]

BEFORE = [("recovery", "0004_pump_life")]
AFTER = [("recovery", "0005_pump_alarm_dates_of_existing_pumps")]


def test_existing_pumps_get_the_alarm_date_the_formula_implies():
    old_apps = migrate(BEFORE)
    surgeon_model, patient_model, pump_model, user_model = (
        old_apps.get_model("recovery", name) for name in ("Surgeon", "Patient", "Pump", "User"))
    surgeon = surgeon_model.objects.create(user=user_model.objects.create(username="dr.old", role="surgeon"),
                                           display_name="Dr. Old")

    def patient(name: str) -> object:
        return patient_model.objects.create(surgeon=surgeon, display_name=name, surgery_date=date(2026, 1, 1))

    dated = pump_model.objects.create(patient=patient("A"), kind="programmable", drug="baclofen",
                                      next_refill_date=date(2026, 4, 1))
    undated = pump_model.objects.create(patient=patient("B"), kind="programmable", drug="other")
    new_pump = migrate(AFTER).get_model("recovery", "Pump")
    assert new_pump.objects.get(pk=dated.pk).alarm_date == date(2026, 4, 8)
    assert new_pump.objects.get(pk=undated.pk).alarm_date is None
