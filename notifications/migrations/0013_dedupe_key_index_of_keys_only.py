# Written by hand on 2026-11-26; on PostgreSQL built without locking the outbox (notifications.online_schema).
#
# The dedupe key's unique index keeps only the rows that have a key. The reminder dispatch makes its pushes at most
# once through PromptLog's unique key and writes them without one: 100,000 rows a day in a large clinic's fan-out,
# each an entry here at its insert and another at its update to "sent", both with a uniqueness probe
# (bench/README.md, "Fourteenth pass").
#
# The writers of this release name the index's predicate in ON CONFLICT, which infers the old whole index as well
# as the new one. A process of the previous release says ON CONFLICT (dedupe_key) alone, which only the whole index
# answers: restart every web and worker process with this release before or as this migration runs.

from django.db import migrations, models

from notifications.online_schema import OnPostgreSQLInstead, index_built_concurrently

OUTBOX = "notifications_notification"
INDEX, NEW = "notification_dedupe_key", "notification_dedupe_key_rebuilt"


def rebuilt(keys_only: bool):
    """Statements replacing the unique dedupe key by one of the rows with a key (`keys_only`) or by the whole table's
    unique constraint again: the new index built concurrently under another name, the old one dropped, the new one
    renamed (or made the constraint). Each step can be repeated: a `migrate` run again after an interruption goes on
    from where it stopped, and one that finds the index it should build already in place does nothing."""
    where = " WHERE dedupe_key IS NOT NULL" if keys_only else ""

    def statements(schema_editor):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indpred IS NOT NULL, EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "FROM pg_index i WHERE i.indexrelid = to_regclass(%s)", [INDEX])
            found = cursor.fetchone()
        partial, constraint = found if found else (None, False)
        if found and partial == keys_only:
            return []
        drop_old = (f"ALTER TABLE {OUTBOX} DROP CONSTRAINT IF EXISTS {INDEX}" if constraint
                    else f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
        take_name = (f"ALTER INDEX {NEW} RENAME TO {INDEX}" if keys_only
                     else f"ALTER TABLE {OUTBOX} ADD CONSTRAINT {INDEX} UNIQUE USING INDEX {NEW}")
        return [
            *index_built_concurrently(schema_editor, NEW, f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {NEW} "
                                      f"ON {OUTBOX} (dedupe_key){where}"),
            drop_old,
            take_name,
        ]
    return statements


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [
        ("notifications", "0012_no_recipient_index"),
    ]

    operations = [
        OnPostgreSQLInstead([
            migrations.RemoveConstraint(model_name="notification", name="notification_dedupe_key"),
            migrations.AddConstraint(
                model_name="notification",
                constraint=models.UniqueConstraint(condition=models.Q(("dedupe_key__isnull", False)),
                                                   fields=("dedupe_key",), name="notification_dedupe_key"),
            ),
        ], postgresql=rebuilt(keys_only=True), postgresql_backwards=rebuilt(keys_only=False)),
    ]
