"""factory_boy factories shared by every test module."""
from __future__ import annotations

import hashlib
import uuid
from datetime import time, timedelta

import factory
from django.utils import timezone

from recovery import models
from recovery.models import User
from notifications.models import Device


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")
    role = User.Role.STAFF

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class SurgeonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Surgeon

    user = factory.SubFactory(UserFactory, role=User.Role.SURGEON)
    display_name = factory.Sequence(lambda n: f"Dr. Surgeon {n}")


class PatientFactory(factory.django.DjangoModelFactory):
    """An activated patient (with a login); pass `user=None` for one not yet activated."""

    class Meta:
        model = models.Patient

    user = factory.SubFactory(UserFactory, role=User.Role.PATIENT)
    surgeon = factory.SubFactory(SurgeonFactory)
    display_name = factory.Sequence(lambda n: f"Patient {n}")
    surgery_date = factory.LazyFunction(lambda: timezone.now().date())
    timezone = "America/New_York"
    checkin_time = time(9, 0)


class PumpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Pump

    patient = factory.SubFactory(PatientFactory)
    kind = models.Pump.Kind.PROGRAMMABLE
    drug = models.Pump.Drug.MORPHINE
    next_refill_date = factory.LazyAttribute(lambda o: o.patient.surgery_date + timedelta(days=90))


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CheckIn

    patient = factory.SubFactory(PatientFactory)
    client_id = factory.LazyFunction(uuid.uuid4)
    local_date = factory.LazyAttribute(lambda o: o.patient.local_date())
    pain_score = 3


class IncisionCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.IncisionCheck

    patient = factory.SubFactory(PatientFactory)
    client_id = factory.LazyFunction(uuid.uuid4)
    local_date = factory.LazyAttribute(lambda o: o.patient.local_date())
    site = models.IncisionCheck.Site.ABDOMEN


class WarningReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.WarningReport

    patient = factory.SubFactory(PatientFactory)
    client_id = factory.LazyFunction(uuid.uuid4)
    local_date = factory.LazyAttribute(lambda o: o.patient.local_date())
    symptoms = factory.LazyFunction(lambda: ["fever"])


class EscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Escalation

    warning_report = factory.SubFactory(WarningReportFactory, symptoms=["difficulty_breathing"])
    patient = factory.SelfAttribute("warning_report.patient")
    assigned_surgeon = factory.SelfAttribute("patient.surgeon")
    level = models.TriageLevel.EMERGENCY
    reasons = factory.LazyFunction(lambda: ["difficulty_breathing"])
    ack_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15))


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    user = factory.SubFactory(UserFactory, role=User.Role.SURGEON)
    token = factory.Sequence(lambda n: f"device-token-{n}-" + "x" * 40)
    token_digest = factory.LazyAttribute(lambda o: hashlib.sha256(o.token.encode()).hexdigest())
    platform = Device.Platform.ANDROID


class PatientMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PatientMessage

    patient = factory.SubFactory(PatientFactory)
    kind = models.PatientMessage.Kind.CARE_TEAM
    title = factory.Sequence(lambda n: f"Message {n}")
    body = "Remember to wear your binder."
