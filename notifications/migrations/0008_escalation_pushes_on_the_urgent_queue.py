# Written by hand on 2026-11-25.

from django.db import migrations

ESCALATION_CATEGORIES = ["emergency", "urgent"]
DUE = ["pending", "failed"]


def due_escalation_rows_are_urgent(apps, schema_editor):
    """Rows written on the bulk queue although their category is an escalation's (escalation_updated
    pushes were): still due, they move to the urgent queue, where the urgent workers and sweep take them.
    A few rows at most; the due index (queue, next_attempt_at) finds them."""
    Notification = apps.get_model("notifications", "Notification")
    Notification.objects.filter(queue="bulk", status__in=DUE, category__in=ESCALATION_CATEGORIES).update(
        queue="urgent"
    )


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0007_fewer_indexes_per_push"),
    ]

    operations = [
        migrations.RunPython(due_escalation_rows_are_urgent, migrations.RunPython.noop),
    ]
