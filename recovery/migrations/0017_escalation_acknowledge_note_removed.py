# Written by hand on 2026-11-26. The case's one acknowledge_note, carried over into AcknowledgementNote by 0016.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("recovery", "0016_acknowledgement_notes"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="escalation",
            name="acknowledge_note",
        ),
    ]
