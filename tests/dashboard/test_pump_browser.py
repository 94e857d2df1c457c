"""The pump worklist and the patient page's pump card in headless Chromium; screenshots in docs/screenshots/."""
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from recovery.models import Pump
from recovery.services.plans import create_recovery_plan
from recovery.services.pumps import create_pump
from tests.factories import PatientFactory, SurgeonFactory
from tests.support import SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def surgeon(db):
    return SurgeonFactory(display_name="Dr. Rivera")


def today_in(zone):
    """The patient's own date: the pages count days to a refill or a battery in the patient's zone, which is
    a day ahead of or behind UTC's for part of every day."""
    return timezone.localdate(timezone=ZoneInfo(zone))


def enrolled(surgeon, name, zone, pump):
    today = today_in(zone)
    patient = PatientFactory(surgeon=surgeon, display_name=name, timezone=zone,
                             surgery_date=pump.pop("surgery_date", today - timedelta(days=30)))
    create_recovery_plan(patient)
    return create_pump(patient, pump)


def fill(volume, concentration, unit, dose, dose_unit, days_ago, zone):
    return {"refill_date": today_in(zone) - timedelta(days=days_ago), "volume_ml": Decimal(volume),
            "concentration": Decimal(concentration), "concentration_unit": unit, "daily_dose": Decimal(dose),
            "dose_unit": dose_unit}


def test_the_worklist_lists_what_is_due_and_sorts_by_battery(page, live_server, surgeon):  # noqa: F811
    overdue = enrolled(surgeon, "Olga Overdue", "Europe/Berlin", {  # refill due 38 days after: 2 days late
        "kind": "programmable", "drug": "baclofen", "model": "synchromed_ii",
        "refill": fill("20", "500", "mcg/mL", "200", "mcg/day", days_ago=40, zone="Europe/Berlin")})
    soon = enrolled(surgeon, "Sam Soon", "America/Chicago", {
        "kind": "programmable", "drug": "morphine", "model": "prometra_ii", "battery_replacement_due":
        today_in("America/Chicago") + timedelta(days=300),
        "next_refill_date": today_in("America/Chicago") + timedelta(days=5)})
    battery = enrolled(surgeon, "Bea Battery", "Asia/Tokyo", {
        "kind": "programmable", "drug": "other",
        "battery_replacement_due": today_in("Asia/Tokyo") + timedelta(days=30)})
    enrolled(surgeon, "Fay Fine", "UTC", {"kind": "programmable", "drug": "morphine",
                                          "next_refill_date": today_in("UTC") + timedelta(days=40)})
    log_in(page, live_server, surgeon)
    page.click("text=Pump worklist")
    names = page.locator("table.worklist tbody tr td:first-child").all_inner_texts()
    assert names == ["Olga Overdue", "Sam Soon", "Bea Battery"]  # soonest refill first, Fay not due
    olga = page.locator(f'tr[data-patient="{overdue.patient_id}"]')
    assert "Refill overdue" in olga.inner_text() and "2 days late" in olga.inner_text()
    assert "level-emergency" in olga.get_attribute("class")  # baclofen: the row is marked as the most severe
    assert "Refill due" in page.locator(f'tr[data-patient="{soon.patient_id}"]').inner_text()
    assert "Battery in 30 days" in page.locator(f'tr[data-patient="{battery.patient_id}"]').inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "worklist.png"), full_page=True)
    page.click("table.worklist th >> text=Battery")
    assert page.locator("table.worklist tbody tr td:first-child").all_inner_texts()[0] == "Bea Battery"


def test_the_pump_card_shows_refills_dates_and_the_models_mri_guidance(page, live_server, surgeon):  # noqa: F811
    pump = enrolled(surgeon, "Pia Prometra", "America/Denver", {
        "kind": "programmable", "drug": Pump.Drug.MORPHINE, "model": "prometra_ii", "serial_number": "PII-2041",
        "reservoir_volume_ml": Decimal("20"),
        "battery_replacement_due": today_in("America/Denver") + timedelta(days=60),
        "refill": fill("20", "25", "mg/mL", "4.8", "mg/day", days_ago=3, zone="America/Denver"),  # 93 days to the alarm
    })
    log_in(page, live_server, surgeon)
    page.goto(f"{live_server.url}/dashboard/patients/{pump.patient_id}/")
    card = page.locator("#pump")
    assert "Flowonix Medical Prometra II" in card.inner_text() and "SN PII-2041" in card.inner_text()
    assert card.locator('[data-field="alarm_date"]').inner_text() == pump.alarm_date.strftime("%b %-d, %Y")
    assert card.locator('[data-field="next_refill_date"]').inner_text() == pump.next_refill_date.strftime("%b %-d, %Y")
    assert card.locator('.mri[data-mri-status="empty_before_mri"]').is_visible()
    assert "must be emptied of all drug before the MRI" in card.inner_text()
    assert "book the surgery" in card.locator('[data-field="battery"]').inner_text()
    assert card.locator("table.refills tbody tr").count() == 1
    card.screenshot(path=str(SCREENSHOTS / "pump-card.png"))
