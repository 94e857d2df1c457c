"""The browser's middlewares (session, the session's login, flash messages) serve the dashboard, the admin and
the API docs, and leave the bearer-token API under /api/v1/ alone (backend.middleware.BrowserOnly)."""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from recovery.models import User
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def session_reads(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "django_session" in query["sql"]]


def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(role=User.Role.STAFF, is_staff=True))
    return client


def test_a_token_api_request_never_reads_the_browser_session():
    client, patient = staff_client(), PatientFactory()
    assert patient.user is not None
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(patient.user)}")
    assert response.status_code == 200 and response.json()["id"] == patient.id  # the token's user, not the session's
    assert session_reads(queries) == []
    assert not response.cookies
    # The staff member's session cookie alone is no login to the API.
    assert client.get("/api/v1/me/").status_code == 401


def test_the_api_docs_outside_v1_still_log_in_with_the_session(settings):
    settings.API_DOCS_PUBLIC = False
    client = staff_client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/schema/")
    assert response.status_code == 200
    assert session_reads(queries)
