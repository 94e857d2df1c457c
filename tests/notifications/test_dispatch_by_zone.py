"""The periodic dispatcher spreads a dispatch over bulk tasks, one per time zone, on a real Celery worker
and Redis: every zone's patients are reminded once, for the same moment, as the in-process dispatch would."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from recovery.models import PromptLog
from recovery.services.pushes import PushKind
from recovery.tasks import dispatch_reminders
from tests.factories import DeviceFactory, PatientFactory
from tests.support import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ZONES = ("Europe/Madrid", "America/Chicago", "Asia/Tokyo")


def test_the_periodic_dispatch_queues_one_task_per_zone_and_reminds_every_zone_once(fcm_standin, worker, settings):
    settings.REMINDER_QUIET_START = ""  # whatever the hour of the run, every zone is awake
    # surgery a week ago: today in every zone is after it (check-in prompts start on surgery day)
    surgery = timezone.localdate() - timedelta(days=7)
    patients = [PatientFactory(enrolled=True, timezone=zone, checkin_time=time(0, 0), surgery_date=surgery)
                for zone in ZONES for _ in "ab"]
    for patient in patients:
        DeviceFactory(user=patient.user)

    dispatch_reminders.delay()
    prompts = PromptLog.objects.filter(kind=PushKind.CHECKIN_PROMPT)
    wait_for(lambda: prompts.count() == len(patients), what="a check-in prompt for every patient")
    sent = wait_for(lambda: len(fcm_standin.sent_messages()) == len(patients) and fcm_standin.sent_messages(),
                    what="every prompt at the stand-in")
    assert sorted(message["data"]["patient_id"] for message in sent) == sorted(str(p.pk) for p in patients)

    dispatch_reminders.delay()  # the next minute's run: nothing more for today
    wait_for(lambda: not Notification.objects.exclude(status=Notification.Status.SENT).exists(), what="all sent")
    # one push per patient (a zone already in its evening gets the prompt and the missing-check-in reminder
    # combined), none again on the second run
    assert Notification.objects.count() == len(patients) == len(fcm_standin.sent_messages())
    assert set(prompts.values_list("patient__timezone", flat=True)) == set(ZONES)
