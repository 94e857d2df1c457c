# Written by hand on 2026-11-26; on PostgreSQL built without locking the outbox (notifications.online_schema).

from django.db import migrations, models

from notifications.online_schema import OnPostgreSQLInstead, index_built_concurrently


def built_concurrently(schema_editor):
    """The partial index of failed and dead rows, built while claims, sweeps and reports keep writing pushes (an
    invalid leftover of a cancelled build is built again: online_schema.index_built_concurrently)."""
    return index_built_concurrently(
        schema_editor, "notification_failed_or_dead", "CREATE INDEX CONCURRENTLY IF NOT EXISTS notification_failed_or_dead "
        "ON notifications_notification (status) WHERE status IN ('failed', 'dead')")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [
        ("notifications", "0008_escalation_pushes_on_the_urgent_queue"),
    ]

    operations = [
        OnPostgreSQLInstead([
            migrations.AddIndex(
                model_name="notification",
                index=models.Index(condition=models.Q(("status__in", ["failed", "dead"])), fields=["status"],
                                   name="notification_failed_or_dead"),
            ),
        ], postgresql=built_concurrently),
    ]
