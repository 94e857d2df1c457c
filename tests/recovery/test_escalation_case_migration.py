"""The data migration that turns 1.0 escalations into 1.1 cases (recovery/migrations/0008): acknowledged
ones become resolved cases, several unacknowledged ones of a patient become one open case with all of
their reports, and every escalation's report is the first report of its case."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.support import migrate

BEFORE = [("recovery", "0006_patient_country")]
AFTER = [("recovery", "0009_one_open_escalation_case_per_patient")]

# Later migrations than AFTER exist: the tests that follow get the latest schema back.
pytestmark = pytest.mark.usefixtures("back_to_the_latest_schema")


@pytest.mark.django_db(transaction=True)
def test_legacy_escalations_become_cases():
    apps = migrate(BEFORE)
    User = apps.get_model("recovery", "User")
    Surgeon = apps.get_model("recovery", "Surgeon")
    Patient = apps.get_model("recovery", "Patient")
    WarningReport = apps.get_model("recovery", "WarningReport")
    Escalation = apps.get_model("recovery", "Escalation")
    PatientMessage = apps.get_model("recovery", "PatientMessage")
    now = timezone.now()
    surgeon = Surgeon.objects.create(user=User.objects.create(username="dr.legacy", role="surgeon"),
                                     display_name="Dr L")
    ada = Patient.objects.create(surgeon=surgeon, display_name="Ada", surgery_date=date(2026, 1, 1), timezone="UTC")
    ben = Patient.objects.create(surgeon=surgeon, display_name="Ben", surgery_date=date(2026, 1, 1), timezone="UTC")

    def escalation(patient, level, minutes_ago, acknowledged=False):
        report = WarningReport.objects.create(
            patient=patient, client_id=f"00000000-0000-0000-0000-{minutes_ago:012d}", local_date=date(2026, 1, 2),
            created_at=now - timedelta(minutes=minutes_ago), symptoms=["fever"], triage_level=level,
        )
        return Escalation.objects.create(
            patient=patient, level=level, reasons=[f"r{minutes_ago}"], warning_report=report,
            assigned_surgeon=surgeon, created_at=report.created_at, ack_due_at=now,
            acknowledged_at=now if acknowledged else None, acknowledged_by=surgeon.user if acknowledged else None,
        )

    oldest = escalation(ada, "urgent", 30)
    later = escalation(ada, "emergency", 20)
    PatientMessage.objects.create(patient=ada, kind="triage_advice", title="t", body="b", escalation=later)
    done = escalation(ada, "urgent", 40, acknowledged=True)
    single = escalation(ben, "urgent", 10)

    apps = migrate(AFTER)
    Escalation = apps.get_model("recovery", "Escalation")
    PatientMessage = apps.get_model("recovery", "PatientMessage")

    open_ada = Escalation.objects.get(patient_id=ada.pk, resolved_at__isnull=True)
    assert open_ada.pk == oldest.pk and open_ada.level == "emergency"
    assert set(open_ada.reasons) == {"r30", "r20"}
    assert sorted(open_ada.case_reports.values_list("warning_report_id", flat=True)) == sorted(
        [oldest.warning_report_id, later.warning_report_id])
    assert not Escalation.objects.filter(pk=later.pk).exists()
    assert PatientMessage.objects.get().escalation_id == oldest.pk
    resolved = Escalation.objects.get(pk=done.pk)
    assert resolved.resolved_at == resolved.acknowledged_at and resolved.resolved_by_id == surgeon.user_id
    assert resolved.outcome == "" and resolved.case_reports.count() == 1
    assert Escalation.objects.get(pk=single.pk).case_reports.count() == 1
