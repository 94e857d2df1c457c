"""The data migration that disables the push devices of logins deactivated before deactivation did so
(recovery/migrations/0015): a lost phone of such a login is pushed no more."""
from __future__ import annotations

import pytest
from django.utils import timezone

from tests.support import migrate

NOTIFICATIONS = ("notifications", "0011_topic_index_of_topics_only")
BEFORE = [("recovery", "0014_audit_actor_kept"), NOTIFICATIONS]
AFTER = [("recovery", "0015_devices_of_inactive_logins_disabled"), NOTIFICATIONS]

pytestmark = pytest.mark.usefixtures("back_to_the_latest_schema")


@pytest.mark.django_db(transaction=True)
def test_the_devices_of_inactive_logins_are_disabled_and_the_others_left_alone():
    apps = migrate(BEFORE)
    User = apps.get_model("recovery", "User")
    Device = apps.get_model("notifications", "Device")
    gone = User.objects.create(username="left.programme", role="patient", is_active=False)
    active = User.objects.create(username="still.here", role="patient")
    unregistered_at = timezone.now()

    def device(user, n, **kwargs):
        return Device.objects.create(user=user, token=f"t{n}", token_digest=f"{n:064d}", platform="ios", **kwargs)

    lost_phone = device(gone, 1)
    logged_out = device(gone, 2, disabled_at=unregistered_at, disabled_reason="unregistered")
    working = device(active, 3)

    apps = migrate(AFTER)
    Device = apps.get_model("notifications", "Device")

    assert Device.objects.get(pk=lost_phone.pk).disabled_reason == "login_deactivated"
    assert Device.objects.get(pk=lost_phone.pk).disabled_at is not None
    assert (Device.objects.get(pk=logged_out.pk).disabled_reason,
            Device.objects.get(pk=logged_out.pk).disabled_at) == ("unregistered", unregistered_at)
    assert Device.objects.get(pk=working.pk).disabled_at is None
