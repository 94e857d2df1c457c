"""The patient's journey from before surgery, in their language, with education (issue 13)."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from recovery import education, plan
from recovery.models import Patient
from tests.factories import SurgeonFactory

pytestmark = pytest.mark.django_db

# 15:00 UTC on 2 March 2027 is the morning of 2 March in Chicago.
NOW = datetime(2027, 3, 2, 15, 0, tzinfo=UTC)
TODAY = date(2027, 3, 2)


def enroll_and_activate(*, surgery_date: date, drug: str = "morphine", accept_language: str = "") -> APIClient:
    """Enroll through the surgeon API and activate through the patient API, as the two apps do."""
    surgeon_client = APIClient()
    surgeon_client.force_authenticate(SurgeonFactory().user)
    enrolled = surgeon_client.post("/api/v1/surgeon/patients/", {
        "display_name": "Lucía", "surgery_date": surgery_date.isoformat(), "timezone": "America/Chicago",
        "pump": {"kind": "programmable", "drug": drug,
                 "next_refill_date": (surgery_date + timedelta(days=60)).isoformat()},
    }, format="json")
    assert enrolled.status_code == 201, enrolled.json()
    headers: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    activated = APIClient().post("/api/v1/auth/activate/", {
        "code": enrolled.json()["activation_code"], "username": f"lucia-{drug}-{surgery_date}",
        "password": "a-long-unusual-passphrase",
    }, format="json", **headers)
    assert activated.status_code == 201, activated.json()
    patient = Patient.objects.get(pk=enrolled.json()["id"])
    client = APIClient()
    client.force_authenticate(patient.user)
    return client


# --- Before surgery -----------------------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_a_patient_enrolled_a_week_before_surgery_is_on_day_minus_7_before_surgery():
    client = enroll_and_activate(surgery_date=TODAY + timedelta(days=7))
    me = client.get("/api/v1/me/").json()
    assert (me["recovery_day"], me["phase"], me["phase_title"]) == (-7, "before_surgery", "Before surgery")


@time_machine.travel(NOW, tick=False)
def test_the_timeline_of_a_patient_before_surgery_starts_with_the_guides_preparation_checklist():
    client = enroll_and_activate(surgery_date=TODAY + timedelta(days=7))
    timeline = client.get("/api/v1/timeline/").json()
    keys = [item["key"] for item in timeline]
    checklist = [t.key for t in plan.PREOP_CHECKLIST]
    assert keys[: len(checklist)] == checklist
    assert set(keys[len(checklist):]) == {t.key for t in plan.MILESTONES}
    statuses = {item["key"]: item["status"] for item in timeline}
    # Seven days ahead: the tests are due, packing the bag is not yet, nothing is overdue.
    assert statuses["preop_tests"] == "due"
    assert statuses["preop_pack_bag"] == "upcoming"
    assert "overdue" not in statuses.values()


@time_machine.travel(NOW, tick=False)
def test_every_preparation_item_cites_the_guide():
    for template in plan.PREOP_CHECKLIST:
        assert template.source.startswith("Guide line"), template.key


@time_machine.travel(NOW, tick=False)
def test_the_patient_ticks_off_their_own_preparation_steps_once():
    client = enroll_and_activate(surgery_date=TODAY + timedelta(days=7))
    first = client.post("/api/v1/timeline/preop_tell_allergies/done/")
    again = client.post("/api/v1/timeline/preop_tell_allergies/done/")
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "done"
    assert again.json()["completed_at"] == first.json()["completed_at"]


@time_machine.travel(NOW, tick=False)
def test_the_clinics_steps_and_unknown_keys_cannot_be_ticked_off_by_the_patient():
    client = enroll_and_activate(surgery_date=TODAY + timedelta(days=7))
    assert client.post("/api/v1/timeline/preop_visit/done/").status_code == 403
    assert client.post("/api/v1/timeline/no_such_step/done/").status_code == 404
    statuses = {item["key"]: item["status"] for item in client.get("/api/v1/timeline/").json()}
    assert statuses["preop_visit"] != "done"


def test_on_surgery_day_the_plan_continues_as_for_any_patient():
    with time_machine.travel(NOW, tick=False):
        client = enroll_and_activate(surgery_date=TODAY + timedelta(days=7))
        client.post("/api/v1/timeline/preop_tests/done/")
    with time_machine.travel(NOW + timedelta(days=7), tick=False):
        me = client.get("/api/v1/me/").json()
        assert (me["recovery_day"], me["phase"]) == (0, "surgery")
        statuses = {item["key"]: item["status"] for item in client.get("/api/v1/timeline/").json()}
        assert statuses["discharge"] == "due"
        assert statuses["preop_tests"] == "done"
        restrictions = {r["key"] for r in client.get("/api/v1/restrictions/").json()}
        assert "no_heavy_lifting" in restrictions


POST_SURGERY_STEPS = ("incision_care", "binder_period_end", "physical_therapy_start", "return_to_normal_activity")


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("key", POST_SURGERY_STEPS)
def test_a_step_after_surgery_cannot_be_ticked_off_before_the_surgery_date(key):
    client = enroll_and_activate(surgery_date=TODAY + timedelta(days=14))
    titles = {item["key"]: item["title"] for item in client.get("/api/v1/timeline/").json()}
    refused = client.post(f"/api/v1/timeline/{key}/done/")
    assert refused.status_code == 400
    [message] = refused.json()["key"]
    assert titles[key] in message
    statuses = {item["key"]: item["status"] for item in client.get("/api/v1/timeline/").json()}
    assert statuses[key] == "upcoming"


@time_machine.travel(NOW, tick=False)
def test_the_refusal_names_the_step_in_the_patients_language():
    client = enroll_and_activate(surgery_date=TODAY + timedelta(days=14), accept_language="es")
    titles = {item["key"]: item["title"] for item in client.get("/api/v1/timeline/").json()}
    [message] = client.post("/api/v1/timeline/physical_therapy_start/done/").json()["key"]
    assert message.startswith(f"«{titles['physical_therapy_start']}» es después de su cirugía")


def test_a_step_after_surgery_can_be_ticked_off_from_the_surgery_day():
    with time_machine.travel(NOW, tick=False):
        client = enroll_and_activate(surgery_date=TODAY + timedelta(days=1))
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        answer = client.post("/api/v1/timeline/incision_care/done/")
    assert (answer.status_code, answer.json()["status"]) == (200, "done")


def test_from_the_surgery_date_an_unticked_preparation_item_leaves_the_timeline_and_a_ticked_one_stays_done():
    with time_machine.travel(NOW, tick=False):
        client = enroll_and_activate(surgery_date=TODAY + timedelta(days=7))
        client.post("/api/v1/timeline/preop_tests/done/")
    with time_machine.travel(NOW + timedelta(days=6), tick=False):  # the day before surgery
        statuses = {item["key"]: item["status"] for item in client.get("/api/v1/timeline/").json()}
        assert (statuses["preop_fasting"], statuses["preop_tests"]) == ("due", "done")
    for day in (7, 7 + 57):  # surgery day, and day 57
        with time_machine.travel(NOW + timedelta(days=day), tick=False):
            statuses = {item["key"]: item["status"] for item in client.get("/api/v1/timeline/").json()}
            checklist = {key: status for key, status in statuses.items() if key in plan.PREOP_KEYS}
            assert checklist == {"preop_tests": "done"}, day


@time_machine.travel(NOW, tick=False)
def test_a_patient_enrolled_after_surgery_gets_no_preparation_checklist():
    client = enroll_and_activate(surgery_date=TODAY - timedelta(days=3))
    keys = {item["key"] for item in client.get("/api/v1/timeline/").json()}
    assert keys == {t.key for t in plan.MILESTONES}


# --- Education ----------------------------------------------------------------------------------

def article_keys(client: APIClient) -> list[str]:
    answer = client.get("/api/v1/education/")
    assert answer.status_code == 200
    for article in answer.json():
        assert article["title"] and article["body"] and article["source"]
    return [article["key"] for article in answer.json()]


def test_the_education_list_changes_with_the_recovery_day():
    with time_machine.travel(NOW, tick=False):
        client = enroll_and_activate(surgery_date=TODAY + timedelta(days=7))
        before = article_keys(client)
    with time_machine.travel(NOW + timedelta(days=9), tick=False):
        day_two = article_keys(client)
    with time_machine.travel(NOW + timedelta(days=7 + 60), tick=False):
        day_sixty = article_keys(client)
    assert "preparing_for_surgery" in before and "incision_care" not in before
    assert "incision_care" in day_two and "preparing_for_surgery" not in day_two
    assert "incision_care" not in day_sixty and "battery" in day_sixty


@time_machine.travel(NOW, tick=False)
def test_a_baclofen_patient_never_gets_opioid_advice_and_an_opioid_patient_never_baclofen_advice():
    baclofen = article_keys(enroll_and_activate(surgery_date=TODAY - timedelta(days=2), drug="baclofen"))
    morphine = article_keys(enroll_and_activate(surgery_date=TODAY - timedelta(days=2), drug="morphine"))
    assert "baclofen_withdrawal_overdose" in baclofen and "opioid_overdose_withdrawal" not in baclofen
    assert "opioid_overdose_withdrawal" in morphine and "baclofen_withdrawal_overdose" not in morphine


@time_machine.travel(NOW, tick=False)
def test_opioid_education_tells_the_patient_about_naloxone():
    client = enroll_and_activate(surgery_date=TODAY - timedelta(days=2), drug="other_opioid")
    bodies = {a["key"]: a["body"] for a in client.get("/api/v1/education/").json()}
    assert "naloxone" in bodies["opioid_overdose_withdrawal"]


@time_machine.travel(NOW, tick=False)
def test_the_when_to_call_article_sends_what_triage_calls_an_emergency_to_the_emergency_number():
    """The article must not tell a patient to call the care team for what a report of it would answer with
    "Call 911 now" (triage: new bowel or bladder problems, shortness of breath, and the emergency pairs)."""
    client = enroll_and_activate(surgery_date=TODAY - timedelta(days=2))
    body = {a["key"]: a["body"] for a in client.get("/api/v1/education/").json()}["when_to_call"]
    emergency = " ".join(sentence for sentence in body.split(". ") if "911" in sentence)
    for words in ("shortness of breath", "new bowel or bladder problems",
                  "a fever or severe pain comes with weakness, numbness or trouble walking or keeping your balance",
                  "a fever comes with severe pain, a stiff neck or a headache when you sit or stand up",
                  "weakness or numbness comes with trouble walking or keeping your balance"):
        assert words in emergency, body


def test_pump_model_articles_are_only_for_that_model():
    synchromed = education.articles_for(recovery_day=30, drug="baclofen", pump_model="synchromed_ii")
    prometra = education.articles_for(recovery_day=30, drug="baclofen", pump_model="prometra_ii")
    assert "mri_synchromed" in [a.key for a in synchromed] and "mri_prometra" not in [a.key for a in synchromed]
    assert "mri_prometra" in [a.key for a in prometra] and "mri_synchromed" not in [a.key for a in prometra]


def test_every_article_names_its_source():
    for article in education.ARTICLES:
        assert article.source.strip(), article.key


# --- Language -----------------------------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_accept_language_at_activation_makes_a_spanish_speaking_patient():
    client = enroll_and_activate(surgery_date=TODAY + timedelta(days=7), accept_language="es-MX,es;q=0.9,en;q=0.5")
    me = client.get("/api/v1/me/").json()
    assert (me["language"], me["phase_title"]) == ("es", "Antes de la cirugía")


@time_machine.travel(NOW, tick=False)
def test_a_spanish_speaking_patient_reads_the_timeline_restrictions_and_education_in_spanish():
    client = enroll_and_activate(surgery_date=TODAY - timedelta(days=2), accept_language="es")
    titles = {item["key"]: item["title"] for item in client.get("/api/v1/timeline/").json()}
    assert titles["discharge"] == "Alta a casa"
    restrictions = {r["key"]: r for r in client.get("/api/v1/restrictions/").json()}
    assert restrictions["no_heavy_lifting"]["title"] == "No levante más de 10 lb"
    articles = {a["key"]: a for a in client.get("/api/v1/education/").json()}
    assert articles["incision_care"]["title"] == "Cómo cuidar sus incisiones"


@time_machine.travel(NOW, tick=False)
def test_a_patient_changes_language_from_the_app_and_an_unknown_one_is_a_400():
    client = enroll_and_activate(surgery_date=TODAY - timedelta(days=2))
    assert client.get("/api/v1/me/").json()["language"] == "en"
    changed = client.patch("/api/v1/me/", {"language": "es"}, format="json")
    assert (changed.status_code, changed.json()["language"], changed.json()["phase_title"]) == (
        200, "es", "Primera cicatrización")
    refused = client.patch("/api/v1/me/", {"language": "fr"}, format="json")
    assert refused.status_code == 400 and "language" in refused.json()
    assert client.get("/api/v1/me/").json()["language"] == "es"


@time_machine.travel(NOW, tick=False)
def test_a_spanish_answer_leaves_no_spanish_behind_for_the_next_request():
    spanish = enroll_and_activate(surgery_date=TODAY - timedelta(days=2), accept_language="es")
    english = enroll_and_activate(surgery_date=TODAY - timedelta(days=2), drug="baclofen")
    assert spanish.get("/api/v1/me/").json()["phase_title"] == "Primera cicatrización"
    assert english.get("/api/v1/me/").json()["phase_title"] == "Early healing"


@time_machine.travel(NOW, tick=False)
def test_a_language_chosen_at_enrollment_stands_whatever_the_phone_says():
    surgeon_client = APIClient()
    surgeon_client.force_authenticate(SurgeonFactory().user)
    enrolled = surgeon_client.post("/api/v1/surgeon/patients/", {
        "display_name": "Rosa", "surgery_date": TODAY.isoformat(), "timezone": "America/Chicago",
        "language": "es", "pump": {"kind": "programmable", "drug": "baclofen",
                                   "next_refill_date": (TODAY + timedelta(days=60)).isoformat()},
    }, format="json").json()
    APIClient().post("/api/v1/auth/activate/", {
        "code": enrolled["activation_code"], "username": "rosa", "password": "a-long-unusual-passphrase",
    }, format="json", HTTP_ACCEPT_LANGUAGE="en-US")
    assert Patient.objects.get(pk=enrolled["id"]).text_language == "es"


# --- Triage advice in the patient's language ----------------------------------------------------

@pytest.mark.parametrize(("symptoms", "level", "spanish_start"), [
    (["chest_pain"], "emergency", "Llame ya al 112."),
    (["stiff_neck"], "urgent", "Se avisó a su equipo de atención"),
    ([], "routine", "Gracias, su reporte quedó guardado"),
])
@time_machine.travel(NOW, tick=False)
def test_a_spanish_speaking_patient_in_madrid_gets_spanish_advice_naming_112(symptoms, level, spanish_start):
    client = enroll_and_activate(surgery_date=TODAY - timedelta(days=2), accept_language="es")
    client.patch("/api/v1/me/", {"timezone": "Europe/Madrid"}, format="json")
    body = {"client_id": str(uuid.uuid4()), "symptoms": symptoms, "note": "" if symptoms else "Todo bien"}
    if not symptoms:  # a check-in: nothing to report
        body = {"client_id": str(uuid.uuid4()), "pain_score": 2}
    path = "/api/v1/warning-reports/" if symptoms else "/api/v1/checkins/"
    answer = client.post(path, body, format="json")
    assert answer.status_code == 201, answer.json()
    triage = answer.json()["triage"]
    assert triage["level"] == level
    assert triage["advice"].startswith(spanish_start), triage["advice"]
    if level != "routine":
        message = client.get("/api/v1/messages/").json()["results"][0]
        assert message["title"] == "Sobre el reporte que acaba de enviar"


@time_machine.travel(NOW, tick=False)
def test_a_step_the_clinic_marks_is_refused_in_the_patients_language():
    client = enroll_and_activate(surgery_date=TODAY + timedelta(days=7), accept_language="es")
    refused = client.post("/api/v1/timeline/preop_visit/done/")
    assert (refused.status_code, refused.json()["detail"]) == (403, "Su equipo de atención marca este paso como hecho.")
