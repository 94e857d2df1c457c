"""Every patient-facing text has a Spanish translation (issue 13)."""
from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

from recovery import education, plan, triage
from recovery.api import serializers
from recovery.services import escalations, messages, refill_safety_net
from recovery.services.pushes import NEUTRAL_TEXT, PushKind

# Pushes to the care team stay English (staff pages and alerts may stay English).
STAFF_PUSHES = {PushKind.ESCALATION, PushKind.ESCALATION_PASSED_ON, PushKind.ESCALATION_UPDATED,
                PushKind.PATIENT_MESSAGE}

PO_FILE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"


def patient_facing_texts() -> list[tuple[str, object]]:
    """Every text a patient reads, from the registries that hold them."""
    texts: list[tuple[str, object]] = []
    for template in plan.MILESTONES + plan.PREOP_CHECKLIST:
        texts.append((f"milestone {template.key}", template.title))
    for restriction in plan.RESTRICTIONS:
        texts += [(f"restriction {restriction.key}", restriction.title),
                  (f"restriction {restriction.key} instructions", restriction.instructions)]
    for phase in plan.PHASES:
        texts.append((f"phase {phase.key}", phase.title))
    for kind, (title, body) in NEUTRAL_TEXT.items():
        if kind not in STAFF_PUSHES:
            texts += [(f"push {kind} title", title), (f"push {kind} body", body)]
    for code, words in triage.REASON_WORDS.items():
        texts.append((f"reason {code}", words))
    for code, advice in triage.REASON_ADVICE.items():
        texts.append((f"advice {code}", advice))
    texts += [("note not read now", triage.NOTE_NOT_READ_NOW),
              ("triage message title", escalations.TRIAGE_MESSAGE_TITLE),
              ("refill message title", refill_safety_net.REFILL_MESSAGE_TITLE),
              ("automatic answer title", messages.AUTO_REPLY_TITLE),
              ("care team message title", messages.CARE_TEAM_MESSAGE_TITLE),
              ("care team sender name", serializers.CARE_TEAM_SENDER)]
    texts += [(f"refill advice {level}", text) for level, text in refill_safety_net.REFILL_ADVICE.items()]
    for article in education.ARTICLES:
        texts += [(f"article {article.key}", article.title), (f"article {article.key} body", article.body)]
    return texts


@pytest.mark.parametrize(("where", "text"), patient_facing_texts(), ids=lambda value: str(value)[:40])
def test_every_patient_facing_text_has_a_spanish_translation(where, text):
    with translation.override("en"):
        english = str(text)
    with translation.override("es"):
        spanish = str(text)
    assert spanish != english, f"{where} has no Spanish translation: {english!r}"


def test_the_spanish_catalogue_has_no_empty_or_fuzzy_entry():
    catalogue = polib.pofile(str(PO_FILE))
    assert not catalogue.untranslated_entries(), [e.msgid for e in catalogue.untranslated_entries()]
    assert not catalogue.fuzzy_entries(), [e.msgid for e in catalogue.fuzzy_entries()]


def test_placeholders_survive_translation():
    catalogue = polib.pofile(str(PO_FILE))
    for entry in catalogue.translated_entries():
        for placeholder in re.findall(r"%\(\w+\)s", entry.msgid):
            assert entry.msgid.count(placeholder) == entry.msgstr.count(placeholder), entry.msgid


def test_the_triage_advice_of_every_level_is_written_whole_in_spanish():
    def advice(language: str, level: str, reasons: tuple[str, ...]) -> str:
        with translation.override(language):
            return triage.advice_for(level, reasons, "112")

    for level, reasons in (("emergency", ("chest_pain", "fever")), ("urgent", ("stiff_neck",)),
                           ("routine", ())):
        spanish, english = advice("es", level, reasons), advice("en", level, reasons)
        assert spanish != english and "112" in spanish
        # No English sentence of the English advice is left in the Spanish one.
        for sentence in english.split(". "):
            assert sentence[:30] not in spanish, (level, sentence)
