"""Headers (issue 14): a Content-Security-Policy without inline code on the dashboard and the admin
(built once per process where a response has no policy of its own: issue 16), and `Cache-Control:
no-store` on every API answer and every dashboard page."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test import Client, RequestFactory, override_settings

from backend.middleware import ContentSecurityPolicyMiddleware
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


def _plain_view(_request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _nonce_view(request: Any) -> HttpResponse:
    return HttpResponse(f'<script nonce="{request.csp_nonce}"></script>')  # as a template asking for it


def _policy_of(middleware_class: Any, view: Callable[[Any], HttpResponseBase] = _plain_view) -> dict[str, str]:
    """The CSP headers `middleware_class` gives the answer of `view` to a plain GET."""
    answered = middleware_class(view)(RequestFactory().get("/api/v1/me/"))
    return {header: answered[header] for header in (HEADER, HEADER_REPORT_ONLY) if header in answered}


@pytest.mark.parametrize("page", ["/api/v1/me/", "/dashboard/login/", "/admin/login/"])
def test_the_policy_built_once_is_django_csps_own(client, page):
    ours = client.get(page)
    with override_settings(MIDDLEWARE=[m.replace("backend.middleware.ContentSecurityPolicyMiddleware",
                                                 "csp.middleware.CSPMiddleware") for m in settings.MIDDLEWARE]):
        theirs = Client().get(page)  # a new client: one loads its middleware once, at its first request
    assert "backend.middleware.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE
    assert directives(ours) == directives(theirs) and directives(ours)["default-src"] == ["'self'"]


def test_a_header_the_view_set_and_debug_pages_are_left_as_django_csp_leaves_them():
    def own_header(_request: HttpRequest) -> HttpResponse:
        response = HttpResponse()
        response[HEADER] = "default-src 'none'"
        return response

    assert _policy_of(ContentSecurityPolicyMiddleware, own_header)[HEADER] == "default-src 'none'"
    with override_settings(DEBUG=True):
        assert _policy_of(ContentSecurityPolicyMiddleware, lambda _request: HttpResponse(status=404)) == {}
    with override_settings(CONTENT_SECURITY_POLICY={**settings.CONTENT_SECURITY_POLICY,
                                                    "EXCLUDE_URL_PREFIXES": ["/api/"]}):
        assert _policy_of(ContentSecurityPolicyMiddleware) == {}


def test_a_response_with_its_own_policy_or_a_nonce_gets_django_csps_answer():
    updated = csp_update({"style-src": ["'unsafe-inline'"]})(_plain_view)  # as the API docs page
    assert "'unsafe-inline'" in _policy_of(ContentSecurityPolicyMiddleware, updated)[HEADER]
    assert HEADER not in _policy_of(ContentSecurityPolicyMiddleware, csp_exempt()(_plain_view))
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"script-src": ["'self'", NONCE]}}):
        assert "'nonce-" in _policy_of(ContentSecurityPolicyMiddleware, _nonce_view)[HEADER]
        assert "'nonce-" not in _policy_of(ContentSecurityPolicyMiddleware)[HEADER]


def test_changed_policy_settings_are_used_at_once():
    before = _policy_of(ContentSecurityPolicyMiddleware)
    report_only = {"DIRECTIVES": {"default-src": ["'none'"], "report-uri": "/csp-report/"}}
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}},
                           CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only):
        during = _policy_of(ContentSecurityPolicyMiddleware)
        assert during == _policy_of(CSPMiddleware)
    assert during[HEADER] == "default-src 'none'" and "report-uri /csp-report/" in during[HEADER_REPORT_ONLY]
    assert _policy_of(ContentSecurityPolicyMiddleware) == before != during


def test_a_nonce_asked_for_after_the_header_is_an_error():
    request: Any = RequestFactory().get("/api/v1/me/")
    ContentSecurityPolicyMiddleware(_plain_view)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
