"""The care team in a real browser (Playwright, Debian's headless Chromium) at desktop and phone widths:
a nurse works the team inbox, answers a patient, resolves the case with an outcome; the patient's app sees the
answer and gets a push; an ended session shows a "signed out" notice; the patient page prints clean.

Screenshots go where tests/dashboard/test_browser.py writes them (SCREENSHOT_DIR, see `make screenshots`).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from notifications.models import Notification
from recovery.models import Escalation, TriageLevel
from recovery.services import escalations, messages, pumps
from tests.factories import (
    PASSWORD,
    CheckInFactory,
    DeviceFactory,
    EscalationFactory,
    IncisionCheckFactory,
    NurseFactory,
    PatientFactory,
    SurgeonFactory,
)
from tests.support import SCREENSHOTS, bearer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=sorted(VIEWPORTS))
def sized_page(request: Any, browser: Any) -> Iterator[Any]:
    """A page at desktop or phone width; any Content-Security-Policy violation fails the test."""
    context = browser.new_context(viewport=VIEWPORTS[request.param], is_mobile=request.param == "phone",
                                  has_touch=request.param == "phone")
    page = context.new_page()
    page.width_name = request.param
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert violations == []


@pytest.fixture
def clinic(db):
    surgeon = SurgeonFactory(display_name="Dr. Rivera")
    nurse = NurseFactory(teams=[surgeon], display_name="Nurse Noor")
    patient = PatientFactory(enrolled=True, surgeon=surgeon, display_name="Ben Ortiz", timezone="America/Chicago",
                             phone="+13125550142", emergency_contact_name="Rosa Ortiz",
                             emergency_contact_phone="+13125550199", preferred_contact_time="after 5 pm")
    return surgeon, nurse, patient


def log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/dashboard/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")


def no_horizontal_scroll(page) -> bool:
    """The page is no wider than the screen. Compared with the viewport's own width, not window.innerWidth: a
    phone context (is_mobile) widens the layout viewport to fit content, so innerWidth grows with the page."""
    return page.evaluate("width => document.documentElement.scrollWidth <= width", page.viewport_size["width"])


def test_a_nurse_answers_a_patient_and_resolves_the_case_from_the_team_inbox(sized_page, live_server, clinic):
    page = sized_page
    _, nurse, patient = clinic
    patient_device = DeviceFactory(user=patient.user, platform="android")
    escalation = EscalationFactory(warning_report__patient=patient, level=TriageLevel.URGENT,
                                   warning_report__symptoms=["incision_redness"], reasons=["incision_redness"])
    messages.send_patient_message(patient, client_id=uuid.uuid4(), body="Is some redness around the stitches normal?")

    log_in(page, live_server, nurse.user)
    row = page.locator(f'tr[data-escalation="{escalation.pk}"]')
    assert row.is_visible()
    assert row.locator('a[href="tel:+13125550142"]').is_visible()
    waiting = page.locator(f'li[data-thread="{patient.pk}"]')
    assert "Is some redness around the stitches normal?" in waiting.inner_text()
    acknowledge = row.get_by_role("button", name="Acknowledge")
    box = acknowledge.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS[page.width_name]["width"]
    assert no_horizontal_scroll(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"care-team-inbox-{page.width_name}.png"), full_page=True)

    waiting.get_by_role("link", name="Ben Ortiz").click()
    page.wait_for_url(f"{live_server.url}/dashboard/patients/{patient.pk}/#messages")
    assert no_horizontal_scroll(page)
    page.fill("textarea[name=body]", "Some redness is normal. Please send an incision check with a photo today.")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url(f"{live_server.url}/dashboard/patients/{patient.pk}/#messages")
    assert "Please send an incision check" in page.locator("#messages .thread").inner_text()
    page.screenshot(path=str(SCREENSHOTS / f"care-team-patient-{page.width_name}.png"), full_page=True)

    thread = bearer(APIClient(), patient.user).get("/api/v1/messages/").json()["results"]
    assert thread[0]["sender"] == "care_team" and "incision check with a photo" in thread[0]["body"]
    assert thread[0]["sender_name"] == "Nurse Noor"
    assert Notification.objects.filter(device=patient_device, kind="care_team_message").exists()

    page.goto(f"{live_server.url}/dashboard/")
    assert page.locator(f'li[data-thread="{patient.pk}"]').count() == 0  # answered: no longer waiting
    row = page.locator(f'tr[data-escalation="{escalation.pk}"]')
    row.get_by_label("Outcome").select_option("advice_sent")
    row.get_by_label("Resolution note").fill("Asked for an incision check with a photo.")
    resolve = row.get_by_role("button", name="Resolve")
    box = resolve.bounding_box()
    assert box is not None and box["x"] + box["width"] <= VIEWPORTS[page.width_name]["width"]
    resolve.click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.locator(f'#inbox-open tr[data-escalation="{escalation.pk}"]').count() == 0
    history = page.locator("table.history").inner_text()
    assert "by Nurse Noor" in history and "Asked for an incision check" in history
    case = Escalation.objects.get(pk=escalation.pk)
    assert (case.resolved_by, case.outcome) == (nurse.user, "advice_sent")
    assert case.acknowledged_by == nurse.user  # resolving acknowledges a case nobody had


def add_a_note(page, case, text: str, lands_on: str) -> list[str]:
    """Add `text` with the "Add a note" form of `case` (a row of the page), its button within the screen: the
    case's notes ("text — author") on the page the form comes back to."""
    add = case.get_by_role("button", name="Add a note")
    box = add.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS[page.width_name]["width"]
    case.get_by_label("Note to add").fill(text)
    add.click()
    page.wait_for_url(lands_on)
    assert no_horizontal_scroll(page)
    return [note.rsplit(", ", 1)[0] for note in case.locator(".staff-note").all_inner_texts()]  # without the age


def test_a_nurse_adds_a_note_to_a_case_someone_already_acknowledged(sized_page, live_server, clinic):
    """On the inbox and on the patient page, at desktop and phone widths: the note is kept after the earlier ones
    and shown with its author once the page comes back."""
    page = sized_page
    surgeon, nurse, patient = clinic
    escalation = EscalationFactory(warning_report__patient=patient, level=TriageLevel.URGENT,
                                   warning_report__symptoms=["incision_redness"], reasons=["incision_redness"])
    escalations.acknowledge_escalation(escalation, surgeon.user, note="Left a voicemail")

    log_in(page, live_server, nurse.user)
    row = page.locator(f'#inbox-open tr[data-escalation="{escalation.pk}"]')
    assert row.get_by_role("button", name="Acknowledge").count() == 0
    notes = add_a_note(page, row, "Called again, no answer", f"{live_server.url}/dashboard/#case-{escalation.pk}")
    assert notes == ["Left a voicemail — Dr. Rivera", "Called again, no answer — Nurse Noor"]

    patient_page = f"{live_server.url}/dashboard/patients/{patient.pk}/"
    page.goto(patient_page)
    notes = add_a_note(page, page.locator(f"#case-{escalation.pk}"), "Patient called back: redness smaller",
                       f"{patient_page}#case-{escalation.pk}")
    assert notes[2:] == ["Patient called back: redness smaller — Nurse Noor"]
    assert list(escalation.acknowledgement_notes.values_list("author", flat=True)) == [
        surgeon.user.pk, nurse.user.pk, nurse.user.pk]


def test_an_ended_session_shows_a_signed_out_notice_within_one_refresh(sized_page, live_server, clinic):
    page = sized_page
    _, nurse, patient = clinic
    log_in(page, live_server, nurse.user)
    assert page.locator("#signed-out").is_hidden()
    other_tab = page.context.new_page()  # same browser session, as a second tab
    other_tab.goto(f"{live_server.url}/dashboard/patients/")
    other_tab.get_by_role("button", name="Log out").click()
    other_tab.wait_for_url(f"{live_server.url}/dashboard/login/**")  # the log-out has landed before the tab goes
    other_tab.close()
    EscalationFactory(warning_report__patient=patient)  # something new the stale page would miss
    page.evaluate("window.dashboardRefreshInbox()")  # the next 15 s poll
    notice = page.locator("#signed-out")
    notice.wait_for(state="visible")
    assert "signed out" in notice.inner_text()
    assert "signed out" in page.locator("#inbox-refreshed").inner_text()


def test_the_patient_page_prints_without_buttons_forms_or_the_audit_table(page, live_server, clinic):
    surgeon, _, patient = clinic
    log_in(page, live_server, surgeon.user)
    page.goto(f"{live_server.url}/dashboard/patients/{patient.pk}/")
    assert page.locator(".audit-log").is_visible() and page.get_by_role("button", name="Send reply").is_visible()
    page.emulate_media(media="print")
    assert page.locator(".audit-log").is_hidden()
    assert page.locator(".topbar").is_hidden()
    assert all(not button.is_visible() for button in page.locator("button").all())
    assert page.locator("text=Recovery timeline").is_visible()


def test_no_dashboard_page_scrolls_sideways(sized_page, live_server, clinic):
    """Every page with a table (inbox with its history, patients, a patient with a refilled pump and reports,
    the pump worklist) and the forms fit the screen: a phone shows each table row as a card."""
    page = sized_page
    surgeon, _, patient = clinic
    patient.pump.delete()
    today = patient.local_date()
    patient.surgery_date = today - timedelta(days=60)
    patient.save(update_fields=["surgery_date"])
    pumps.create_pump(patient, {
        "kind": "programmable", "drug": "baclofen", "model": "synchromed_ii", "serial_number": "NGP-204117",
        "reservoir_volume_ml": Decimal("20"), "refill": {
            "refill_date": today - timedelta(days=40), "volume_ml": Decimal("20"), "concentration": Decimal("500"),
            "concentration_unit": "mcg/mL", "daily_dose": Decimal("200"), "dose_unit": "mcg/day"}}, by=surgeon.user)
    CheckInFactory(patient=patient, pain_score=6, temperature=Decimal("100.9"), symptoms=["incision_redness"],
                   note="Sore around the pump site when I stand up.")
    IncisionCheckFactory(patient=patient, note="A little pink at the lower edge.")
    resolved = EscalationFactory(warning_report__patient=patient, level=TriageLevel.URGENT, reasons=["fever"])
    escalations.resolve_escalation(resolved, surgeon.user, outcome="advice_sent", note="Advice given by phone.")
    EscalationFactory(warning_report__patient=patient, level=TriageLevel.URGENT, reasons=["incision_redness"])

    log_in(page, live_server, surgeon.user)
    pages = {
        "inbox": ("/dashboard/", "table.history td:has-text('Advice given by phone.')"),
        "patients": ("/dashboard/patients/", "table.patients tbody tr[data-patient]"),
        "patient": (f"/dashboard/patients/{patient.pk}/", "table.refills td:has-text('200 mcg/day')"),
        "worklist": ("/dashboard/worklist/", f'table.worklist tbody tr[data-patient="{patient.pk}"]'),
        "patient edit": (f"/dashboard/patients/{patient.pk}/edit/", "form"),
        "enroll": ("/dashboard/patients/new/", "form"),
    }
    too_wide = {}
    for name, (path, shown) in pages.items():
        page.goto(f"{live_server.url}{path}")
        assert page.locator(shown).count() > 0, f"{name}: nothing to check ({shown} missing)"
        if not no_horizontal_scroll(page):
            too_wide[name] = page.evaluate("document.documentElement.scrollWidth")
    assert too_wide == {}
