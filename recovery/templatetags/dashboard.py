"""Template filters of the surgeon dashboard."""
from __future__ import annotations

from collections.abc import Iterable

from django import template

from recovery.triage import REASON_WORDS

register = template.Library()


@register.filter
def reason_words(codes: Iterable[str]) -> str:
    """Triage reason codes in plain words for a clinician ("numbness in arms or legs")."""
    words = [REASON_WORDS.get(code, code.replace("_", " ")).replace("your ", "") for code in codes]
    return "; ".join(word[0].upper() + word[1:] for word in words if word)
