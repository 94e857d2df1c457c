"""One error format under /api/: JSON always, `{field: [...]}` for bad input, `{detail}` otherwise."""
from __future__ import annotations

import json
import uuid

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from recovery import selectors
from recovery.models import CheckIn, PatientMessage, WarningReport
from tests.support import bearer

pytestmark = pytest.mark.django_db


def test_a_body_that_is_not_json_is_400_naming_non_field_errors_and_stores_nothing(patient_client):
    response = patient_client.post("/api/v1/checkins/", data='{"pain_score": 3,', content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["non_field_errors"] and "JSON parse error" in body["non_field_errors"][0]
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_are_400_not_stored_as_text(patient_client, constant):
    body = f'{{"client_id": "{uuid.uuid4()}", "pain_score": 3, "note": {constant}}}'
    response = patient_client.post("/api/v1/checkins/", data=body, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["non_field_errors"]
    assert CheckIn.objects.count() == 0


def test_a_json_array_instead_of_an_object_is_400_naming_non_field_errors(patient_client):
    response = patient_client.post("/api/v1/checkins/", data="[1, 2]", content_type="application/json")
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_a_form_encoded_body_is_415_json_where_the_contract_says_json(patient_client):
    response = patient_client.post("/api/v1/checkins/", data="pain_score=3",
                                   content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json" and "detail" in response.json()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_json_body_over_the_upload_limit_is_413_json_and_stores_nothing(patient_client):
    body = json.dumps({"client_id": str(uuid.uuid4()), "pain_score": 3, "note": "x" * 20_000})
    response = patient_client.post("/api/v1/checkins/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert CheckIn.objects.count() == 0


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
def test_a_multipart_body_whose_fields_exceed_the_upload_limit_is_413_json(patient_client):
    response = patient_client.post("/api/v1/incision-checks/", data={
        "client_id": str(uuid.uuid4()), "site": "back", "note": "x" * 20_000}, format="multipart")
    assert response.status_code == 413 and "detail" in response.json()


def test_a_ten_megabyte_body_is_413_json(patient_client):
    body = json.dumps({"client_id": str(uuid.uuid4()), "pain_score": 3, "note": "x" * (10 * 1024 * 1024)})
    response = patient_client.post("/api/v1/checkins/", data=body, content_type="application/json")
    assert response.status_code == 413 and "detail" in response.json()


AUTH_PATHS = ["/api/v1/auth/token/", "/api/v1/auth/activate/", "/api/v1/auth/token/refresh/", "/api/v1/auth/logout/"]


def cache_failures_logged(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if "throttle_cache_unavailable" in record.getMessage()]


@pytest.mark.parametrize("path", AUTH_PATHS)
def test_a_body_that_is_not_json_on_the_rate_limited_endpoints_is_the_parse_error_not_a_cache_failure(
        api_client, path, caplog):
    """Their rate limits read the body for their key: its parse error is the client's 400, not a field said to be
    missing, nor a Redis outage in the logs."""
    response = api_client.post(path, data='{"username": "ada", "password": ', content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert "JSON parse error" in response.json()["non_field_errors"][0]
    assert cache_failures_logged(caplog) == []


@pytest.mark.parametrize("path", AUTH_PATHS)
def test_a_ten_megabyte_body_on_the_rate_limited_endpoints_is_413_and_no_cache_failure(api_client, path, caplog):
    body = json.dumps({"username": "ada", "code": "x", "refresh": "x", "password": "x" * (10 * 1024 * 1024)})
    response = api_client.post(path, data=body, content_type="application/json")
    assert response.status_code == 413 and "detail" in response.json()
    assert cache_failures_logged(caplog) == []


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v2/me/", "/api/", "/api/v1/surgeon/patients/abc/"])
def test_an_unknown_path_under_api_is_404_json(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json() == {"detail": "Not found."}


@override_settings(DEBUG=True)
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v2/me/", "/api/"])
def test_an_unknown_path_under_api_is_404_json_also_in_debug(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json() == {"detail": "Not found."}


@override_settings(DEBUG=True)
def test_in_debug_an_unknown_path_outside_api_keeps_djangos_technical_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_an_unknown_path_outside_api_keeps_djangos_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and not response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/api/v1/checkins", {"pain_score": 3}),
    ("post", "/api/v1/warning-reports", {"symptoms": ["seizure"]}),
    ("post", "/api/v1/messages", {"body": "Hello"}),
])
def test_a_report_to_a_path_without_its_trailing_slash_is_404_json_not_a_redirect(patient_client, settings, debug,
                                                                                   method, path, body):
    # It was a 301 that phone clients follow with a GET (the report lost behind a 200 list of check-ins),
    # and in DEBUG a 500 HTML page.
    settings.DEBUG = debug
    response = getattr(patient_client, method)(path, {"client_id": str(uuid.uuid4()), **body}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json() == {"detail": "Not found."}
    assert CheckIn.objects.count() == 0 and WarningReport.objects.count() == 0 and PatientMessage.objects.count() == 0


def test_a_settings_change_to_a_path_without_its_trailing_slash_is_404_json_and_changes_nothing(patient_client,
                                                                                              patient):
    response = patient_client.patch("/api/v1/me", {"timezone": "Europe/Paris"}, format="json")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    patient.refresh_from_db()
    assert patient.timezone == "America/New_York"


def test_a_wrong_method_is_405_json(patient_client):
    response = patient_client.delete("/api/v1/me/")
    assert response.status_code == 405 and "detail" in response.json()


def test_a_browser_gets_json(patient_client):
    response = patient_client.get("/api/v1/me/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_asking_for_html_only_is_406_json(patient_client):
    response = patient_client.get("/api/v1/me/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json" and "detail" in response.json()


def test_a_server_error_under_api_is_500_json_and_logged(patient, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "timeline_of", broken)
    client = bearer(APIClient(raise_request_exception=False), patient.user)
    with caplog.at_level("ERROR", logger="django.request"):
        response = client.get("/api/v1/timeline/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json" and "detail" in response.json()
    assert "database on fire" not in response.content.decode()
    assert any(record.status_code == 500 for record in caplog.records if hasattr(record, "status_code"))
