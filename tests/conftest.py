"""Fixtures shared by the whole suite. Factories live in tests/factories.py."""
import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def back_to_the_latest_schema():
    """For a test that migrates back: the database fully migrated again for the tests that follow."""
    from tests.support import migrate_to_the_latest

    yield
    migrate_to_the_latest()


@pytest.fixture(autouse=True)
def api_answers_match_the_served_schema(monkeypatch):
    """Every answer under /api/v1/ that a test receives must be one the served OpenAPI schema describes."""
    from django.test import Client

    from tests.contract import check_response

    request = Client.request

    def checked_request(self, **kwargs):
        response = request(self, **kwargs)
        check_response(response)
        return response

    monkeypatch.setattr(Client, "request", checked_request)


@pytest.fixture(autouse=True)
def _broker_not_skipped() -> None:
    """Each test starts with no remembered broker failure (notifications/handoff.py)."""
    from notifications import handoff

    handoff.reset()
