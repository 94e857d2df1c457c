"""The care team's pump worklist and the patient page's pump card (dashboard, Django test client)."""
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recovery.models import AuditEvent, Pump, Surgeon
from tests.factories import PatientFactory, PumpFactory, PumpRefillFactory, RefillAlertFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 1, 17, 0, tzinfo=UTC)
TODAY = date(2027, 3, 1)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def pump_for(surgeon: Surgeon, name: str, *, refill_in: int | None = None, battery_in: int | None = None,
             **fields: Any) -> Pump:
    return PumpFactory(
        patient=PatientFactory(surgeon=surgeon, display_name=name, surgery_date=date(2026, 6, 1)),
        next_refill_date=None if refill_in is None else TODAY + timedelta(days=refill_in),
        battery_replacement_due=None if battery_in is None else TODAY + timedelta(days=battery_in), **fields,
    )


def rows(response: Any) -> list[str]:
    return [row.pump.patient.display_name for row in response.context["rows"]]


def test_the_worklist_shows_overdue_and_soon_due_refills_and_batteries_within_90_days(surgeon, surgeon_client):
    pump_for(surgeon, "Overdue", refill_in=-2, drug=Pump.Drug.BACLOFEN)
    pump_for(surgeon, "Due today", refill_in=0)
    pump_for(surgeon, "Due in 14", refill_in=14)
    pump_for(surgeon, "Due in 15", refill_in=15)
    pump_for(surgeon, "Battery in 90", refill_in=60, battery_in=90)
    pump_for(surgeon, "Battery in 91", refill_in=60, battery_in=91)
    pump_for(surgeon, "No dates", drug=Pump.Drug.OTHER)
    PumpFactory(next_refill_date=TODAY - timedelta(days=3))  # another surgeon's patient
    response = surgeon_client.get(reverse("dashboard:worklist"))
    assert rows(response) == ["Overdue", "Due today", "Due in 14", "Battery in 90"]
    assert (response.context["overdue"], response.context["due_soon"], response.context["battery"]) == (1, 2, 1)
    html = response.content.decode()
    assert "Refill overdue" in html and "2 days late" in html and "Battery in 90 days" in html


def test_the_worklist_judges_each_patient_on_their_own_calendar_day(surgeon, surgeon_client):
    # 17:00 UTC on 1 March is already 2 March in Auckland: a refill due on 1 March is overdue there.
    patient = PatientFactory(surgeon=surgeon, display_name="Auckland", timezone="Pacific/Auckland")
    PumpFactory(patient=patient, next_refill_date=TODAY)
    response = surgeon_client.get(reverse("dashboard:worklist"))
    assert [row.refill_overdue for row in response.context["rows"]] == [True]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("next_refill", ["Ann", "Cat", "Bob"]),
        ("battery", ["Bob", "Ann", "Cat"]),
        ("name", ["Ann", "Bob", "Cat"]),
        ("alarm", ["Ann", "Cat", "Bob"]),
        ("no_such_sort", ["Ann", "Cat", "Bob"]),
    ],
)
def test_the_worklist_is_sortable(surgeon, surgeon_client, sort, expected):
    for name, refill_in, battery_in in (("Bob", 12, 10), ("Ann", -1, 30), ("Cat", 3, None)):
        pump = pump_for(surgeon, name, refill_in=refill_in, battery_in=battery_in)
        Pump.objects.filter(pk=pump.pk).update(alarm_date=TODAY + timedelta(days=refill_in + 7))
    assert rows(surgeon_client.get(reverse("dashboard:worklist"), {"sort": sort})) == expected


def test_the_worklist_read_is_audited_per_patient(surgeon, surgeon_client):
    pumps = [pump_for(surgeon, f"P{i}", refill_in=i) for i in range(3)]
    surgeon_client.get(reverse("dashboard:worklist"))
    assert sorted(AuditEvent.objects.filter(action="view", object_type="recovery.Pump")
                  .values_list("patient_id", flat=True)) == sorted(p.patient_id for p in pumps)


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_worklist_costs_the_same_for_1_and_50_patients(surgeon, surgeon_client):
    def add(count, start):
        for i in range(start, start + count):
            pump_for(surgeon, f"P{i}", refill_in=i % 20 - 5, battery_in=i % 100)

    add(1, 0)
    with_one = queries(surgeon_client, reverse("dashboard:worklist"))
    add(49, 1)
    assert len(surgeon_client.get(reverse("dashboard:worklist")).context["rows"]) > 40
    assert queries(surgeon_client, reverse("dashboard:worklist")) == with_one


def test_the_patient_page_costs_the_same_for_1_and_50_refills(surgeon, surgeon_client):
    pump = pump_for(surgeon, "Refilled", refill_in=-1, battery_in=30)
    RefillAlertFactory(pump=pump)

    def add(count, start):
        for i in range(start, start + count):
            PumpRefillFactory(pump=pump, refill_date=date(2026, 6, 1) + timedelta(days=i), recorded_by=surgeon.user)

    add(1, 0)
    url = reverse("dashboard:patient", args=[pump.patient_id])
    with_one = queries(surgeon_client, url)
    add(49, 1)
    assert queries(surgeon_client, url) == with_one


def test_the_patient_page_shows_the_pump_card_with_mri_guidance_and_battery_notice(surgeon, surgeon_client):
    pump = pump_for(surgeon, "Prometra patient", refill_in=-1, battery_in=45, model="prometra_ii",
                    serial_number="PII-77", drug=Pump.Drug.BACLOFEN)
    RefillAlertFactory(pump=pump)
    PumpRefillFactory(pump=pump, refill_date=date(2027, 1, 10), recorded_by=surgeon.user)
    html = surgeon_client.get(reverse("dashboard:patient", args=[pump.patient_id])).content.decode()
    assert "Flowonix Medical Prometra II" in html and "SN PII-77" in html
    assert "must be emptied of all drug before the MRI" in html and "FDA Safety Communication" in html
    assert "within 90 days: book the surgery" in html
    assert "Refill overdue: no refill recorded" in html
    assert "Jan 10, 2027" in html and surgeon.display_name in html


def test_the_pump_card_warns_of_a_short_fill_and_a_normal_one_has_no_warning(surgeon, surgeon_client):
    short = pump_for(surgeon, "Short fill", refill_in=0, alarm_date=TODAY + timedelta(days=4),
                     schedule_start_date=TODAY)
    normal = pump_for(surgeon, "Normal fill", refill_in=20, alarm_date=TODAY + timedelta(days=27),
                      schedule_start_date=TODAY)
    html = surgeon_client.get(reverse("dashboard:patient", args=[short.patient_id])).content.decode()
    assert "data-refill-warning" in html and "the next refill is due now, before 2027-03-05" in html
    html = surgeon_client.get(reverse("dashboard:patient", args=[normal.patient_id])).content.decode()
    assert "data-refill-warning" not in html


def test_the_patients_list_flags_a_battery_replacement_within_90_days(surgeon, surgeon_client):
    pump_for(surgeon, "Soon", battery_in=89)
    pump_for(surgeon, "Later", battery_in=200)
    html = surgeon_client.get(reverse("dashboard:patients")).content.decode()
    soon_row = html[html.index("Soon</a>"):html.index("</tr>", html.index("Soon</a>"))]
    later_row = html[html.index("Later</a>"):html.index("</tr>", html.index("Later</a>"))]
    assert "replace soon" in soon_row and "replace soon" not in later_row


def test_the_enrollment_form_refuses_a_baclofen_pump_without_refill_date(surgeon_client):
    import uuid

    form = {"display_name": "Nina", "surgery_date": "2027-02-20", "timezone": "Europe/London",
            "checkin_time": "08:30", "pump_kind": "programmable", "pump_drug": "baclofen", "next_refill_date": "",
            "battery_replacement_due": "", "submission_id": str(uuid.uuid4())}
    response = surgeon_client.post(reverse("dashboard:enroll"), form)
    assert response.status_code == 200 and "next_refill_date" in response.context["form"].errors
    past = surgeon_client.post(reverse("dashboard:enroll"), {**form, "next_refill_date": "2027-02-27"})
    assert "in the past" in " ".join(past.context["form"].errors["next_refill_date"])


def test_a_missed_refill_escalation_shows_in_the_inbox_without_a_report(surgeon, surgeon_client):
    from recovery.services.refill_safety_net import open_refill_escalation

    pump = pump_for(surgeon, "Missed Refill", refill_in=-1)
    escalation = open_refill_escalation(pump.patient, "urgent", "refill_overdue", NOW,
                                        due_date=pump.next_refill_date)
    html = surgeon_client.get(reverse("dashboard:inbox")).content.decode()
    assert "Missed Refill" in html and "Refill overdue" in html
    row = surgeon_client.get(reverse("dashboard:inbox-open")).content.decode()
    assert f'data-escalation="{escalation.pk}"' in row
