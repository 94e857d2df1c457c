"""Escalation cases (shared/API.md 1.1): one open case per patient that later reports join; the level
only rises and a rise re-alerts; a report joining an acknowledged case tells the acknowledger once;
resolve closes the case and the next report opens a new one. The phone always sees its own report's
triage. Reports go through the phone API, pushes are counted as outbox rows."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Notification
from recovery import triage
from recovery.models import AuditEvent, Escalation, EscalationReport, TriageLevel, WarningReport
from recovery.services import escalations
from tests.factories import (
    DeviceFactory,
    EscalationFactory,
    NurseFactory,
    PatientFactory,
    SurgeonFactory,
    WarningReportFactory,
)
from tests.support import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(db):
    patient = PatientFactory(enrolled=True, timezone="Europe/London")
    DeviceFactory(user=patient.user)
    DeviceFactory(user=patient.surgeon.user)
    return patient


@pytest.fixture
def phone(patient):
    return bearer(APIClient(), patient.user)


def report(phone, *symptoms, note=""):
    response = phone.post("/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": list(symptoms),
                                                       "note": note}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def pushes_to(user, kind="escalation"):
    return Notification.objects.filter(recipient=user, kind=kind).count()


def test_three_urgent_reports_make_one_case_with_three_reports_and_one_push(patient, phone):
    answers = [report(phone, "fever"), report(phone, "fever"), report(phone, "fever", note="still hot")]

    case = Escalation.objects.get()
    assert case.level == "urgent" and case.case_reports.count() == 3
    assert [r.warning_report_id for r in case.case_reports.all()] == [a["id"] for a in answers]
    assert pushes_to(patient.surgeon.user) == 1
    assert pushes_to(patient.user, "triage_advice") == 1
    assert all(a["triage"]["level"] == "urgent" for a in answers)


def test_an_emergency_joining_an_urgent_case_raises_it_and_pushes_again_with_the_emergency_deadline(patient, phone):
    first = report(phone, "incision_redness")
    opened = Escalation.objects.get()
    before = timezone.now()
    second = report(phone, "chest_pain")

    case = Escalation.objects.get()
    assert case.pk == opened.pk and case.level == "emergency"
    assert case.reasons[0] == "chest_pain" and "incision_redness" in case.reasons
    assert before + settings.ESCALATION_ACK_DEADLINES["emergency"] <= case.ack_due_at
    assert case.ack_due_at < opened.ack_due_at  # 15 minutes, not the urgent two hours
    assert pushes_to(patient.surgeon.user) == 2
    # each report keeps its own triage, as the phone got it
    assert (first["triage"]["level"], second["triage"]["level"]) == ("urgent", "emergency")
    stored = {r.pk: r.triage_level for r in WarningReport.objects.all()}
    assert stored == {first["id"]: "urgent", second["id"]: "emergency"}
    assert second["triage"]["advice"].startswith("Call 999 now.")  # London


def test_a_less_severe_report_never_lowers_the_case_and_pushes_nothing(patient, phone):
    report(phone, "difficulty_breathing")
    answer = report(phone, "limb_tingling")

    case = Escalation.objects.get()
    assert case.level == "emergency" and case.case_reports.count() == 2
    assert answer["triage"]["level"] == "urgent"
    assert pushes_to(patient.surgeon.user) == 1


def test_a_report_joining_an_acknowledged_case_tells_the_acknowledger_once(patient, phone):
    report(phone, "fever")
    nurse_like_colleague = SurgeonFactory()
    DeviceFactory(user=nurse_like_colleague.user)
    escalations.acknowledge_escalation(Escalation.objects.get(), nurse_like_colleague.user, note="Will call")

    report(phone, "fever")
    report(phone, "limb_pain")
    report(phone, "itching")

    updates = Notification.objects.filter(recipient=nurse_like_colleague.user, kind="escalation_updated")
    assert updates.count() == 1
    assert (updates.get().title, updates.get().data) == (
        "An alert you took has news", {"kind": "escalation_updated", "escalation_id": str(Escalation.objects.get().pk)})
    assert pushes_to(patient.surgeon.user) == 1  # the assigned surgeon is not flooded either


def test_a_rise_makes_the_case_unacknowledged_again_and_tells_the_acknowledger_too(patient, phone):
    report(phone, "fever")
    colleague = SurgeonFactory()
    DeviceFactory(user=colleague.user)
    escalations.acknowledge_escalation(Escalation.objects.get(), colleague.user)

    report(phone, "seizure")

    case = Escalation.objects.get()
    assert case.level == "emergency" and case.acknowledged_at is None
    assert pushes_to(colleague.user) == 1 and pushes_to(patient.surgeon.user) == 2


def test_after_resolve_the_next_report_opens_a_new_case(patient, phone):
    report(phone, "fever")
    first = Escalation.objects.get()
    escalations.resolve_escalation(first, patient.surgeon.user, outcome="called_patient", note="Fever settled")

    report(phone, "fever")

    second = Escalation.objects.exclude(pk=first.pk).get()
    first.refresh_from_db()
    assert first.resolved_at is not None and first.case_reports.count() == 1
    assert second.resolved_at is None and second.case_reports.count() == 1
    assert pushes_to(patient.surgeon.user) == 2


def test_resolve_acknowledges_an_unacknowledged_case(patient, phone):
    report(phone, "fever")
    case = Escalation.objects.get()
    escalations.resolve_escalation(case, patient.surgeon.user, outcome="advice_sent", note="first")

    case.refresh_from_db()
    assert (case.outcome, case.resolution_note, case.resolved_by) == ("advice_sent", "first", patient.surgeon.user)
    assert case.acknowledged_by == patient.surgeon.user and case.acknowledged_at == case.resolved_at


def test_a_second_resolution_by_someone_else_is_refused_and_the_first_is_kept(patient, phone):
    """It used to return as if it had worked, dropping the second clinician's outcome and note unsaid."""
    report(phone, "fever")
    case = Escalation.objects.get()
    escalations.resolve_escalation(case, patient.surgeon.user, outcome="advice_sent", note="first")
    stored = Escalation.objects.values().get(pk=case.pk)

    with pytest.raises(escalations.AlreadyResolved) as refused:
        escalations.resolve_escalation(case, SurgeonFactory().user, outcome="no_action_needed", note="second")

    assert Escalation.objects.values().get(pk=case.pk) == stored
    assert refused.value.case.resolved_by == patient.surgeon.user
    assert patient.surgeon.display_name in str(refused.value) and "not stored" in str(refused.value)


@pytest.mark.parametrize(("outcome", "note"), [("no_action_needed", "first"), ("advice_sent", "second"),
                                               ("advice_sent", "")])
def test_the_resolver_changing_outcome_or_note_is_refused_and_nothing_changes(patient, phone, outcome, note):
    report(phone, "fever")
    case = Escalation.objects.get()
    escalations.resolve_escalation(case, patient.surgeon.user, outcome="advice_sent", note="first")
    stored = Escalation.objects.values().get(pk=case.pk)

    with pytest.raises(escalations.AlreadyResolved):
        escalations.resolve_escalation(case, patient.surgeon.user, outcome=outcome, note=note)

    assert Escalation.objects.values().get(pk=case.pk) == stored


def test_the_same_resolution_retried_by_its_resolver_stores_nothing_new(patient, phone):
    report(phone, "fever")
    case = Escalation.objects.get()
    escalations.resolve_escalation(case, patient.surgeon.user, outcome="advice_sent", note="first")
    stored = Escalation.objects.values().get(pk=case.pk)

    again = escalations.resolve_escalation(case, patient.surgeon.user, outcome="advice_sent", note="  first ")

    assert Escalation.objects.values().get(pk=case.pk) == stored
    assert (again.outcome, again.resolution_note, again.resolved_at) == ("advice_sent", "first", stored["resolved_at"])


def test_a_case_the_refill_safety_net_closed_is_not_resolved_again_by_a_clinician(patient):
    case = escalations.raise_case(patient, TriageLevel.URGENT, ["refill_alarm_date"], timezone.now())
    assert escalations.resolve_raised_by_job(case, by=None, now=timezone.now(), note="Refill recorded.")

    with pytest.raises(escalations.AlreadyResolved) as refused:
        escalations.resolve_escalation(case, patient.surgeon.user, outcome="no_action_needed", note="Refill recorded.")

    assert "with no person named" in str(refused.value) and "No action needed" in str(refused.value)
    case.refresh_from_db()
    assert (case.resolved_by, case.resolution_note) == (None, "Refill recorded.")


def test_an_acknowledgement_for_open_cases_only_changes_nothing_on_a_resolved_case(patient, phone):
    """The dashboard's acknowledge and "Add a note" are drawn for open cases: checked under the case's lock, so a
    resolve that commits first is never followed by a note on the closed case or an acknowledgement audited."""
    report(phone, "fever")
    case = Escalation.objects.get()
    escalations.resolve_escalation(case, patient.surgeon.user, outcome="advice_sent", note="first")
    stored = Escalation.objects.values().get(pk=case.pk)
    nurse = NurseFactory(teams=[patient.surgeon])

    with pytest.raises(escalations.ResolvedBeforeAcknowledged) as refused:
        escalations.acknowledge_escalation(case, nurse.user, note="Called, no answer", open_only=True)

    assert Escalation.objects.values().get(pk=case.pk) == stored
    assert not case.acknowledgement_notes.exists()
    assert not AuditEvent.objects.filter(actor=nurse.user).exists()
    assert f"resolved by {patient.surgeon.display_name}" in str(refused.value) and "“first”" in str(refused.value)


def test_routine_reports_do_not_join_a_case(patient, phone):
    report(phone, "fever")
    phone.post("/api/v1/checkins/", {"client_id": str(uuid.uuid4()), "pain_score": 2}, format="json")
    assert Escalation.objects.get().case_reports.count() == 1


def test_the_database_refuses_a_second_open_case_for_a_patient(patient):
    EscalationFactory(warning_report__patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        EscalationFactory(warning_report__patient=patient)
    EscalationFactory(warning_report__patient=patient, resolved_at=timezone.now())  # resolved ones may pile up


def test_a_note_only_report_joins_with_the_patients_words(patient, phone):
    report(phone, "limb_weakness")
    report(phone, note="I can't breathe properly and I'm so sleepy")
    case_reports = list(EscalationReport.objects.filter(escalation=Escalation.objects.get()))
    assert [r.report.note for r in case_reports] == ["", "I can't breathe properly and I'm so sleepy"]
    # the note's words are triaged too (recovery.note_signs), and a person still reads it
    assert case_reports[1].report.triage_reasons == ["difficulty_breathing", "patient_note"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_of_one_patient_make_one_open_case(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test)")
    patient = PatientFactory(enrolled=True)
    threads_count = 4
    barrier = threading.Barrier(threads_count, timeout=20)
    original = triage.triage

    def triage_then_wait(*args, **kwargs):  # every thread has triaged before any stores its report
        result = original(*args, **kwargs)
        barrier.wait()
        return result

    monkeypatch.setattr(triage, "triage", triage_then_wait)
    statuses: list = [None] * threads_count

    def post(i: int) -> None:
        try:
            statuses[i] = bearer(APIClient(), patient.user).post("/api/v1/warning-reports/", {
                "client_id": str(uuid.uuid4()), "symptoms": ["fever" if i % 2 else "difficulty_breathing"]},
                format="json").status_code
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            statuses[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [201] * threads_count
    case = Escalation.objects.get()
    assert case.level == TriageLevel.EMERGENCY and case.case_reports.count() == threads_count
    assert case.ack_due_at - case.updated_at <= settings.ESCALATION_ACK_DEADLINES["emergency"] + timedelta(seconds=1)


@pytest.mark.django_db(transaction=True)
def test_a_report_joining_while_a_resolve_waits_for_the_case_is_counted_against_reports_seen():
    """The count of reports is taken under the case's row lock, the lock a joining report holds until it
    commits: a resolve that arrives meanwhile waits, then sees the new report and closes nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test)")
    patient = PatientFactory(enrolled=True)
    case = EscalationFactory(warning_report__patient=patient, level=TriageLevel.URGENT, reasons=["incision_redness"])
    joined, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def join_an_emergency() -> None:
        try:
            with transaction.atomic():
                record = WarningReportFactory(patient=patient, symptoms=["limb_weakness", "fever"],
                                              triage_level=TriageLevel.EMERGENCY, triage_reasons=["fever"])
                escalations.raise_case(patient, TriageLevel.EMERGENCY, ["fever"], timezone.now(), record=record)
                joined.set()
                release.wait(timeout=20)  # the case row stays locked until the resolve is waiting for it
        finally:
            connection.close()

    def resolve_having_seen_one() -> None:
        try:
            escalations.resolve_escalation(case, patient.surgeon.user, outcome="no_action_needed", reports_seen=1)
            outcome["resolve"] = "resolved"
        except escalations.CaseChangedSinceSeen as exc:
            outcome["resolve"] = exc
        finally:
            connection.close()

    report_thread = threading.Thread(target=join_an_emergency)
    report_thread.start()
    assert joined.wait(timeout=20)
    resolve_thread = threading.Thread(target=resolve_having_seen_one)
    resolve_thread.start()
    with connection.cursor() as cursor:  # wait until the resolve is blocked on the case's row lock
        for _ in range(200):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.05)
    release.set()
    report_thread.join(timeout=30)
    resolve_thread.join(timeout=30)

    assert isinstance(outcome["resolve"], escalations.CaseChangedSinceSeen)
    case.refresh_from_db()
    assert (case.level, case.resolved_at, case.case_reports.count()) == (TriageLevel.EMERGENCY, None, 2)


def test_a_periodic_job_raises_the_open_case_without_a_report_and_a_report_joins_it(patient, phone):
    from recovery.services.escalations import raise_case, resolve_raised_by_job

    with transaction.atomic():
        job_case = raise_case(patient, "urgent", ["refill_overdue"], timezone.now())
    answer = report(phone, "withdrawal_signs")

    case = Escalation.objects.get()
    assert case.pk == job_case.pk and case.level == "emergency" and case.case_reports.count() == 1
    assert case.reasons == ["withdrawal_signs", "refill_overdue"]
    assert answer["triage"]["level"] == "emergency"
    # the refill is recorded later: the case holds a phone report, so it waits for a clinician
    assert resolve_raised_by_job(case, by=None, now=timezone.now(), note="refilled") is False
    assert Escalation.objects.get().resolved_at is None
