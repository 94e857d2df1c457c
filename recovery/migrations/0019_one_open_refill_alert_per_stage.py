# Written by hand on 2026-11-26. A refill alert is unique per (pump, due_date, stage) among OPEN alerts only
# (closed_at IS NULL): a closed alert belongs to a refill cycle that a recorded refill ended, and a later cycle
# whose next refill date falls on the same day must be raised again when missed. Data-safe: every existing
# row already satisfied the full constraint, so it satisfies the partial one; open rows still mean "raised in
# this cycle", closed rows stay as history. The new constraint is added before the old one is dropped (one
# transaction on PostgreSQL), so no moment is without one; the table is small (a row per missed stage).

from django.db import migrations, models
from django.db.migrations.exceptions import IrreversibleError


def shared_keys_refuse_going_back(apps, schema_editor):
    """Going back restores one alert per (pump, due_date, stage) over all alerts. Once a cycle was raised again on
    a date raised before, two rows share it: going back would have to delete alert history, so it is refused."""
    RefillAlert = apps.get_model("recovery", "RefillAlert")
    shared = (RefillAlert.objects.values("pump", "due_date", "stage").annotate(rows=models.Count("id"))
              .filter(rows__gt=1).count())
    if shared:
        raise IrreversibleError(
            f"{shared} (pump, due date, stage) keys have more than one refill alert (a cycle raised again on a date "
            "raised before): going back from 0019 would need to delete alert history.")


class Migration(migrations.Migration):

    dependencies = [
        ("recovery", "0018_audit_patient_kept"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="refillalert",
            constraint=models.UniqueConstraint(
                condition=models.Q(("closed_at__isnull", True)), fields=("pump", "due_date", "stage"),
                name="one_open_refill_alert_per_stage",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="refillalert",
            name="one_refill_alert_per_stage",
        ),
        # Going back only (it runs before the full constraint is added again).
        migrations.RunPython(migrations.RunPython.noop, shared_keys_refuse_going_back),
    ]
