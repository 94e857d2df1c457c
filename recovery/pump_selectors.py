"""Reads of the pump over its life for the care team: the refill and battery worklist, refill history."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from recovery import access
from recovery.models import Pump, PumpRefill, RefillAlert
from recovery.services.pumps import BATTERY_NOTICE_DAYS

REFILL_NOTICE_DAYS = 14  # the worklist shows refills due within this many days of the patient's today

# Sort keys of the worklist and the SQL ordering each means.
WORKLIST_SORTS: dict[str, tuple] = {
    "next_refill": (F("next_refill_date").asc(nulls_last=True), "patient__display_name", "id"),
    "alarm": (F("alarm_date").asc(nulls_last=True), "patient__display_name", "id"),
    "battery": (F("battery_replacement_due").asc(nulls_last=True), "patient__display_name", "id"),
    "name": ("patient__display_name", "id"),
}


@dataclass(frozen=True)
class WorklistRow:
    pump: Pump
    today: date  # the patient's local today
    refill_overdue: bool
    refill_due_soon: bool
    battery_soon: bool

    @property
    def days_to_refill(self) -> int | None:
        return None if self.pump.next_refill_date is None else (self.pump.next_refill_date - self.today).days

    @property
    def days_to_battery(self) -> int | None:
        due = self.pump.battery_replacement_due
        return None if due is None else (due - self.today).days


def worklist_for(member: access.CareTeamMember, *, sort: str = "next_refill") -> list[WorklistRow]:
    """Pumps of the care-team member's patients with a refill overdue or due within 14 days, or a battery
    replacement due within 90 days, each judged on the patient's own today. Two queries for any size."""
    utc_today = timezone.now().date()
    # One day of slack either side of UTC covers every zone; each row is then judged in its own zone.
    window = (Q(next_refill_date__lte=utc_today + timedelta(days=REFILL_NOTICE_DAYS + 1))
              | Q(battery_replacement_due__lte=utc_today + timedelta(days=BATTERY_NOTICE_DAYS + 1)))
    pumps = (
        Pump.objects.filter(window, patient__in=access.care_team_patients(member))
        .select_related("patient")
        .order_by(*WORKLIST_SORTS.get(sort, WORKLIST_SORTS["next_refill"]))
    )
    rows = []
    for pump in pumps:
        today = pump.patient.local_date()
        refill = pump.next_refill_date
        row = WorklistRow(
            pump=pump, today=today,
            refill_overdue=refill is not None and refill < today,
            refill_due_soon=refill is not None and today <= refill <= today + timedelta(days=REFILL_NOTICE_DAYS),
            battery_soon=(pump.battery_replacement_due is not None
                          and pump.battery_replacement_due <= today + timedelta(days=BATTERY_NOTICE_DAYS)),
        )
        if row.refill_overdue or row.refill_due_soon or row.battery_soon:
            rows.append(row)
    return rows


def refill_history(pump: Pump) -> QuerySet[PumpRefill]:
    """The pump's refills, newest first, with who recorded them."""
    return pump.refills.select_related("recorded_by__surgeon").order_by("-refill_date", "-created_at", "-id")


def open_refill_alerts(pump: Pump) -> QuerySet[RefillAlert]:
    return pump.refill_alerts.filter(closed_at__isnull=True).order_by("-created_at")
