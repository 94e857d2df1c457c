"""The dashboard in a real browser: Playwright driving Debian's headless Chromium against live_server.

Screenshots of the inbox and a patient page go to .artifacts/screenshots/ (ignored by git), or to the
folder named by SCREENSHOT_DIR: `make screenshots` sets it to docs/screenshots/ (linked from README).
"""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from recovery.models import Escalation, Patient, TriageLevel
from tests.factories import CheckInFactory, EscalationFactory, PatientFactory, PumpFactory, SurgeonFactory
from tests.support import SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def surgeon(db):
    return SurgeonFactory(display_name="Dr. Rivera")


def test_a_new_emergency_appears_in_the_open_inbox_and_can_be_acknowledged(page, live_server, surgeon):
    log_in(page, live_server, surgeon)
    urgent = EscalationFactory(warning_report__patient__surgeon=surgeon,
                               warning_report__patient__display_name="Ben Ortiz", level=TriageLevel.URGENT,
                               reasons=["incision_redness", "incision_drainage"])
    earlier = EscalationFactory(warning_report__patient__surgeon=surgeon,
                                warning_report__patient__display_name="Carl Baker", level=TriageLevel.URGENT,
                                reasons=["fever"], acknowledged_by=surgeon.user,
                                acknowledged_at=timezone.now() - timedelta(hours=2))
    Escalation.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(hours=3))
    page.reload()
    assert page.locator(f'tr[data-escalation="{urgent.pk}"]').is_visible()

    emergency = EscalationFactory(warning_report__patient__surgeon=surgeon,
                                  warning_report__patient__display_name="Ada Lovelace",
                                  reasons=["difficulty_breathing", "overdose_signs"])
    page.evaluate("window.dashboardRefreshInbox()")  # the 15 s poll, called now rather than waited for
    row = page.locator(f'tr[data-escalation="{emergency.pk}"]')
    row.wait_for()
    assert "Trouble breathing" in row.inner_text()
    first_row = page.locator("#inbox-open tbody tr").first
    assert first_row.get_attribute("data-escalation") == str(emergency.pk)  # emergency above urgent
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inbox.png"), full_page=True)

    assert "passes on in" in row.inner_text()  # the time left before pass-on
    row.get_by_label("Acknowledgement note").fill("Calling her now")
    row.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    row = page.locator(f'#inbox-open tr[data-escalation="{emergency.pk}"]')  # 1.1: still open until resolved
    assert "Calling her now" in row.inner_text() and "Acknowledged" in row.inner_text()
    assert Escalation.objects.get(pk=emergency.pk).acknowledged_by == surgeon.user

    row.get_by_label("Outcome").select_option("advised_emergency_care")
    row.get_by_label("Resolution note").fill("Ambulance on its way")
    row.get_by_role("button", name="Resolve").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.locator(f'#inbox-open tr[data-escalation="{emergency.pk}"]').count() == 0
    history = page.locator("table.history").inner_text()
    assert "Ada Lovelace" in history and "Advised emergency care" in history and "Ambulance on its way" in history
    assert Escalation.objects.get(pk=emergency.pk).outcome == "advised_emergency_care"


def test_enrolling_a_patient_shows_the_activation_code(page, live_server, surgeon):
    log_in(page, live_server, surgeon)
    page.click("text=Enroll a patient")
    page.fill("input[name=display_name]", "Nina Newcomer")
    page.fill("input[name=surgery_date]", timezone.now().date().isoformat())
    page.select_option("select[name=timezone]", "America/Chicago")
    page.select_option("select[name=pump_drug]", "baclofen")
    page.fill("input[name=next_refill_date]", (timezone.now().date() + timedelta(days=60)).isoformat())
    page.click("text=Enroll and get activation code")
    code = page.locator("#activation-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code)
    assert Patient.objects.get(display_name="Nina Newcomer").timezone == "America/Chicago"


def test_a_patient_page_shows_the_three_trend_plots(page, live_server, surgeon):
    patient = PatientFactory(enrolled=True, surgeon=surgeon, display_name="Grace Hopper", timezone="America/Denver",
                             surgery_date=timezone.now().date() - timedelta(days=12))
    for day in range(1, 12):
        CheckInFactory(patient=patient, local_date=patient.surgery_date + timedelta(days=day),
                       pain_score=max(2, 8 - day // 2), temperature=f"{99.8 - day * 0.1:.1f}",
                       binder_hours=str(min(22, 14 + day)))
    patient.milestones.filter(key="discharge").update(completed_at=timezone.now() - timedelta(days=11))
    EscalationFactory(warning_report__patient=patient, warning_report__symptoms=["incision_swelling"],
                      level=TriageLevel.URGENT, reasons=["incision_swelling"])
    log_in(page, live_server, surgeon)
    page.goto(f"{live_server.url}/dashboard/patients/{patient.pk}/")
    for chart in ("pain", "temperature", "binder"):
        assert page.locator(f'figure[data-chart="{chart}"] svg circle.point').count() == 11
    assert page.locator("text=Discharged home").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "patient.png"), full_page=True)


def test_another_surgeons_patient_is_not_found(page, live_server, surgeon):
    stranger = PatientFactory(display_name="Not Yours")
    log_in(page, live_server, surgeon)
    response = page.goto(f"{live_server.url}/dashboard/patients/{stranger.pk}/")
    assert response.status == 404
    assert "Not Yours" not in page.content()


def test_sorting_the_patients_list_submits_on_change_under_the_csp(page, live_server, surgeon):
    for name in ("Zoe Young", "Abe Ames"):
        patient = PatientFactory(surgeon=surgeon, display_name=name)
        PumpFactory(patient=patient)
    log_in(page, live_server, surgeon)
    page.goto(f"{live_server.url}/dashboard/patients/")

    with page.expect_navigation():
        page.select_option("select[name=sort]", "recovery_day")  # page.js, not an inline onchange

    assert "sort=recovery_day" in page.url
