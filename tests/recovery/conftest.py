"""Fixtures of the recovery tests."""
from __future__ import annotations

import pytest

from tests.factories import UserFactory


@pytest.fixture
def staff_client(client):
    """The test client logged in as a superuser of the admin (`client.admin_user`)."""
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    client.admin_user = admin_user
    return client
