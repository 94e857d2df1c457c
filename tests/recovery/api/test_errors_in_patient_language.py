"""shared/API.md 1.1: every text a patient gets from the phone API is in their language, the errors written
here too (not only DRF's own): a Spanish patient reads Spanish, an English one English."""
from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from recovery.models import Patient
from tests.factories import PatientFactory, SurgeonFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db

SPANISH, ENGLISH = "es", "en"


@pytest.fixture(params=[SPANISH, ENGLISH])
def language(request) -> str:
    return request.param


@pytest.fixture
def patient(language) -> Patient:
    return PatientFactory(enrolled=True, language=language)


@pytest.fixture
def client(api_client: APIClient, patient: Patient) -> APIClient:
    return bearer(api_client, patient.user)


def said(language: str, spanish: str, english: str) -> str:
    return spanish if language == SPANISH else english


def first_error(answer: Any, field: str) -> str:
    return answer.json()[field][0]


def checkin(**fields: Any) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "pain_score": 3, **fields}


def incision(**fields: Any) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "site": "back", **fields}


def post_raw(client: APIClient, path: str, body: str) -> Any:
    return client.generic("POST", path, body, content_type="application/json")


def test_an_implausible_temperature(client, language):
    answer = client.post("/api/v1/checkins/", checkin(temperature=45, temperature_unit="C"), format="json")
    assert answer.status_code == 400
    assert first_error(answer, "temperature") == said(
        language, "Una temperatura corporal en °C debe estar entre 32.5 y 43.5.",
        "A body temperature in °C must be between 32.5 and 43.5.")


def test_an_unknown_symptom_code(client, language):
    answer = client.post("/api/v1/checkins/", checkin(symptoms=["hiccups"]), format="json")
    assert answer.status_code == 400
    assert first_error(answer, "symptoms").startswith(
        said(language, "Código(s) de síntoma desconocido(s): hiccups.", "Unknown symptom code(s): hiccups."))


def test_an_empty_warning_report(client, language):
    answer = client.post("/api/v1/warning-reports/", {"client_id": str(uuid.uuid4()), "symptoms": []},
                         format="json")
    assert answer.status_code == 400
    assert first_error(answer, "symptoms") == said(
        language, "Indique al menos un síntoma o escriba una nota.", "Report at least one symptom or write a note.")


@pytest.mark.parametrize(("field", "value", "spanish", "english"), [
    ("timezone", "Mars/Base", '"Mars/Base" no es una zona horaria IANA conocida.',
     '"Mars/Base" is not a known IANA time zone.'),
    ("country", "XX", '"XX" no es un código de país ISO 3166-1 alfa-2.',
     '"XX" is not an ISO 3166-1 alpha-2 country code.'),
])
def test_a_bad_time_zone_or_country_in_settings(client, language, field, value, spanish, english):
    answer = client.patch("/api/v1/me/", {field: value}, format="json")
    assert answer.status_code == 400
    assert first_error(answer, field) == said(language, spanish, english)


@pytest.mark.parametrize(("path", "body", "spanish", "english"), [
    ("/api/v1/checkins/", lambda cid: checkin(client_id=cid), "registro diario", "check-in"),
    ("/api/v1/warning-reports/", lambda cid: {"client_id": cid, "symptoms": ["fever"]},
     "aviso de señales de alarma", "warning report"),
    ("/api/v1/messages/", lambda cid: {"client_id": cid, "body": "Hola"}, "un mensaje", "a message"),
])
def test_a_reused_client_id(client, language, path, body, spanish, english):
    client_id = str(uuid.uuid4())
    assert client.post(path, body(client_id), format="json").status_code == 201
    if path == "/api/v1/warning-reports/":
        changed = {"client_id": client_id, "symptoms": ["itching"]}
    elif path == "/api/v1/messages/":
        changed = {"client_id": client_id, "body": "Otra cosa"}
    else:
        changed = checkin(client_id=client_id, pain_score=5)
    answer = client.post(path, changed, format="json")
    assert answer.status_code == 409
    message = first_error(answer, "client_id")
    assert client_id in message and said(language, spanish, english) in message
    assert ("ya se usó" in message) == (language == SPANISH)


def test_a_reused_client_id_of_an_incision_check(client, language):
    client_id = str(uuid.uuid4())
    assert client.post("/api/v1/incision-checks/", incision(client_id=client_id), format="json").status_code == 201
    answer = client.post("/api/v1/incision-checks/", incision(client_id=client_id, redness=True), format="json")
    assert answer.status_code == 409
    assert said(language, "revisión de la incisión", "incision check") in first_error(answer, "client_id")


def test_the_pump_without_a_recorded_model(client, language):
    pump = client.get("/api/v1/me/").json()["pump"]
    assert pump["mri_guidance"]["name"] == said(language, "Modelo de bomba no registrado", "Pump model not recorded")


def test_a_restrictions_date_out_of_range(client, language):
    answer = client.get("/api/v1/restrictions/", {"date": "2999-01-01"})
    assert answer.status_code == 400
    assert first_error(answer, "date").startswith(said(language, "Debe estar entre", "Must be between"))


def test_a_photo_in_an_unknown_format(client, language):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    photo = SimpleUploadedFile("IMG.gif", buffer.getvalue(), content_type="image/gif")
    answer = client.post("/api/v1/incision-checks/", {**incision(), "photo": photo}, format="multipart")
    assert answer.status_code == 400
    assert first_error(answer, "photo") == said(language, "La foto debe ser HEIF, JPEG o PNG, no GIF.",
                                                "The photo must be HEIF, JPEG or PNG, not GIF.")


def test_a_photo_over_the_size_limit(client, language, settings):
    settings.INCISION_PHOTO_MAX_BYTES = 1024 * 1024
    buffer = io.BytesIO()
    Image.effect_noise((800, 800), 100).convert("RGB").save(buffer, format="PNG")
    photo = SimpleUploadedFile("IMG.png", buffer.getvalue(), content_type="image/png")
    assert (photo.size or 0) > 1024 * 1024
    answer = client.post("/api/v1/incision-checks/", {**incision(), "photo": photo}, format="multipart")
    assert answer.status_code == 400
    assert first_error(answer, "photo") == said(language, "La foto ocupa más de 1 MB.",
                                                "The photo is larger than 1 MB.")


def test_a_photo_with_too_many_pixels(client, language, settings):
    settings.INCISION_PHOTO_MAX_PIXELS = 1_000_000
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 1200)).save(buffer, format="PNG")
    photo = SimpleUploadedFile("IMG.png", buffer.getvalue(), content_type="image/png")
    answer = client.post("/api/v1/incision-checks/", {**incision(), "photo": photo}, format="multipart")
    assert answer.status_code == 400
    assert first_error(answer, "photo").startswith(
        said(language, "La foto tiene demasiados píxeles", "The photo has too many pixels"))


def test_a_body_nested_too_deeply(client, language):
    body = f'{{"client_id": "{uuid.uuid4()}", "pain_score": 3, "symptoms": {"[" * 50 + "]" * 50}}}'
    answer = post_raw(client, "/api/v1/checkins/", body)
    assert answer.status_code == 400
    assert first_error(answer, "symptoms") == said(
        language, "El cuerpo JSON está anidado a demasiada profundidad (como máximo 20 niveles).",
        "The JSON body is nested too deeply (at most 20 levels).")


def test_a_lone_surrogate(client, language):
    answer = post_raw(client, "/api/v1/checkins/", f'{{"client_id": "{uuid.uuid4()}", "pain_score": 3, '
                      '"note": "\\ud800"}')
    assert answer.status_code == 400
    assert first_error(answer, "note").startswith(said(language, "No es un texto válido", "Not valid text"))


def test_a_body_that_is_not_json(client, language):
    answer = post_raw(client, "/api/v1/checkins/", "{not json")
    assert answer.status_code == 400
    assert first_error(answer, "non_field_errors").startswith(
        said(language, "Error al analizar el JSON - ", "JSON parse error - "))


def test_a_body_too_large(client, language, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    answer = post_raw(client, "/api/v1/checkins/", '{"note": "' + "x" * (1024 * 1024) + '"}')
    assert answer.status_code == 413
    assert answer.json()["detail"] == said(language, "El cuerpo de la solicitud ocupa más de 1 MB.",
                                           "The request body is larger than 1 MB.")


def test_unregistering_an_unknown_device(client, language):
    answer = client.delete("/api/v1/devices/not-a-token/")
    assert answer.status_code == 404
    assert answer.json()["detail"] == said(language, "No encontrado.", "Not found.")


def test_registering_a_surgeons_enabled_device(client, language):
    surgeon = bearer(APIClient(), SurgeonFactory().user)
    assert surgeon.post("/api/v1/devices/", {"token": "shared-phone", "platform": "android"},
                        format="json").status_code == 201
    answer = client.post("/api/v1/devices/", {"token": "shared-phone", "platform": "android"}, format="json")
    assert answer.status_code == 409
    assert first_error(answer, "token").startswith(
        said(language, "Este token de notificaciones está registrado a otra cuenta",
             "This push token is registered to another account"))


# --- Before a login: the phone's language (Accept-Language) -------------------------------------

@pytest.mark.parametrize(("accept", "expected"), [
    ("es-MX,es;q=0.9", "Este código de activación no es válido: es desconocido, ya se usó o ha caducado."),
    ("en", "This activation code is not valid: it is unknown, already used or expired."),
    ("", "This activation code is not valid: it is unknown, already used or expired."),
])
def test_activation_with_an_unknown_code(accept, expected):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    answer = APIClient().post("/api/v1/auth/activate/", {"code": "NOPE-NOPE-NOPE", "username": "lucia",
                                                         "password": "a-long-unusual-passphrase"},
                              format="json", **headers)
    assert answer.status_code == 400 and answer.json() == {"code": [expected]}


@pytest.mark.parametrize(("accept", "expected"), [
    ("es", "El token está en la lista negra"),
    ("en", "Token is blacklisted"),
])
def test_refreshing_with_a_used_refresh_token(accept, expected):
    from recovery.services.sessions import token_pair

    refresh = token_pair(PatientFactory().user)["refresh"]
    assert APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json").status_code == 200
    answer = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json",
                              HTTP_ACCEPT_LANGUAGE=accept)
    assert answer.status_code == 401 and answer.json()["detail"] == expected


def test_a_wrong_password_is_answered_in_the_phones_language(api_client, patient, language):
    answer = api_client.post("/api/v1/auth/token/", {"username": patient.user.username, "password": "wrong"},
                             HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 401
    assert answer.json()["detail"] == said(language, "No se encontró ninguna cuenta activa con las credenciales dadas",
                                           "No active account found with the given credentials")


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/devices/"])
def test_a_refused_token_is_answered_in_the_phones_language(api_client, language, path):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    answer = api_client.post(path, {"token": "t" * 40, "platform": "android"}, format="json",
                             HTTP_ACCEPT_LANGUAGE=language) if "devices" in path else api_client.get(
        path, HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 401
    assert answer.json()["detail"] == said(language, "El token dado no es válido para ningún tipo de token",
                                           "Given token not valid for any token type")


def test_a_limit_message_follows_each_patients_language_in_turn(api_client):
    """DRF renders a limit's message lazily and keeps its first rendering: a validator shared between requests
    would answer every later patient in the language of the first one who went over the limit."""
    answers = []
    for language in (SPANISH, ENGLISH, SPANISH):
        patient = PatientFactory(enrolled=True, language=language)
        answer = bearer(APIClient(), patient.user).post("/api/v1/checkins/", checkin(pain_score=11), format="json")
        assert answer.status_code == 400
        answers.append(first_error(answer, "pain_score"))
    assert answers[1] == "Ensure this value is less than or equal to 10."
    assert answers[0] == answers[2] != answers[1] and "10" in answers[0]
