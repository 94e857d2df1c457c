"""When a milestone nobody marked done becomes "overdue": only where that is clinically meaningful.

A milestone past its window is, by default, still just "due" (nobody ticked it; that is not a finding):
a day-2 patient who is home was discharged whether or not anyone clicked "Discharged home", and a
patient's own milestones (physical therapy started, back to normal activity) are the patient's to tick,
never a red flag on the care team's screen. A rule here names the milestones whose absence is a finding,
with how many days after the end of their window it becomes one, and why.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OverdueRule:
    key: str  # the milestone template key (recovery.plan)
    grace_days: int  # days after the end of the milestone's window before it is "overdue"
    source: str


OVERDUE_RULES: dict[str, OverdueRule] = {
    rule.key: rule
    for rule in (
        OverdueRule(
            "wound_check", 3,
            "Guide lines 136-139 (incisions in the back and abdomen) and 152 (care for your incisions, watch "
            "for infection); standard post-operative wound care: sutures or staples come out at 10-14 days. "
            "Not recorded three days after that window (day 18) means stitches may still be in or the wound "
            "was never seen: the care team should call the patient.",
        ),
    )
}


def becomes_overdue(key: str, days_past_due: int, window_days: int) -> bool:
    """Whether a milestone not done, `days_past_due` days after its due date, is overdue."""
    rule = OVERDUE_RULES.get(key)
    return rule is not None and days_past_due > window_days + rule.grace_days
