# Written by hand on 2026-11-26; on PostgreSQL built without locking the outbox (notifications.online_schema).
#
# The topic index keeps only the rows that have a topic (escalation pushes). Reminders, 100,000 rows a day in a
# large clinic's fan-out, have none: each was an entry under '' written at its insert and again at its update
# to "sent", in an index no query reads them by.

from django.db import migrations, models

from notifications.online_schema import OnPostgreSQLInstead, index_built_concurrently

OUTBOX = "notifications_notification"
INDEX, NEW = "notification_topic", "notification_topic_rebuilt"


def rebuilt_as(condition: str):
    """Statements replacing the topic index by one `WHERE condition` (or a whole one for ""): built concurrently
    under another name, the old one dropped concurrently, the new one renamed. Each step can be repeated, so a
    `migrate` run again after an interruption goes on from where it stopped."""
    where = f" WHERE {condition}" if condition else ""

    def statements(schema_editor):
        return [
            *index_built_concurrently(schema_editor, NEW, f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NEW} "
                                      f"ON {OUTBOX} (topic){where}"),
            f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}",
            f"ALTER INDEX {NEW} RENAME TO {INDEX}",
        ]
    return statements


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [
        ("notifications", "0010_one_foreign_key_per_push"),
    ]

    operations = [
        OnPostgreSQLInstead([
            migrations.RemoveIndex(model_name="notification", name="notification_topic"),
            migrations.AddIndex(
                model_name="notification",
                index=models.Index(condition=models.Q(("topic", ""), _negated=True), fields=["topic"],
                                   name="notification_topic"),
            ),
        ], postgresql=rebuilt_as("topic <> ''"), postgresql_backwards=rebuilt_as("")),
    ]
