# Written by hand on 2026-11-26; on PostgreSQL built without locking the outbox (notifications.online_schema).

from django.db import migrations, models

from notifications.online_schema import OnPostgreSQLInstead


def built_concurrently(schema_editor):
    """The partial index of failed and dead rows, built while claims, sweeps and reports keep writing pushes.

    A concurrent build that failed or was cancelled (a statement timeout, a lost connection) leaves an invalid
    index of that name behind, unrecorded: the next `migrate` drops it and builds it again, where IF NOT EXISTS
    alone would record the invalid one as done."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('notification_failed_or_dead')")
        found = cursor.fetchone()
    drop_invalid = ["DROP INDEX CONCURRENTLY IF EXISTS notification_failed_or_dead"] if found and not found[0] else []
    return [*drop_invalid, "CREATE INDEX CONCURRENTLY IF NOT EXISTS notification_failed_or_dead ON "
                           "notifications_notification (status) WHERE status IN ('failed', 'dead')"]


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
