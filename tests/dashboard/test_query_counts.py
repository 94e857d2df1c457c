"""Each dashboard page runs the same number of SQL queries for 1 row as for 50."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recovery.services import audit
from tests.factories import (
    AcknowledgementNoteFactory,
    CheckInFactory,
    EscalationFactory,
    EscalationReportFactory,
    IncisionCheckFactory,
    NurseFactory,
    PatientFactory,
    PumpFactory,
    SurgeonFactory,
)

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def patients_with_escalations(surgeon, count):
    """Each patient has a pump, a check-in, an open case of two reports and two notes by a nurse and a resolved
    one (inbox history)."""
    for _ in range(count):
        pump = PumpFactory(patient__surgeon=surgeon)
        case = EscalationFactory(warning_report__patient=pump.patient, acknowledged_at=timezone.now(),
                                 acknowledged_by=surgeon.user)
        EscalationReportFactory(escalation=case)
        AcknowledgementNoteFactory.create_batch(2, escalation=case, author=NurseFactory(teams=[surgeon]).user)
        EscalationFactory(warning_report__patient=pump.patient, acknowledged_at=timezone.now(),
                          acknowledged_by=surgeon.user, resolved_at=timezone.now(), resolved_by=surgeon.user,
                          outcome="advice_sent")
        CheckInFactory(patient=pump.patient)


@pytest.mark.parametrize("url_name", ["dashboard:inbox", "dashboard:inbox-open", "dashboard:patients"])
def test_list_pages_cost_the_same_for_1_and_50_patients(surgeon, surgeon_client, url_name):
    patients_with_escalations(surgeon, 1)
    with_one = queries(surgeon_client, reverse(url_name))
    patients_with_escalations(surgeon, 49)
    assert queries(surgeon_client, reverse(url_name)) == with_one


def test_patient_page_costs_the_same_for_1_and_50_check_ins(surgeon, surgeon_client):
    patient = PatientFactory(enrolled=True, surgeon=surgeon,
                             surgery_date=PatientFactory.build().surgery_date - timedelta(days=60))

    def add_records(n, start):
        for day in range(start, start + n):
            CheckInFactory(patient=patient, local_date=patient.surgery_date + timedelta(days=day), binder_hours="12")
            IncisionCheckFactory(patient=patient)
            EscalationFactory(warning_report__patient=patient, resolved_at=timezone.now())  # 1.1: one open case
            audit.record(actor=SurgeonFactory().user, action="view", patient=patient)  # a colleague's look

    add_records(1, 0)
    url = reverse("dashboard:patient", args=[patient.pk])
    with_one = queries(surgeon_client, url)
    add_records(49, 1)
    assert queries(surgeon_client, url) == with_one
