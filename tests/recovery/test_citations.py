"""Every quote of one guide line in the clinical data (triage rules, the note phrases, education, overdue
milestones, the refill safety net) is that line's own words: a row cannot cite a line that does not say it.
The plan's rows are checked in test_plan.py, against the same copy of the guide."""
from __future__ import annotations

import re

import pytest

from recovery import education, note_signs, overdue, triage
from recovery.services import refill_safety_net
from tests.recovery.test_plan import guide_lines

# 'line 173: "A fever of more than 100.0°F."' anywhere in a source; a quote of several lines
# ('lines 72 and 80: "..." / "..."') is not one line's and is left to the reader.
ONE_LINE_QUOTE = re.compile(r'\bline (\d+): "([^"]*)"')


def sources() -> dict[str, str]:
    rows: dict[str, str] = {}
    rows.update({f"triage {rule.key}": rule.source for rule in triage.ALL_RULES})
    rows.update({f"note {row.key}": row.source for row in note_signs.NOTE_PHRASES})
    rows.update({f"article {article.key}": article.source for article in education.ARTICLES})
    rows.update({f"overdue {rule.key}": rule.source for rule in overdue.OVERDUE_RULES.values()})
    rows.update({f"refill {rule.stage} {rule.baclofen}": rule.source for rule in refill_safety_net.REFILL_RULES})
    return rows


QUOTES = [pytest.param(int(number), quote, id=f"{where} line {number}")
          for where, source in sources().items() for number, quote in ONE_LINE_QUOTE.findall(source)]


def test_the_clinical_data_quotes_the_guide():
    assert len(QUOTES) > 20


@pytest.mark.parametrize(("line_number", "quote"), QUOTES)
def test_a_quote_of_one_guide_line_is_that_lines_words(line_number: int, quote: str):
    line = guide_lines()[line_number - 1]
    for part in quote.split(" ... "):
        assert part in line, (part, line)
