"""Refill alerts on PostgreSQL, committed (transaction=True): two safety-net runs at once (beat's and a
`run_periodic_jobs --at` by hand) raise a missed stage once, also beside an earlier cycle's closed alert of the
same date and stage; and the migration to one open alert per stage keeps every row and what it meant.

In the race each run has its own thread and connection; a barrier holds both until each has chosen the pump
as a candidate, so both try to raise the same stage."""
from __future__ import annotations

from datetime import date, time

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Device, Notification
from recovery.models import Escalation, RefillAlert
from recovery.services import refill_safety_net
from tests.factories import RefillAlertFactory
from tests.recovery.api.test_concurrency import hold_until_both_arrive, in_two_threads
from tests.recovery.test_periodic_jobs import NEXT_REFILL, local, pump_in_la

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test)")


def test_two_runs_at_once_raise_a_missed_stage_once_beside_an_earlier_cycles_closed_alert(monkeypatch):
    pump = pump_in_la()
    # No phones: the committed pushes would leave delivery tasks in the suite's Redis for a later worker test.
    Device.objects.all().delete()
    earlier = RefillAlertFactory(pump=pump, due_date=NEXT_REFILL, closed_at=timezone.now())
    hold_until_both_arrive(monkeypatch, refill_safety_net, "_raise_stage")
    at = local(date(2027, 2, 12), time(8, 0))

    results = in_two_threads(lambda i: refill_safety_net.run_refill_safety_net(now=at))

    assert sorted(result["refill_overdue"] for result in results) == [0, 1], results
    open_alert = RefillAlert.objects.get(closed_at__isnull=True)
    assert (open_alert.due_date, open_alert.stage) == (NEXT_REFILL, "refill_overdue")
    assert RefillAlert.objects.filter(pk=earlier.pk, closed_at__isnull=False).exists()
    assert Escalation.objects.get().pk == open_alert.escalation_id
    assert not Notification.objects.exists()  # nothing was queued for delivery


def refill_alert_constraints() -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, RefillAlert._meta.db_table)
    return {name for name, c in found.items() if c["unique"] and c["columns"] == ["pump_id", "due_date", "stage"]}


@pytest.mark.usefixtures("back_to_the_latest_schema")
def test_the_migration_to_open_alerts_only_keeps_every_row_and_what_it_means():
    """Rows written under the old constraint: the open one still counts as raised, the closed one is history."""
    from django.db import IntegrityError, transaction

    from tests.support import migrate

    migrate([("recovery", "0018_audit_patient_kept")])
    assert refill_alert_constraints() == {"one_refill_alert_per_stage"}
    closed = RefillAlertFactory(closed_at=timezone.now())
    still_open = RefillAlertFactory(pump=closed.pump, stage="refill_alarm_date")
    before = list(RefillAlert.objects.order_by("id").values())

    migrate([("recovery", "0019_one_open_refill_alert_per_stage")])

    assert refill_alert_constraints() == {"one_open_refill_alert_per_stage"}
    assert list(RefillAlert.objects.order_by("id").values()) == before
    with pytest.raises(IntegrityError), transaction.atomic():
        RefillAlertFactory(pump=still_open.pump, due_date=still_open.due_date, stage=still_open.stage)
    RefillAlertFactory(pump=closed.pump, due_date=closed.due_date, stage=closed.stage)  # a new cycle's


@pytest.mark.usefixtures("back_to_the_latest_schema")
def test_going_back_from_the_migration_is_refused_once_a_cycle_was_raised_again_on_a_date_raised_before():
    """The old constraint would need one alert per (pump, due date, stage) over all rows: going back would have to
    delete a cycle's history, so it stops with a clear error and every row is kept."""
    from django.db.migrations.exceptions import IrreversibleError

    from tests.support import migrate

    closed = RefillAlertFactory(closed_at=timezone.now())
    RefillAlertFactory(pump=closed.pump, due_date=closed.due_date, stage=closed.stage)  # raised again
    before = list(RefillAlert.objects.order_by("id").values())

    with pytest.raises(IrreversibleError, match="would need to delete alert history"):
        migrate([("recovery", "0018_audit_patient_kept")])

    assert refill_alert_constraints() == {"one_open_refill_alert_per_stage"}
    assert list(RefillAlert.objects.order_by("id").values()) == before
