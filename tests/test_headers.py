"""Headers (issue 14): a Content-Security-Policy without inline code on the dashboard and the admin,
and `Cache-Control: no-store` on every API answer and every dashboard page."""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from recovery.models import User
from tests.factories import PatientFactory, SurgeonFactory, UserFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db


def directives(response: Any) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.fixture
def surgeon_client() -> Client:
    client = Client()
    client.force_login(SurgeonFactory().user)
    return client


@pytest.mark.parametrize("page", ["/dashboard/", "/dashboard/patients/", "/dashboard/patients/new/",
                                  "/dashboard/login/"])
def test_dashboard_pages_have_a_csp_without_inline_code(surgeon_client, page):
    response = (Client() if page.endswith("login/") else surgeon_client).get(page)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    html = response.content.decode()
    assert "<script>" not in html and "<style" not in html and " onclick=" not in html and " onchange=" not in html


def test_admin_pages_have_the_csp(client):
    client.force_login(UserFactory(role=User.Role.STAFF, is_staff=True, is_superuser=True))
    for page in ("/admin/login/", "/admin/", "/admin/recovery/patient/"):
        response = client.get(page, follow=True)
        assert "unsafe-inline" not in response["Content-Security-Policy"], page
        assert directives(response)["script-src"] == ["'self'"]


def test_a_patient_page_is_not_stored(surgeon_client):
    surgeon = User.objects.get(role=User.Role.SURGEON).surgeon
    patient = PatientFactory(enrolled=True, surgeon=surgeon)
    response = surgeon_client.get(f"/dashboard/patients/{patient.pk}/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("page", ["/dashboard/", "/dashboard/patients/", "/dashboard/login/"])
def test_dashboard_pages_are_not_stored(surgeon_client, page):
    response = surgeon_client.get(page)
    assert response.status_code in (200, 302) and "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/checkins/", "/api/v1/timeline/", "/api/v1/nothing-here/"])
def test_api_answers_are_not_stored(api_client, path):
    response = bearer(api_client, PatientFactory(enrolled=True).user).get(path)
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_error_and_login_answers_are_not_stored(api_client):
    for response in (api_client.get("/api/v1/me/"),
                     api_client.post("/api/v1/auth/token/", {"username": "x", "password": "y"})):
        assert "no-store" in response["Cache-Control"]
