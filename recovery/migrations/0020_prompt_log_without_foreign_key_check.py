# Written by hand on 2026-11-26. PromptLog's patient keeps its column and the unique key that starts with it; the
# foreign key constraint goes (recovery.models.PromptLog; bench/README.md, "Thirteenth pass"). On PostgreSQL this
# drops the constraint only: no row is rewritten and no index rebuilt.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recovery", "0019_one_open_refill_alert_per_stage"),
    ]

    operations = [
        migrations.AlterField(
            model_name="promptlog",
            name="patient",
            field=models.ForeignKey(db_constraint=False, db_index=False,
                                    on_delete=django.db.models.deletion.CASCADE, related_name="prompt_logs",
                                    to="recovery.patient"),
        ),
        # Going back only (it runs before the key is added again): rows naming a patient deleted since are deleted,
        # as the constraint's cascade would have done, or PostgreSQL could not check the restored key against them.
        migrations.RunSQL(
            migrations.RunSQL.noop,
            reverse_sql="DELETE FROM recovery_promptlog WHERE NOT EXISTS "
                        "(SELECT 1 FROM recovery_patient p WHERE p.id = recovery_promptlog.patient_id)",
        ),
    ]
