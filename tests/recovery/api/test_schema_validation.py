"""The hook of tests/conftest.py fails a test whose API answer the served schema does not describe."""
from __future__ import annotations

import json

import pytest
from django.http import JsonResponse

from recovery.api import serializers as s
from tests.contract import SchemaMismatch, check_response

pytestmark = pytest.mark.django_db


def test_every_api_answer_in_the_suite_goes_through_the_check(patient_client, monkeypatch):
    monkeypatch.setattr(s.PatientProfileSerializer, "get_recovery_day", lambda self, patient: "three")
    with pytest.raises(SchemaMismatch, match="recovery_day"):
        patient_client.get("/api/v1/me/")


def test_a_field_of_the_wrong_type_fails(patient_client):
    response = patient_client.get("/api/v1/me/")
    body = response.json()
    body["checkin_time"] = "9 o'clock"
    response.content = json.dumps(body).encode()
    with pytest.raises(SchemaMismatch, match="checkin_time"):
        check_response(response)


def test_an_unknown_symptom_code_in_an_answer_fails(patient_client):
    response = patient_client.post("/api/v1/warning-reports/", {
        "client_id": "5b0c8f4e-8d47-4a53-9a55-2f7f2c4a9b11", "symptoms": ["fever"]})
    body = response.json()
    body["symptoms"] = ["sneezing"]
    response.content = json.dumps(body).encode()
    with pytest.raises(SchemaMismatch, match="sneezing"):
        check_response(response)


def test_an_undocumented_status_fails(patient_client):
    response = patient_client.get("/api/v1/me/")
    response.status_code = 418
    with pytest.raises(SchemaMismatch):
        check_response(response)


def test_an_error_without_the_json_detail_body_fails(patient_client):
    response = patient_client.get("/api/v1/surgeon/inbox/")
    assert response.status_code == 403
    response.content = b"<h1>Forbidden</h1>"
    response["Content-Type"] = "text/html"
    with pytest.raises(SchemaMismatch):
        check_response(response)


def test_an_html_404_on_an_unknown_api_path_fails(api_client):
    response = api_client.get("/api/v1/no-such-thing/")
    html = JsonResponse({}, status=404)
    html.content = b"<h1>Not Found</h1>"
    html.wsgi_request = response.wsgi_request  # type: ignore[attr-defined]  # as the test client sets it
    html["Content-Type"] = "text/html"
    with pytest.raises(SchemaMismatch):
        check_response(html)
