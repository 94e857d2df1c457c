"""Pumps stored before refill data existed have a next refill date but no alarm date: give them the
one the refill formula implies (alarm_date = next_refill_date + 7 days), so the refill safety net also
raises their alarm-date stage."""
from datetime import timedelta

from django.db import migrations
from django.db.models import F


def set_alarm_dates(apps, schema_editor):
    Pump = apps.get_model("recovery", "Pump")
    Pump.objects.filter(next_refill_date__isnull=False, alarm_date__isnull=True).update(
        alarm_date=F("next_refill_date") + timedelta(days=7)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0004_pump_life"),
    ]

    operations = [
        migrations.RunPython(set_alarm_dates, migrations.RunPython.noop),
    ]
