"""Fixtures shared by the whole suite. Factories live in tests/factories.py."""
import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
