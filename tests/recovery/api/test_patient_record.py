"""The API's patient detail and the dashboard's patient page show one record (selectors.patient_record_for):
the same recent items, in the same order."""
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recovery.models import TriageLevel
from recovery.selectors import RECENT_ITEMS
from tests.factories import (
    CheckInFactory,
    EscalationFactory,
    IncisionCheckFactory,
    PatientFactory,
    WarningReportFactory,
)

pytestmark = pytest.mark.django_db


def test_api_and_dashboard_show_the_same_recent_items_in_the_same_order(surgeon_client, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    for day in range(RECENT_ITEMS + 5):
        CheckInFactory(patient=patient, local_date=patient.surgery_date + timedelta(days=day))
        IncisionCheckFactory(patient=patient)
        WarningReportFactory(patient=patient)
    levels = [TriageLevel.URGENT, TriageLevel.EMERGENCY]
    for n in range(RECENT_ITEMS + 3):
        EscalationFactory(warning_report__patient=patient, level=levels[n % 2],  # 1.1: one open case at most
                          acknowledged_at=timezone.now() if n % 3 == 0 else None,
                          resolved_at=None if n == 1 else timezone.now())
    dashboard = Client()
    dashboard.force_login(surgeon.user)

    api = surgeon_client.get(f"/api/v1/surgeon/patients/{patient.pk}/").json()
    page = dashboard.get(reverse("dashboard:patient", args=[patient.pk])).context

    for api_key, page_key in (("recent_checkins", "checkins"), ("recent_incision_checks", "incision_checks"),
                              ("recent_warning_reports", "warning_reports"), ("escalations", "escalations")):
        api_ids = [item["id"] for item in api[api_key]]
        assert len(api_ids) == RECENT_ITEMS, api_key
        assert api_ids == [item.pk for item in page[page_key]], api_key
    open_first = [e["acknowledged_at"] is None for e in api["escalations"]]
    assert open_first == sorted(open_first, reverse=True)
