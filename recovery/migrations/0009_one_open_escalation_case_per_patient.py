from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("recovery", "0008_escalations_into_cases")]

    operations = [
        migrations.AddConstraint(
            model_name="escalation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("resolved_at__isnull", True)), fields=("patient",),
                name="one_open_escalation_case_per_patient",
            ),
        ),
    ]
