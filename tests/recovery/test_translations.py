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
              ("emergency pairs", triage.EMERGENCY_PAIRS),
              ("baclofen pairs", triage.BACLOFEN_PAIRS),
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


# Errors and labels of the phone API written here (not DRF's own): each must have a Spanish translation.
PHONE_API_MESSAGES = [
    '"%(value)s" is not a known IANA time zone.',
    '"%(value)s" is not an ISO 3166-1 alpha-2 country code.',
    "Unknown symptom code(s): %(unknown)s. Known codes: %(known)s.",
    "A body temperature in °%(unit)s must be between %(low)s and %(high)s.",
    "The photo is larger than %(megabytes)s MB.",
    "The photo must be %(formats)s or %(last)s, not %(format)s.",
    "The photo must be %(formats)s or %(last)s, not a format we could read.",
    "The photo has too many pixels: at most %(megapixels)s megapixels (for example %(width)s x %(height)s).",
    "The photo could not be read: the file is damaged or was cut off while sending. Take it again, or send the "
    "check without it.",
    "Report at least one symptom or write a note.",
    "Must be between %(earliest)s and %(latest)s.",
    "The JSON body is nested too deeply (at most %(levels)s levels).",
    "Not valid text: it holds an unpaired UTF-16 surrogate (a \\ud800-\\udfff escape).",
    "The request body is larger than %(megabytes)s MB.",
    "JSON parse error - %(error)s",
    "%(client_id)s was already used for a check-in with a different body; a new report needs a new client_id.",
    "%(client_id)s was already used for an incision check with a different body; a new report needs a new "
    "client_id.",
    "%(client_id)s was already used for a warning report with a different body; a new report needs a new "
    "client_id.",
    "%(client_id)s was already used for a message with a different body; a new message needs a new client_id.",
    "This activation code is not valid: it is unknown, already used or expired.",
    "A user with that username already exists.",
    "The password cannot be only spaces.",
    "Your password cannot be only spaces.",
    "Unknown refresh token.",
    "Refresh token already used or logged out.",
    "No active account for this token.",
    "The password was changed since this token was issued.",
    "This push token is registered to another account on this phone. Log that account out first.",
    "Pump model not recorded",
    "Your care team marks this step done.",
    "Not found.",
    # djangorestframework-simplejwt's, on login, refresh and every authenticated request
    "Given token not valid for any token type",
    "Token is blacklisted",
    "Token is invalid or expired",
    "The user's password has been changed.",
    "User not found",
    "User is inactive",
    "No active account found with the given credentials",
]


@pytest.mark.parametrize("message", PHONE_API_MESSAGES, ids=lambda value: value[:40])
def test_every_phone_api_error_has_a_spanish_translation(message):
    with translation.override("es"):
        spanish = translation.gettext(message)
    assert spanish != message, f"no Spanish translation: {message!r}"
    for placeholder in re.findall(r"%\(\w+\)s", message):
        assert spanish.count(placeholder) == message.count(placeholder), (message, spanish)


def test_the_phone_api_errors_are_the_texts_the_code_writes():
    """The list above names the msgids the code passes to gettext (a reworded message would leave it stale)."""
    sources = "".join(path.read_text() for folder in ("recovery", "notifications")
                      for path in (Path(settings.BASE_DIR) / folder).rglob("*.py"))
    flattened = re.sub(r'"\s*\n\s*"', "", sources)
    for message in PHONE_API_MESSAGES[:PHONE_API_MESSAGES.index("Not found.")]:
        written = message.replace("\\", "\\\\")
        assert f'"{written}"' in flattened or f"'{written}'" in flattened, message
