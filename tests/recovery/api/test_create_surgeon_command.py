"""manage.py create_surgeon: the bootstrap of a surgeon account named in shared/API.md."""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from recovery.models import Surgeon, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_creates_a_surgeon_who_can_log_in_to_the_api(api_client):
    call_command(
        "create_surgeon", "--username", "drgrey", "--password", "Scalpel-Orchid-77", "--email", "g@example.org"
    )
    surgeon = Surgeon.objects.select_related("user").get()
    user = surgeon.user
    assert (user.username, user.email, user.role) == ("drgrey", "g@example.org", User.Role.SURGEON)
    response = api_client.post("/api/v1/auth/token/", {"username": "drgrey", "password": "Scalpel-Orchid-77"})
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get("/api/v1/surgeon/inbox/").status_code == 200


def test_refuses_a_taken_username():
    UserFactory(username="drgrey")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_surgeon", "--username", "DrGrey", "--password", "Scalpel-Orchid-77")
    assert not Surgeon.objects.exists()


def test_refuses_a_weak_password():
    with pytest.raises(CommandError, match="Password refused"):
        call_command("create_surgeon", "--username", "drgrey", "--password", "123")
    assert not User.objects.exists()
