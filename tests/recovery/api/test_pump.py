"""The pump over its life through the API: enrollment checks, refills (idempotent, audited), dose changes."""
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from recovery.models import AuditEvent, Patient, Pump, PumpDoseChange, PumpRefill
from recovery.services.pumps import record_refill
from tests.factories import EscalationFactory, PatientFactory, PumpFactory, RefillAlertFactory, SurgeonFactory
from tests.recovery.api.conftest import bearer

pytestmark = pytest.mark.django_db

TODAY = date(2027, 1, 15)
NOW = datetime(2027, 1, 15, 15, 0, tzinfo=UTC)  # 10:00 in New York


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def enrollment(**pump):
    return {"display_name": "Grace Hopper", "surgery_date": "2027-01-10", "timezone": "America/New_York",
            "pump": {"kind": "programmable", "drug": "baclofen", **pump}}


def refill_body(**changes):
    return {"client_id": str(uuid.uuid4()), "refill_date": "2027-01-15", "volume_ml": 20, "concentration": 500,
            "concentration_unit": "mcg/mL", "daily_dose": 200, "dose_unit": "mcg/day", **changes}


def earlier_refill(pump, surgeon):
    """20 mL of 500 mcg/mL at 200 mcg/day (0.4 mL a day) recorded on 5 January, ten days before now."""
    record_refill(pump, {"client_id": uuid.uuid4(), "refill_date": date(2027, 1, 5), "volume_ml": Decimal("20"),
                         "concentration": Decimal("500"), "concentration_unit": "mcg/mL",
                         "daily_dose": Decimal("200"), "dose_unit": "mcg/day"},
                  by=surgeon.user, now=NOW - timedelta(days=10))


@pytest.fixture
def pump(surgeon):
    return PumpFactory(patient__surgeon=surgeon, patient__surgery_date=date(2027, 1, 2), drug=Pump.Drug.BACLOFEN,
                       reservoir_volume_ml=Decimal("20"), next_refill_date=None)


# --- Enrollment ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("pump", "field", "words"),
    [
        ({"next_refill_date": "2027-01-05"}, "next_refill_date", "before the surgery"),
        ({"next_refill_date": "2027-01-14"}, "next_refill_date", "in the past"),
        ({}, "next_refill_date", "needs a next refill date or refill data"),
        ({"refill": {"refill_date": "2027-01-09", "volume_ml": 20, "concentration": 500,
                     "concentration_unit": "mcg/mL", "daily_dose": 200, "dose_unit": "mcg/day"}},
         "refill", "before the surgery"),
        ({"reservoir_volume_ml": 20, "refill": {"volume_ml": 40, "concentration": 500, "concentration_unit": "mcg/mL",
                                                "daily_dose": 200, "dose_unit": "mcg/day"}},
         "volume_ml", "reservoir holds"),
    ],
)
def test_enrollment_refuses_a_pump_refill_date_that_cannot_be_right(surgeon_client, pump, field, words):
    response = surgeon_client.post("/api/v1/surgeon/patients/", enrollment(**pump), format="json")
    assert response.status_code == 400
    errors = response.json()["pump"]
    assert list(errors) == [field] and words in " ".join(errors[field])
    assert not Patient.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("drug", ["morphine", "other_opioid", "baclofen"])
def test_an_opioid_or_baclofen_pump_needs_a_refill_date_or_refill_data(surgeon_client, drug):
    response = surgeon_client.post("/api/v1/surgeon/patients/", enrollment(drug=drug), format="json")
    assert response.status_code == 400 and "next_refill_date" in response.json()["pump"]


def test_a_pump_of_another_drug_may_be_enrolled_without_refill_date(surgeon_client):
    response = surgeon_client.post("/api/v1/surgeon/patients/", enrollment(drug="other"), format="json")
    assert response.status_code == 201 and response.json()["pump"]["next_refill_date"] is None


def test_enrollment_with_the_first_fill_computes_the_dates(surgeon_client):
    fill = {"volume_ml": 20, "concentration": 2, "concentration_unit": "mg/mL", "daily_dose": 400,
            "dose_unit": "mcg/day"}
    body = enrollment(model="synchromed_ii", serial_number="NGP123", refill=fill)
    response = surgeon_client.post("/api/v1/surgeon/patients/", body, format="json")
    assert response.status_code == 201
    pump = response.json()["pump"]
    # 18 mL x 2000 mcg/mL / 400 mcg/day = 90 days from the surgery day (first fill at implant).
    assert pump["last_refill_date"] == "2027-01-10"
    assert pump["alarm_date"] == "2027-04-10" and pump["next_refill_date"] == "2027-04-03"
    assert pump["mri_guidance"]["model"] == "synchromed_ii" and pump["mri_guidance"]["status"] == "mr_conditional"
    assert PumpRefill.objects.get().volume_ml == Decimal("20.00")


# --- Refills -----------------------------------------------------------------------------------

def test_a_refill_answers_the_pump_with_the_computed_dates(surgeon_client, pump):
    response = surgeon_client.post(f"/api/v1/surgeon/patients/{pump.patient_id}/refills/", refill_body(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["last_refill_date"], body["alarm_date"], body["next_refill_date"]) == (
        "2027-01-15", "2027-03-01", "2027-02-22")  # 45 days to the alarm, refill 7 days before
    assert body["concentration"] == 500 and body["daily_dose"] == 200 and body["low_reservoir_alarm_ml"] == 2.0
    pump.refresh_from_db()
    assert pump.next_refill_date == date(2027, 2, 22)


def test_a_refill_retry_stores_nothing_new_and_a_reused_client_id_is_409(surgeon_client, pump):
    url = f"/api/v1/surgeon/patients/{pump.patient_id}/refills/"
    body = refill_body()
    assert surgeon_client.post(url, body, format="json").status_code == 201
    again = surgeon_client.post(url, body, format="json")
    assert again.status_code == 200 and again.json()["next_refill_date"] == "2027-02-22"
    conflict = surgeon_client.post(url, {**body, "volume_ml": 18}, format="json")
    assert conflict.status_code == 409 and "client_id" in conflict.json()
    assert PumpRefill.objects.count() == 1


def test_a_refill_is_audited_as_a_staff_write(surgeon_client, surgeon, pump):
    surgeon_client.post(f"/api/v1/surgeon/patients/{pump.patient_id}/refills/", refill_body(), format="json")
    event = AuditEvent.objects.get(action="create")
    assert (event.actor, event.patient_id, event.object_type) == (surgeon.user, pump.patient_id, "recovery.PumpRefill")
    assert event.path.endswith("/refills/")


def test_a_refill_closing_the_case_the_safety_net_raised_audits_that_resolution(surgeon_client, surgeon, pump):
    """The missed-refill case is resolved in the clinician's name: like any resolution, it is in the audit trail."""
    case = EscalationFactory(patient=pump.patient, warning_report=None, level="urgent", reasons=["refill_overdue"])
    RefillAlertFactory(pump=pump, due_date=date(2027, 1, 10), escalation=case)
    response = surgeon_client.post(f"/api/v1/surgeon/patients/{pump.patient_id}/refills/", refill_body(),
                                   format="json")
    assert response.status_code == 201, response.content
    case.refresh_from_db()
    assert (case.resolved_by, case.outcome) == (surgeon.user, "no_action_needed")
    event = AuditEvent.objects.get(action="resolve")
    assert (event.actor, event.patient_id, event.object_type, event.object_id) == (
        surgeon.user, pump.patient_id, "recovery.Escalation", str(case.pk))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"refill_date": "2027-01-16"}, "refill_date"),  # tomorrow in New York
        ({"refill_date": "2027-01-01"}, "refill_date"),  # before the surgery
        ({"volume_ml": 25}, "volume_ml"),  # more than the 20 mL reservoir
        ({"volume_ml": 2}, "volume_ml"),  # not above the alarm volume
        ({"volume_ml": 0}, "volume_ml"),
        ({"concentration": -1}, "concentration"),
        ({"daily_dose": 0}, "daily_dose"),
        ({"concentration_unit": "g/L"}, "concentration_unit"),
        ({"dose_unit": "mL/day"}, "dose_unit"),
        ({"client_id": 7}, "client_id"),
        ({"refill_date": "15/01/2027"}, "refill_date"),
    ],
)
def test_a_bad_refill_is_400_naming_the_field_and_changes_nothing(surgeon_client, pump, change, field):
    response = surgeon_client.post(f"/api/v1/surgeon/patients/{pump.patient_id}/refills/", refill_body(**change),
                                   format="json")
    assert response.status_code == 400 and list(response.json()) == [field]
    pump.refresh_from_db()
    assert pump.next_refill_date is None and not PumpRefill.objects.exists() and not AuditEvent.objects.exists()


# --- Short fills: the next refill date never before the day it is computed from ------------------------

def test_a_normal_fill_keeps_the_formula_and_carries_no_warning(surgeon_client, pump):
    response = surgeon_client.post(f"/api/v1/surgeon/patients/{pump.patient_id}/refills/", refill_body(), format="json")
    body = response.json()
    assert (body["alarm_date"], body["next_refill_date"]) == ("2027-03-01", "2027-02-22")
    assert body["refill_margin_short"] is False and body["refill_warning"] is None


def test_a_short_fill_is_due_for_refill_on_its_refill_date_with_a_warning(surgeon_client, pump):
    # 2 usable mL x 500 mcg/mL / 200 mcg/day = 5 days: alarm_date - 7 would be 13 January, before the refill.
    response = surgeon_client.post(f"/api/v1/surgeon/patients/{pump.patient_id}/refills/",
                                   refill_body(volume_ml=4), format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["alarm_date"], body["next_refill_date"]) == ("2027-01-20", "2027-01-15")
    assert body["refill_margin_short"] is True
    assert "2027-01-20" in body["refill_warning"] and "due now" in body["refill_warning"]
    pump.refresh_from_db()
    assert (pump.alarm_date, pump.next_refill_date) == (date(2027, 1, 20), date(2027, 1, 15))
    assert PumpRefill.objects.get().next_refill_date == date(2027, 1, 15)
    detail = surgeon_client.get(f"/api/v1/surgeon/patients/{pump.patient_id}/").json()
    assert detail["pump"]["next_refill_date"] == "2027-01-15" and detail["pump"]["refill_margin_short"] is True


def test_a_short_first_fill_at_enrollment_is_due_for_refill_on_its_fill_day(surgeon_client):
    fill = {"refill_date": "2027-01-15", "volume_ml": 3, "concentration": 500, "concentration_unit": "mcg/mL",
            "daily_dose": 200, "dose_unit": "mcg/day"}
    response = surgeon_client.post("/api/v1/surgeon/patients/", enrollment(refill=fill), format="json")
    assert response.status_code == 201
    pump = response.json()["pump"]
    assert (pump["alarm_date"], pump["next_refill_date"], pump["refill_margin_short"]) == (
        "2027-01-17", "2027-01-15", True)  # 1 usable mL lasts 2.5 days


@pytest.mark.parametrize("volume", ["2", "2.0", "1.5"])
def test_a_refill_at_or_below_the_alarm_volume_is_400_naming_volume_ml(surgeon_client, pump, volume):
    response = surgeon_client.post(f"/api/v1/surgeon/patients/{pump.patient_id}/refills/",
                                   refill_body(volume_ml=volume), format="json")
    assert response.status_code == 400
    assert response.json() == {"volume_ml": ["Must be more than the low-reservoir alarm volume (2.00 mL)."]}
    pump.refresh_from_db()
    assert pump.next_refill_date is None and not PumpRefill.objects.exists()


def test_a_dose_change_that_leaves_the_reservoir_short_is_due_for_refill_that_day(surgeon_client, surgeon, pump):
    earlier_refill(pump, surgeon)  # 16 mL left on 15 January
    response = surgeon_client.patch(f"/api/v1/surgeon/patients/{pump.patient_id}/pump/",
                                    {"daily_dose": "2.5", "dose_unit": "mg/day"}, format="json")
    assert response.status_code == 200
    body = response.json()
    # 14 usable mL x 500 / 2500 = 2.8 -> 2 days: alarm 17 January; alarm_date - 7 would be 10 January.
    assert (body["alarm_date"], body["next_refill_date"], body["refill_margin_short"]) == (
        "2027-01-17", "2027-01-15", True)
    assert "due now" in body["refill_warning"]
    change = PumpDoseChange.objects.get()
    assert (change.alarm_date, change.next_refill_date) == (date(2027, 1, 17), date(2027, 1, 15))
    pump.refresh_from_db()
    assert pump.next_refill_date == date(2027, 1, 15)


def test_a_dose_change_on_a_reservoir_already_at_its_alarm_volume_says_refill_now(surgeon_client, surgeon, pump):
    # 4 mL on 5 January at 0.4 mL a day: nothing above the alarm volume is left on 15 January.
    record_refill(pump, {"client_id": uuid.uuid4(), "refill_date": date(2027, 1, 5), "volume_ml": Decimal("4"),
                         "concentration": Decimal("500"), "concentration_unit": "mcg/mL",
                         "daily_dose": Decimal("200"), "dose_unit": "mcg/day"},
                  by=surgeon.user, now=NOW - timedelta(days=10))
    response = surgeon_client.patch(f"/api/v1/surgeon/patients/{pump.patient_id}/pump/",
                                    {"daily_dose": 150, "dose_unit": "mcg/day"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["alarm_date"], body["next_refill_date"]) == ("2027-01-15", "2027-01-15")
    assert "at or below its low-reservoir alarm volume" in body["refill_warning"]
    assert PumpDoseChange.objects.get().next_refill_date == date(2027, 1, 15)


def test_an_alarm_volume_not_below_the_last_refill_is_400(surgeon_client, pump):
    url = f"/api/v1/surgeon/patients/{pump.patient_id}"
    surgeon_client.post(f"{url}/refills/", refill_body(volume_ml=10), format="json")
    response = surgeon_client.patch(f"{url}/pump/", {"low_reservoir_alarm_ml": 10}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["low_reservoir_alarm_ml"]
    pump.refresh_from_db()
    assert pump.low_reservoir_alarm_ml == Decimal("2.00")


def test_an_alarm_volume_that_makes_the_fill_short_keeps_the_refill_date_on_the_refill_day(surgeon_client, pump):
    url = f"/api/v1/surgeon/patients/{pump.patient_id}"
    surgeon_client.post(f"{url}/refills/", refill_body(volume_ml=10), format="json")  # 8 mL: 20 days
    body = surgeon_client.patch(f"{url}/pump/", {"low_reservoir_alarm_ml": 8}, format="json").json()
    assert (body["alarm_date"], body["next_refill_date"]) == ("2027-01-20", "2027-01-15")  # 2 mL: 5 days
    assert body["refill_margin_short"] is True


def test_the_refill_history_is_newest_first_and_its_read_audited(surgeon_client, surgeon, pump):
    url = f"/api/v1/surgeon/patients/{pump.patient_id}/refills/"
    earlier_refill(pump, surgeon)
    surgeon_client.post(url, refill_body(volume_ml=18), format="json")
    history = surgeon_client.get(url).json()
    assert [row["refill_date"] for row in history] == ["2027-01-15", "2027-01-05"]
    assert history[0]["volume_ml"] == 18 and history[0]["recorded_by"] == surgeon.user.username
    assert AuditEvent.objects.filter(action="view", patient=pump.patient).exists()


def test_another_surgeons_patient_pump_is_not_found(surgeon_client):
    stranger = PumpFactory()
    for response in (
        surgeon_client.get(f"/api/v1/surgeon/patients/{stranger.patient_id}/refills/"),
        surgeon_client.post(f"/api/v1/surgeon/patients/{stranger.patient_id}/refills/", refill_body(), format="json"),
        surgeon_client.patch(f"/api/v1/surgeon/patients/{stranger.patient_id}/pump/", {"serial_number": "X"},
                             format="json"),
    ):
        assert response.status_code == 404 and "detail" in response.json()
    assert not PumpRefill.objects.exists()


def test_a_patient_cannot_record_refills(api_client, pump):
    bearer(api_client, pump.patient.user)
    response = api_client.post(f"/api/v1/surgeon/patients/{pump.patient_id}/refills/", refill_body(), format="json")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"concentration": 500, "concentration_unit": "mg/mL"},  # mg for mcg: 45,000 days
        {"daily_dose": "0.0001"},  # overflowed the date arithmetic (a 500)
        {"volume_ml": "19.99", "concentration": "99999999.9999", "concentration_unit": "mg/mL",
         "daily_dose": "0.0001"},
    ],
)
def test_a_refill_that_would_last_over_a_year_is_400_naming_the_dose(surgeon_client, pump, change):
    response = surgeon_client.post(f"/api/v1/surgeon/patients/{pump.patient_id}/refills/", refill_body(**change),
                                   format="json")
    assert response.status_code == 400 and list(response.json()) == ["daily_dose"]
    assert "units" in response.json()["daily_dose"][0]
    pump.refresh_from_db()
    assert pump.alarm_date is None and not PumpRefill.objects.exists() and not AuditEvent.objects.exists()


def test_a_year_between_refills_is_still_accepted(surgeon_client, pump):
    # 18 usable mL x 500 mcg/mL / 24.6 mcg/day = 365.85 -> 365 days
    response = surgeon_client.post(f"/api/v1/surgeon/patients/{pump.patient_id}/refills/",
                                   refill_body(daily_dose="24.6"), format="json")
    assert response.status_code == 201 and response.json()["alarm_date"] == "2028-01-15"


def test_an_enrollment_whose_first_fill_would_last_over_a_year_is_400(surgeon_client):
    fill = {"volume_ml": 20, "concentration": 500, "concentration_unit": "mg/mL", "daily_dose": 200,
            "dose_unit": "mcg/day"}
    response = surgeon_client.post("/api/v1/surgeon/patients/", enrollment(refill=fill), format="json")
    assert response.status_code == 400 and list(response.json()["pump"]) == ["refill"]
    assert not Patient.objects.exists()


def test_a_refill_dated_before_the_last_dose_change_is_refused(surgeon_client, surgeon, pump):
    """Entered late, a refill dated before a dose change would put back the old dose and move the alarm weeks
    past the real empty reservoir."""
    url = f"/api/v1/surgeon/patients/{pump.patient_id}"
    earlier_refill(pump, surgeon)
    changed = surgeon_client.patch(f"{url}/pump/", {"daily_dose": 400, "dose_unit": "mcg/day",
                                                    "effective_date": "2027-01-12"}, format="json").json()
    response = surgeon_client.post(f"{url}/refills/", refill_body(refill_date="2027-01-10"), format="json")
    assert response.status_code == 400 and list(response.json()) == ["refill_date"]
    assert "dose change" in response.json()["refill_date"][0]
    pump.refresh_from_db()
    assert (pump.daily_dose, str(pump.alarm_date)) == (Decimal("400"), changed["alarm_date"])
    assert PumpRefill.objects.count() == 1


def test_a_refill_is_checked_against_the_pump_as_it_is_when_stored(surgeon_client, surgeon, pump):
    """The view read the pump before a dose change committed: the refill dated before that change is still
    refused (checked on the locked row)."""
    from recovery.services.pumps import PumpInputError

    earlier_refill(pump, surgeon)
    read_before_the_change = Pump.objects.select_related("patient").get(pk=pump.pk)
    assert surgeon_client.patch(f"/api/v1/surgeon/patients/{pump.patient_id}/pump/",
                                {"daily_dose": 400, "dose_unit": "mcg/day", "effective_date": "2027-01-12"},
                                format="json").status_code == 200
    body = {**refill_body(refill_date="2027-01-10"), "client_id": uuid.uuid4()}
    for key in ("volume_ml", "concentration", "daily_dose"):
        body[key] = Decimal(str(body[key]))
    body["refill_date"] = date(2027, 1, 10)
    with pytest.raises(PumpInputError) as refused:
        record_refill(read_before_the_change, body, by=surgeon.user, now=NOW)
    assert list(refused.value.errors) == ["refill_date"]
    assert PumpRefill.objects.count() == 1


def test_a_backup_surgeon_reads_the_pump_but_changes_it_404(api_client, surgeon, pump):
    """A case passed on (even resolved since) shows the backup the patient's pump; refills and doses stay with
    the patient's own team, as edits of the patient do."""
    backup = SurgeonFactory()
    EscalationFactory(warning_report__patient=pump.patient, escalated_to=backup, resolved_at=NOW)
    bearer(api_client, backup.user)
    url = f"/api/v1/surgeon/patients/{pump.patient_id}"
    assert api_client.get(f"{url}/refills/").status_code == 200
    assert api_client.get(f"{url}/").status_code == 200
    for response in (api_client.post(f"{url}/refills/", refill_body(), format="json"),
                     api_client.patch(f"{url}/pump/", {"serial_number": "HACK"}, format="json"),
                     api_client.patch(f"{url}/", {"display_name": "Changed"}, format="json")):
        assert response.status_code == 404 and "detail" in response.json()
    pump.refresh_from_db()
    assert pump.serial_number != "HACK" and not PumpRefill.objects.exists()


# --- PATCH: record and dose changes --------------------------------------------------------------

def test_a_dose_change_recomputes_the_dates_from_the_volume_left_that_day(surgeon_client, surgeon, pump):
    url = f"/api/v1/surgeon/patients/{pump.patient_id}"
    earlier_refill(pump, surgeon)
    response = surgeon_client.patch(f"{url}/pump/", {"daily_dose": "0.4", "dose_unit": "mg/day"}, format="json")
    assert response.status_code == 200
    body = response.json()
    # 20 mL - 10 days x 0.4 mL = 16 mL left on 15 Jan; 14 mL x 500 mcg/mL / 400 mcg/day = 17.5 -> 17 days.
    assert (body["alarm_date"], body["next_refill_date"]) == ("2027-02-01", "2027-01-25")
    assert body["daily_dose"] == 0.4 and body["dose_unit"] == "mg/day"
    change = PumpDoseChange.objects.get()
    assert change.volume_left_ml == Decimal("16.000") and change.previous_daily_dose == Decimal("200")


def test_a_dose_change_retry_with_its_client_id_is_stored_once(surgeon_client, pump):
    url = f"/api/v1/surgeon/patients/{pump.patient_id}"
    surgeon_client.post(f"{url}/refills/", refill_body(), format="json")
    change = {"client_id": str(uuid.uuid4()), "daily_dose": 300, "dose_unit": "mcg/day"}
    first = surgeon_client.patch(f"{url}/pump/", change, format="json").json()
    assert surgeon_client.patch(f"{url}/pump/", change, format="json").json() == first
    assert surgeon_client.patch(f"{url}/pump/", {**change, "daily_dose": 350}, format="json").status_code == 409
    assert PumpDoseChange.objects.count() == 1


def test_patch_changes_the_pump_record_and_is_audited(surgeon_client, surgeon, pump):
    response = surgeon_client.patch(f"/api/v1/surgeon/patients/{pump.patient_id}/pump/",
                                    {"model": "prometra_ii", "serial_number": "PII-42",
                                     "battery_replacement_due": "2027-03-01", "next_refill_date": "2027-02-01"},
                                    format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["mri_guidance"]["status"] == "empty_before_mri" and "Flowonix" in body["mri_guidance"]["source"]
    assert body["battery_replacement_soon"] is True and body["alarm_date"] == "2027-02-08"
    assert AuditEvent.objects.filter(actor=surgeon.user, action="update", patient=pump.patient).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"daily_dose": 300}, "dose_unit"),
        ({"daily_dose": 300, "dose_unit": "mcg/day", "effective_date": "2027-01-20"}, "effective_date"),
        ({"effective_date": "2027-01-14"}, "effective_date"),
        ({"next_refill_date": "2027-01-01"}, "next_refill_date"),
        ({"next_refill_date": None}, "next_refill_date"),  # a baclofen pump needs one
        ({"model": "acme_9000"}, "model"),
        ({"low_reservoir_alarm_ml": -1}, "low_reservoir_alarm_ml"),
    ],
)
def test_a_bad_pump_change_is_400_naming_the_field(surgeon_client, pump, change, field):
    response = surgeon_client.patch(f"/api/v1/surgeon/patients/{pump.patient_id}/pump/", change, format="json")
    assert response.status_code == 400 and list(response.json()) == [field]
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"daily_dose": "0.0001", "dose_unit": "mcg/day"}, "daily_dose"),  # overflowed the dates (a 500)
        ({"daily_dose": "0.2", "dose_unit": "mcg/day"}, "daily_dose"),  # mcg for mg: 39,000 days
        ({"daily_dose": 300, "dose_unit": "mcg/day", "effective_date": "9999-12-31"}, "effective_date"),
        ({"daily_dose": 300, "dose_unit": "mcg/day", "effective_date": "0001-01-01"}, "effective_date"),
    ],
)
def test_a_dose_change_to_an_implausible_schedule_is_400_and_changes_nothing(surgeon_client, surgeon, pump, change,
                                                                             field):
    earlier_refill(pump, surgeon)
    pump.refresh_from_db()
    before = (pump.daily_dose, pump.alarm_date, pump.next_refill_date)
    response = surgeon_client.patch(f"/api/v1/surgeon/patients/{pump.patient_id}/pump/", change, format="json")
    assert response.status_code == 400 and list(response.json()) == [field]
    pump.refresh_from_db()
    assert (pump.daily_dose, pump.alarm_date, pump.next_refill_date) == before
    assert not PumpDoseChange.objects.exists()


def test_a_lower_alarm_volume_that_stretches_the_schedule_past_a_year_is_400(surgeon_client, pump):
    url = f"/api/v1/surgeon/patients/{pump.patient_id}"
    # 18 usable mL x 500 / 26 = 346 days; with no alarm volume 20 mL would last 384.
    assert surgeon_client.post(f"{url}/refills/", refill_body(daily_dose=26), format="json").status_code == 201
    response = surgeon_client.patch(f"{url}/pump/", {"low_reservoir_alarm_ml": 0}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["low_reservoir_alarm_ml"]
    assert surgeon_client.patch(f"{url}/pump/", {"low_reservoir_alarm_ml": 1}, format="json").status_code == 200


def test_a_computed_refill_date_cannot_be_overwritten_by_hand(surgeon_client, pump):
    url = f"/api/v1/surgeon/patients/{pump.patient_id}"
    surgeon_client.post(f"{url}/refills/", refill_body(), format="json")
    response = surgeon_client.patch(f"{url}/pump/", {"next_refill_date": "2027-06-01"}, format="json")
    assert response.status_code == 400 and "next_refill_date" in response.json()


# --- The patient's own view --------------------------------------------------------------------

def test_me_shows_the_pump_fields_and_its_mri_guidance(api_client):
    patient = PatientFactory(surgery_date=date(2027, 1, 2))
    PumpFactory(patient=patient, model="prometra", serial_number="P-1", next_refill_date=date(2027, 2, 1),
                battery_replacement_due=date(2031, 1, 1))
    assert patient.user is not None
    body = bearer(api_client, patient.user).get("/api/v1/me/").json()["pump"]
    assert body["model"] == "prometra" and body["serial_number"] == "P-1"
    assert body["next_refill_date"] == "2027-02-01" and body["battery_replacement_soon"] is False
    assert body["mri_guidance"]["status"] == "empty_before_mri" and "Flowonix" in body["mri_guidance"]["source"]
