"""The windows of dates the product accepts as input: anything outside is a typing mistake.

A surgery date of 9999-12-31 overflowed the recovery plan's date arithmetic (a 500); the API and the
dashboard refuse such dates with a 400 naming the field instead.
"""
from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext

# Days before and after today.
SURGERY_DATE_WINDOW = {"past_days": 20 * 366, "future_days": 366}
PUMP_DATE_WINDOW = {"past_days": 20 * 366, "future_days": 20 * 366}
QUERY_DATE_WINDOW = {"past_days": 50 * 366, "future_days": 50 * 366}


def plausible_window(past_days: int, future_days: int) -> tuple[date, date]:
    """The dates from `past_days` before today to `future_days` after it (UTC today, a day of slack)."""
    today = timezone.now().date()
    return today - timedelta(days=past_days + 1), today + timedelta(days=future_days + 1)


def out_of_window(day: date | None, window: dict[str, int]) -> str | None:
    """The error message for a date outside `window`, or None when it is inside (or absent)."""
    if day is None:
        return None
    earliest, latest = plausible_window(**window)
    if earliest <= day <= latest:
        return None
    return gettext("Must be between %(earliest)s and %(latest)s.") % {
        "earliest": earliest.isoformat(), "latest": latest.isoformat()}
