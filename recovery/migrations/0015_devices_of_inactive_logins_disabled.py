# Written by hand on 2026-11-26.

from django.db import migrations
from django.utils import timezone

DEACTIVATED = "login_deactivated"  # recovery.signals.DEACTIVATED, as of this migration


def devices_of_inactive_logins_are_disabled(apps, schema_editor):
    """Logins deactivated before deactivation disabled their devices (recovery.signals) kept them enabled, and a
    lost or stolen phone kept being pushed: disabled now, as a deactivation would have. A reactivated login's
    app re-enables its device when it registers its token again."""
    Device = apps.get_model("notifications", "Device")
    Device.objects.filter(user__is_active=False, disabled_at__isnull=True).update(
        disabled_at=timezone.now(), disabled_reason=DEACTIVATED
    )


class Migration(migrations.Migration):

    dependencies = [
        ("recovery", "0014_audit_actor_kept"),
        ("notifications", "0011_topic_index_of_topics_only"),
    ]

    operations = [
        migrations.RunPython(devices_of_inactive_logins_are_disabled, migrations.RunPython.noop),
    ]
