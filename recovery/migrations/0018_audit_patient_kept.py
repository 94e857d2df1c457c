# Written by hand on 2026-11-26. An audit event keeps the id of the patient it is about when the patient is
# deleted (it was set to NULL, and the trail no longer said whose records were read). On PostgreSQL this
# drops the foreign key constraint only (the column and its indexes stay, no row is rewritten): instant on a
# big audit table. Rows set to NULL before this stay NULL (their object_id names the patient when object_type
# is recovery.Patient).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recovery", "0017_escalation_acknowledge_note_removed"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="patient",
            field=models.ForeignKey(blank=True, db_constraint=False, null=True,
                                    on_delete=django.db.models.deletion.DO_NOTHING, related_name="audit_events",
                                    to="recovery.patient"),
        ),
        # Going back only (it runs before the key is added again): the ids of patients deleted since are set to
        # NULL, as the old rule did, or PostgreSQL could not check the restored key against them.
        migrations.RunSQL(
            migrations.RunSQL.noop,
            reverse_sql="UPDATE recovery_auditevent SET patient_id = NULL WHERE patient_id IS NOT NULL AND NOT "
                        "EXISTS (SELECT 1 FROM recovery_patient p WHERE p.id = recovery_auditevent.patient_id)",
        ),
    ]
