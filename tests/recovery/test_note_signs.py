"""Warning signs in the patient's own words (recovery/note_signs.py): a note that says "I can't breathe" or "no
puedo respirar" is triaged as trouble breathing, in a check-in, an incision check or a warning report; "no fever"
is not a fever. English and Spanish, with and without accents, with a typo.

Expected signs and levels are written here from the patient guide and shared/API.md, not read from the table."""
from __future__ import annotations

import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from recovery import note_signs, triage
from recovery.models import Escalation, WarningReport
from recovery.triage import PatientContext, Report
from tests.factories import PatientFactory
from tests.support import bearer

NOTHING_NEEDED = "nothing in it needs your care team right now"


@pytest.mark.parametrize(("note", "signs"), [
    # English
    ("I can't breathe", {"difficulty_breathing"}),
    ("I cannot breathe properly", {"difficulty_breathing"}),
    ("He is not breathing", {"difficulty_breathing"}),
    ("my lips look blue", {"difficulty_breathing"}),
    ("Really short of breath since lunch", {"shortness_of_breath"}),
    ("Chest pain when I lie down", {"chest_pain"}),
    ("I have a fever", {"fever"}),
    ("Feeling feverish and my neck is stiff", {"fever", "stiff_neck"}),
    ("I can not keep my balance", {"balance_problems"}),
    ("My legs are very weak and I can't walk", {"limb_weakness", "difficulty_walking"}),
    ("pins and needles in both feet", {"limb_tingling"}),
    ("Pus coming out of the back incision", {"incision_drainage"}),
    ("my pump is beeping", {"pump_alarm"}),
    ("itchy all over and my spasms are back", {"itching", "increased_spasticity"}),
    ("She is confused and cannot stay awake", {"confusion", "extreme_drowsiness"}),
    ("had a seizure this morning", {"seizure"}),
    ("I can't pee", {"bowel_bladder_changes"}),
    # Spanish, with and without accents, any case
    ("No puedo respirar", {"difficulty_breathing"}),
    ("NO PUEDO RESPIRAR", {"difficulty_breathing"}),
    ("respiración muy lenta", {"difficulty_breathing"}),
    ("respiracion muy lenta", {"difficulty_breathing"}),
    ("Me falta el aire", {"shortness_of_breath"}),
    ("me duele el pecho", {"chest_pain"}),
    ("Tengo fiebre", {"fever"}),
    ("tengo calentura y el cuello rígido", {"fever", "stiff_neck"}),
    ("tengo calentura y el cuello rigido", {"fever", "stiff_neck"}),
    ("no puedo caminar", {"difficulty_walking"}),
    ("perdí el equilibrio dos veces", {"balance_problems"}),
    ("hormigueo en las piernas", {"limb_tingling"}),
    ("la herida está supurando", {"incision_drainage"}),
    ("la bomba está pitando", {"pump_alarm"}),
    ("estoy confundida", {"confusion"}),
    ("tuvo una convulsión", {"seizure"}),
    # one typo in a long word
    ("I have a feaver", {"fever"}),
    ("I cant breahte", {"difficulty_breathing"}),
    ("tengo fiebr", {"fever"}),
    ("dolor de cabesa", {"headache_upright"}),
    # negations: the sign is not there
    ("no fever", set()),
    ("I don't have a fever", set()),
    ("I have not had any fever", set()),
    ("No tengo fiebre", set()),
    ("sin fiebre", set()),
    ("no me falta el aire", set()),
    ("no numbness or tingling", set()),
    ("la herida no sangra", set()),
    ("no hay pus", set()),
    ("no trouble keeping my balance", set()),
    # a negation ends with its clause; inability and doubt are not negation
    ("no fever but my neck is stiff", {"stiff_neck"}),
    ("No fever and can't breathe", {"difficulty_breathing"}),
    ("no fever and I can't feel my legs", {"limb_numbness"}),
    ("sin fiebre y me duele el pecho", {"chest_pain"}),
    ("no fever or chills, no headache", set()),
    ("no tengo fiebre ni dolor de cabeza", set()),
    ("No tengo fiebre, pero no puedo respirar", {"difficulty_breathing"}),
    ("No me duele la cabeza pero tengo fiebre", {"fever"}),
    ("not sure if it's a fever", {"fever"}),
    ("no sé si tengo fiebre", {"fever"}),
    # real words a typo away from a sign word, and questions, are not signs
    ("I never felt better", set()),
    ("I was discharged home yesterday", set()),
    ("I'm confused about the dose", set()),
    ("estoy confundido con las pastillas", set()),
    ("I set an alarm for my tablets", set()),
    ("Slept well, feeling good", set()),
])
def test_a_note_names_the_signs_its_words_say(note, signs):
    assert note_signs.note_signs(note) == signs


@pytest.mark.parametrize(("note", "signs"), [
    # a negator about something else, the comma left out: the sign is there
    ("No I can't breathe", {"difficulty_breathing"}),
    ("no no puedo respirar", {"difficulty_breathing"}),
    ("I'm not ok I can't breathe", {"difficulty_breathing"}),
    ("not eating cant walk", {"difficulty_walking"}),
    ("no appetite chest pain", {"chest_pain"}),
    ("didnt sleep fever all night", {"fever"}),
    ("no energy fever", {"fever"}),
    # "breath" for "breathe", and other everyday ways of saying it
    ("I can't breath", {"difficulty_breathing"}),
    ("hard to breath since this morning", {"difficulty_breathing"}),
    ("I can barely breathe", {"difficulty_breathing"}),
    ("having a hard time breathing", {"difficulty_breathing"}),
    ("me cuesta mucho respirar", {"difficulty_breathing"}),
    ("I can't feel my leg", {"limb_numbness"}),
    ("no siento mis piernas", {"limb_numbness"}),
    ("tomé demasiado medicamento", {"overdose_signs"}),
    # still negated
    ("no fever or headache", set()),
    ("I haven't noticed any swelling", set()),
    ("sin señales de sangrado", set()),
    ("not much swelling", set()),
    ("no significant swelling", set()),
    ("I don't think it's swollen", set()),
    ("no veo sangrado", set()),
    # everyday words that are no sign
    ("tomé mi medicamento, todo bien", set()),
    ("el medicamento me ayuda", set()),
    ("I'm selling my car", set()),
    ("she winked at me", set()),
    ("walked a few more inches today", set()),
    ("the steak was overdone", set()),
    ("going stir crazy at home, cabin fever", set()),
    ("my hay fever is acting up", set()),
    ("cabin fever and a real fever too", {"fever"}),
])
def test_a_note_is_read_as_a_person_would_read_it(note, signs):
    assert note_signs.note_signs(note) == signs


@pytest.mark.parametrize("note", [
    " ".join(f"w{n}ord{n % 97}x" for n in range(600))[:4000],  # many different words, none a sign's
    ("fever " * 700)[:4000],
    ("no puedo " * 500)[:4000],
    ("a " * 2000)[:4000],
    "x" * 4000,
])
def test_a_note_as_long_as_the_api_takes_is_read_in_a_few_milliseconds(note):
    """Triage reads a note three times per report, and the notes of the last day's reports: it must stay cheap."""
    started = time.perf_counter()
    note_signs.note_signs(note)
    assert time.perf_counter() - started < 0.03


def test_a_long_word_is_not_kept_in_the_typo_cache():
    before = note_signs._canonical_of_typo.cache_info().currsize
    note_signs.note_signs("y" * 4000)
    assert note_signs._canonical_of_typo.cache_info().currsize == before


def run(report: Report, drug: str = "morphine", day: int = 5, recent: frozenset = frozenset()) -> triage.TriageResult:
    return triage.triage(report, PatientContext(drug=drug, recovery_day=day, recent_signs=recent,
                                                emergency_number="911"))


@pytest.mark.parametrize("kind", ["checkin", "incision_check", "warning_report"])
@pytest.mark.parametrize("note", ["I can't breathe", "no puedo respirar", "chest pain", "dolor en el pecho"])
def test_an_emergency_written_in_a_note_is_an_emergency_in_every_kind_of_report(kind, note):
    result = run(Report(kind=kind, pain_score=2 if kind == "checkin" else None, note=note))
    assert result.level == "emergency"
    assert result.advice.startswith("Call 911 now.")
    assert NOTHING_NEEDED not in result.advice


@pytest.mark.parametrize("note", ["fever", "Tengo fiebre", "the incision is oozing", "sangra la herida"])
def test_an_urgent_sign_written_in_a_check_in_note_alerts_the_care_team(note):
    result = run(Report(kind="checkin", pain_score=3, note=note))
    assert result.level == "urgent"
    assert "care team has been alerted" in result.advice


@pytest.mark.parametrize("note", ["no fever, feeling better", "sin fiebre, me siento mejor"])
def test_a_negated_sign_in_a_check_in_note_alerts_nobody(note):
    result = run(Report(kind="checkin", pain_score=2, note=note))
    assert (result.level, result.reasons) == ("routine", ())


def test_a_note_joins_a_measured_temperature_in_a_combination():
    """37.9 °C measured and "my neck is stiff" written: fever with a meningeal sign, an emergency."""
    report = Report(kind="checkin", pain_score=3, temperature=Decimal("37.9"), temperature_unit="C",
                    note="mi cuello está rígido")
    result = run(report)
    assert result.level == "emergency" and "fever_with_meningeal_signs" in result.reasons


def test_a_baclofen_patient_writing_of_itching_and_fever_is_told_to_call_the_emergency_number():
    result = run(Report(kind="warning_report", note="tengo picazón y fiebre"), drug="baclofen")
    assert result.level == "emergency" and "baclofen_withdrawal" in result.reasons


def test_a_baclofen_patient_past_the_alarm_date_writing_of_itching_is_told_to_call_the_emergency_number():
    """The refill safety net told them to call it for itching (LIORESAL boxed warning); writing it counts too."""
    result = triage.triage(Report(kind="warning_report", note="me pica todo el cuerpo"),
                           PatientContext(drug="baclofen", recovery_day=40, refill_missed=True,
                                          refill_alarm_passed=True, emergency_number="112"))
    assert result.level == "emergency" and "baclofen_withdrawal_refill_missed" in result.reasons
    assert triage.reads_refill_state(Report(kind="warning_report", note="me pica"), "baclofen")


def test_a_note_sign_counts_for_later_reports_combinations():
    earlier = triage.reported_signs(Report(kind="warning_report", note="I have a fever"))
    assert "fever" in earlier
    assert run(Report(kind="checkin", pain_score=2, symptoms=("stiff_neck",)), recent=earlier).level == "emergency"


def test_note_rows_are_in_the_trace_of_what_fired():
    result = run(Report(kind="checkin", pain_score=2, note="tengo fiebre"))
    assert "note:fever:es" in {row.key for row in result.fired}


def test_every_symptom_code_is_read_in_english_and_in_spanish():
    for language in ("en", "es"):
        assert {row.sign for row in note_signs.NOTE_PHRASES if row.language == language} == set(triage.SYMPTOM_CODES)


def test_every_phrase_row_cites_the_guide_line_of_its_sign():
    guide_rows = {row.reason: row.source for row in triage.RULES}
    for row in note_signs.NOTE_PHRASES:
        assert row.source.startswith("Guide line"), row.key
        assert row.sign in guide_rows, row.key


@pytest.mark.parametrize("row", note_signs.NOTE_PHRASES, ids=lambda row: row.key)
def test_every_phrase_of_the_table_reads_as_its_sign_alone(row):
    for phrase in row.phrases:
        assert row.sign in note_signs.note_signs(phrase), phrase


# --- Through the API: what the patient's phone gets ---------------------------------------------------------

@pytest.mark.django_db
def test_a_spanish_check_in_note_of_trouble_breathing_opens_an_emergency_case(api_client):
    patient = PatientFactory(enrolled=True, language="es")
    client = bearer(api_client, patient.user)
    response = client.post("/api/v1/checkins/", {"client_id": str(uuid.uuid4()), "pain_score": 2,
                                                 "note": "Respiro muy mal y tengo los labios morados"})
    assert response.status_code == 201
    answer = response.json()["triage"]
    assert answer["level"] == "emergency" and "difficulty_breathing" in answer["reasons"]
    assert answer["advice"].startswith(f"Llame ya al {patient.emergency_number}.")
    assert Escalation.objects.get(patient=patient).level == "emergency"


@pytest.mark.django_db
def test_an_earlier_notes_fever_makes_a_stiff_neck_now_an_emergency(api_client):
    patient = PatientFactory(enrolled=True)
    WarningReport.objects.create(patient=patient, client_id=uuid.uuid4(), symptoms=[], note="I've got a fever",
                                 local_date=patient.local_date(), created_at=timezone.now() - timedelta(hours=3))
    client = bearer(api_client, patient.user)
    response = client.post("/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": ["stiff_neck"],
                                                        "note": ""}, format="json")
    assert response.status_code == 201
    assert response.json()["triage"]["level"] == "emergency"
    assert "fever_with_meningeal_signs" in response.json()["triage"]["reasons"]


@pytest.mark.django_db
def test_a_reports_note_is_read_once_for_its_context_and_its_triage(monkeypatch):
    """The context asks whether the report's signs call for earlier reports and the refill state, and triage reads
    them again: the note, the costly part (a 4,000-character note takes about a millisecond), is read once."""
    from recovery.triage_context import triage_context

    reads: list[str] = []

    def counted(note: str) -> tuple[note_signs.NotePhrases, ...]:
        reads.append(note)
        return note_signs.note_phrase_rows(note)

    monkeypatch.setattr(triage, "note_phrase_rows", counted)
    patient = PatientFactory()
    now = timezone.now()
    report = Report(kind="warning_report", note="I have a fever and itching")

    result = triage.triage(report, triage_context(patient, patient.local_date(now), now, report))

    assert "fever" in result.reasons
    assert reads == ["I have a fever and itching"]
