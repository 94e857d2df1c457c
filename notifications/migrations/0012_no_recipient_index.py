# Written by hand on 2026-11-26; on PostgreSQL without locking the outbox (notifications.online_schema).
#
# The outbox's recipient index goes. No query looks pushes up by recipient alone: a user's deletion reaches their
# pushes through their devices (every push's recipient is its device's owner: the pair key of 0010), and the
# admin's exact search by recipient id compares the id as text, which no index serves. Each push wrote an entry
# here at its insert and again at its update to "sent" (bench/README.md, "Thirteenth pass").

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from notifications.online_schema import OnPostgreSQLInstead, drop_plain_indexes, index_built_concurrently

OUTBOX = "notifications_notification"
# The name Django gave it (0002_initial): going back builds it again under that name.
RECIPIENT_INDEX = "notifications_notification_recipient_id_d055f3f0"


def recipient_index_built_again(schema_editor):
    return index_built_concurrently(schema_editor, RECIPIENT_INDEX, f"CREATE INDEX CONCURRENTLY IF NOT EXISTS "
                                    f"{RECIPIENT_INDEX} ON {OUTBOX} (recipient_id)")


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY, CREATE INDEX CONCURRENTLY

    dependencies = [
        ("notifications", "0011_topic_index_of_topics_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        OnPostgreSQLInstead([
            migrations.AlterField(
                model_name="notification",
                name="recipient",
                field=models.ForeignKey(db_constraint=False, db_index=False,
                                        on_delete=django.db.models.deletion.DO_NOTHING, related_name="notifications",
                                        to=settings.AUTH_USER_MODEL),
            ),
        ], postgresql=drop_plain_indexes([OUTBOX], ["recipient_id"]), postgresql_backwards=recipient_index_built_again),
    ]
