"""Milestones, restrictions and phases computed from the surgery date (recovery/plan.py)."""
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from recovery import plan
from recovery.models import Milestone
from recovery.services.enrollment import enroll_patient
from recovery.services.plans import create_recovery_plan
from tests.factories import PatientFactory, SurgeonFactory

pytestmark = pytest.mark.django_db

SURGERY = date(2026, 3, 2)


def enroll(**overrides):
    fields: dict[str, Any] = dict(
        surgeon=SurgeonFactory(),
        display_name="Ada",
        surgery_date=SURGERY,
        timezone_name="America/New_York",
        pump={"kind": "programmable", "drug": "morphine", "next_refill_date": SURGERY + timedelta(days=60)},
    )
    fields.update(overrides)
    return enroll_patient(**fields).patient


def test_milestones_fall_on_the_days_of_the_plan():
    patient = enroll()
    due = dict(patient.milestones.values_list("key", "due_date"))
    assert due == {t.key: SURGERY + timedelta(days=t.day) for t in plan.MILESTONES}
    assert due["return_to_normal_activity"] == date(2026, 4, 13)  # six weeks after surgery


def test_restrictions_start_on_surgery_day_and_end_on_their_plan_day():
    patient = enroll()
    lifting = patient.restrictions.get(key="no_heavy_lifting")
    assert (lifting.starts_on, lifting.ends_on) == (SURGERY, SURGERY + timedelta(days=41))
    assert lifting.in_force_on(SURGERY + timedelta(days=41))
    assert not lifting.in_force_on(SURGERY + timedelta(days=42))


def test_no_binder_rows_when_binder_not_prescribed():
    patient = enroll(binder_prescribed=False)
    assert not patient.milestones.filter(key="binder_period_end").exists()
    assert not patient.restrictions.filter(key="wear_binder").exists()


def test_rebuilding_the_plan_keeps_completed_milestones_and_makes_no_duplicates():
    patient = enroll()
    patient.milestones.filter(key="discharge").update(completed_at=datetime(2026, 3, 3, tzinfo=UTC))
    patient.surgery_date = SURGERY + timedelta(days=7)
    patient.save()
    create_recovery_plan(patient)
    assert patient.milestones.count() == len(plan.MILESTONES)
    assert patient.milestones.get(key="discharge").completed_at is not None
    assert patient.milestones.get(key="wound_check").due_date == SURGERY + timedelta(days=17)


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2026, 3, 11), Milestone.Status.UPCOMING),
        (date(2026, 3, 12), Milestone.Status.DUE),
        (date(2026, 3, 16), Milestone.Status.DUE),
        (date(2026, 3, 17), Milestone.Status.DUE),  # window over, not yet a finding
        (date(2026, 3, 19), Milestone.Status.DUE),
        (date(2026, 3, 20), Milestone.Status.OVERDUE),  # 3 days after the window (recovery.overdue)
    ],
)
def test_wound_check_status_follows_its_window_and_grace(today, status):
    milestone = Milestone(key="wound_check", due_date=date(2026, 3, 12), window_days=4)
    assert milestone.status_on(today) == status


@pytest.mark.parametrize("key", ["discharge", "incision_care", "physical_therapy_start",
                                 "binder_period_end", "return_to_normal_activity"])
def test_milestones_without_a_clinical_rule_are_never_overdue(key):
    milestone = Milestone(key=key, due_date=date(2026, 3, 12), window_days=1)
    assert milestone.status_on(date(2026, 3, 14)) == Milestone.Status.DUE
    assert milestone.status_on(date(2027, 3, 14)) == Milestone.Status.DUE


def test_recovery_day_uses_the_patients_own_date_not_utc():
    # 02:30 UTC on 3 March is still the evening of 2 March in New York: surgery day, day 0.
    patient = PatientFactory.build(surgery_date=SURGERY, timezone="America/New_York")
    late_evening_in_new_york = datetime(2026, 3, 3, 2, 30, tzinfo=UTC)
    assert patient.recovery_day(late_evening_in_new_york) == 0
    assert PatientFactory.build(surgery_date=SURGERY, timezone="UTC").recovery_day(late_evening_in_new_york) == 1
    # And in Tokyo it is already the morning of 3 March at 20:00 UTC on 2 March.
    tokyo = PatientFactory.build(surgery_date=SURGERY, timezone="Asia/Tokyo")
    assert tokyo.recovery_day(datetime(2026, 3, 2, 20, 0, tzinfo=UTC)) == 1


@pytest.mark.parametrize(
    ("day", "phase"),
    [(0, "surgery"), (1, "early_healing"), (13, "early_healing"), (14, "rehabilitation"),
     (42, "return_to_activity"), (56, "return_to_activity"), (57, "recovered"),
         (-3, "before_surgery"), (-1, "before_surgery")],
)
def test_phase_for_each_recovery_day(day, phase):
    assert plan.phase_for_day(day).key == phase


# The guide the plan cites, kept with the code (docs/), so the quote tests run wherever the suite does; where the
# shared folder sits next to the clone (DESIGN.md), the copy must be its text.
GUIDE = Path(settings.BASE_DIR) / "docs" / "patient-guide-intrathecal-pump.txt"
SHARED_GUIDE = Path(settings.BASE_DIR).parent / "shared" / "domain" / "patient-guide-intrathecal-pump.txt"
SINGLE_LINE_QUOTE = re.compile(r'^Guide line (\d+): "([^"]*)"')


def guide_lines() -> list[str]:
    return GUIDE.read_text(encoding="utf-8").splitlines()


def test_the_guide_kept_with_the_code_is_the_shared_one():
    if not SHARED_GUIDE.exists():
        pytest.skip(f"no shared folder next to the clone ({SHARED_GUIDE})")
    assert GUIDE.read_bytes() == SHARED_GUIDE.read_bytes()


SOURCES: dict[str, str] = {
    **{t.key: t.source for t in plan.MILESTONES + plan.PREOP_CHECKLIST},
    **{t.key: t.source for t in plan.RESTRICTIONS},
    **{t.key: t.source for t in plan.PHASES},
}


@pytest.mark.parametrize(("line_number", "quote"), [
    pytest.param(int(found[1]), found[2], id=key)
    for key, source in SOURCES.items() if (found := SINGLE_LINE_QUOTE.match(source))
])
def test_a_quote_of_one_guide_line_is_that_lines_words_in_full(line_number: int, quote: str):
    """Each part of the quote (parts are cut at " ... ") is the guide line's own text, full sentences kept:
    "You may need to stop some of the medicines." left out "before the procedure"."""
    line = guide_lines()[line_number - 1]
    for part in quote.split(" ... "):
        assert part in line, (part, line)


def test_every_preparation_item_stays_due_up_to_the_day_before_surgery_and_no_later():
    for template in plan.PREOP_CHECKLIST:
        assert template.day + template.window_days == -1, template.key
