"""Fixtures of the dashboard tests: a logged-in surgeon's browser session (Django test client)."""
import pytest
from django.test import Client

from tests.factories import SurgeonFactory


@pytest.fixture
def surgeon(db):
    return SurgeonFactory()


@pytest.fixture
def surgeon_client(surgeon) -> Client:
    client = Client()
    client.force_login(surgeon.user)
    return client
