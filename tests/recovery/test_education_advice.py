"""Education says what triage does: a sign a report of which is answered "Call 911 now" is not sent to the care
team in an article (recovery/education.py against recovery/triage.py). Pure functions, no database."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import translation

from recovery import education, triage
from recovery.triage import PatientContext, Report

DRUGS = ("morphine", "other_opioid", "baclofen", "other")


def bodies(drug: str, language: str = "en") -> dict[str, str]:
    with translation.override(language):
        return {article.key: str(article.body) % {"emergency_number": "911"}
                for article in education.articles_for(recovery_day=10, drug=drug)}


def clauses(text: str) -> list[str]:
    return [clause for clause in re.split(r"(?<=[.;])\s", text) if clause.strip()]


@pytest.mark.parametrize("drug", DRUGS)
def test_every_article_sends_confusion_to_the_emergency_number_as_triage_does(drug):
    assert triage.triage(Report(symptoms=("confusion",)), PatientContext(drug=drug)).level == "emergency"
    for key, body in bodies(drug).items():
        for clause in clauses(body):
            if "confus" in clause:
                assert "911" in clause, (key, clause)


def test_the_baclofen_article_sends_an_early_withdrawal_sign_with_fever_to_the_emergency_number():
    """Triage answers itching, tingling, more stiffness or a pump alarm with a fever "Call 911 now"
    (row baclofen_withdrawal); the article must not keep that for a "high" fever."""
    context = PatientContext(drug="baclofen", recovery_day=10)
    for sign in ("itching", "limb_tingling", "increased_spasticity", "pump_alarm"):
        assert triage.triage(Report(symptoms=(sign, "fever")), context).level == "emergency", sign
    body = bodies("baclofen")["baclofen_withdrawal_overdose"]
    assert "tingling" in body
    assert "Call 911 now if a fever comes with any of the others, or if you become confused" in body
    assert "high fever" not in body


def test_the_spanish_baclofen_and_medicine_articles_say_the_same():
    spanish = bodies("baclofen", "es")["baclofen_withdrawal_overdose"]
    assert "hormigueo" in spanish
    assert "Llame ya al 911 si la fiebre viene con cualquiera de las otras señales, o si tiene confusión" in spanish
    assert "fiebre alta" not in spanish
    other = bodies("other", "es")["medicine_safety"]
    assert "llame ya al 911 si está confundido" in other


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_fever_threshold_a_patient_reads_counts_37_8_c_as_a_fever_as_triage_does(language):
    """Guide line 173, "more than 100.0°F": 37.8 °C is 100.04 °F, a fever. "Over 37.8 °C" would tell the patient
    whose thermometer shows 37.8 that it is not one."""
    assert triage.triage(Report(temperature=Decimal("37.8"), temperature_unit="C")).reasons == ("fever",)
    with translation.override(language):
        texts = [str(triage.REASON_WORDS["fever"]), triage.when_to_call("911"),
                 *(str(article.body) for article in education.ARTICLES)]
    or_more = "or more" if language == "en" else "o más"
    mentions = [match for text in texts for match in re.finditer(r"37\.8 ?°?C\)?[^;:,.]*", text)]
    assert len(mentions) >= 4
    for match in mentions:
        assert or_more in match.group(0), match.group(0)
