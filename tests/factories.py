"""factory_boy factories shared by every test module.

`PatientFactory(enrolled=True)` is a patient as enrollment leaves them: with a pump and a recovery plan.
"""
from __future__ import annotations

import hashlib
import uuid
from datetime import time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import factory
from django.db import models as db_models
from django.utils import timezone

from notifications.models import Device
from recovery import models
from recovery.models import User
from recovery.services.plans import create_recovery_plan

PASSWORD = "correct-horse-battery"  # every UserFactory login's

ModelT = TypeVar("ModelT", bound=db_models.Model)


class ModelFactory(factory.django.DjangoModelFactory[ModelT]):
    """A Django model factory whose call is typed as returning the model (factory_boy's is untyped)."""

    class Meta:
        abstract = True

    if TYPE_CHECKING:
        def __new__(cls, *args: Any, **kwargs: Any) -> ModelT: ...  # type: ignore[misc]


class UserFactory(ModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    role = User.Role.STAFF

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class SurgeonFactory(ModelFactory[models.Surgeon]):
    class Meta:
        model = models.Surgeon

    user = factory.SubFactory(UserFactory, role=User.Role.SURGEON)
    display_name = factory.Sequence(lambda n: f"Dr. Surgeon {n}")


class NurseFactory(ModelFactory[models.Nurse]):
    """A nurse in the team of one surgeon (pass `teams=[...]` for others)."""

    class Meta:
        model = models.Nurse
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=User.Role.NURSE)
    display_name = factory.Sequence(lambda n: f"Nurse {n}")

    @factory.post_generation
    def teams(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.teams.set(extracted if extracted is not None else [SurgeonFactory()])


def local_today(zone_name: str) -> Any:
    """Today in `zone_name`, or UTC's for a name that is not a zone (a test of that validation)."""
    try:
        return timezone.now().astimezone(ZoneInfo(zone_name)).date()
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return timezone.now().date()


class PatientFactory(ModelFactory[models.Patient]):
    """An activated patient (with a login); pass `user=None` for one not yet activated, `enrolled=True` for
    one with the pump and recovery plan that enrollment creates."""

    class Meta:
        model = models.Patient
        skip_postgeneration_save = True

    class Params:
        enrolled = factory.Trait(
            pump=factory.RelatedFactory("tests.factories.PumpFactory", factory_related_name="patient"),
            recovery_plan=factory.PostGeneration(
                lambda patient, create, _extracted, **_kwargs: create_recovery_plan(patient) if create else None
            ),
        )

    user = factory.SubFactory(UserFactory, role=User.Role.PATIENT)
    surgeon = factory.SubFactory(SurgeonFactory)
    display_name = factory.Sequence(lambda n: f"Patient {n}")
    # The patient's own today (not UTC's): from 00:00 UTC until New York's midnight, UTC's date is tomorrow
    # there, and the patient was a day before surgery (no restrictions in force, the checklist not lapsed).
    surgery_date = factory.LazyAttribute(lambda o: local_today(o.timezone))
    timezone = "America/New_York"
    checkin_time = time(9, 0)


class PumpFactory(ModelFactory[models.Pump]):
    class Meta:
        model = models.Pump

    patient = factory.SubFactory(PatientFactory)
    kind = models.Pump.Kind.PROGRAMMABLE
    drug = models.Pump.Drug.MORPHINE
    next_refill_date = factory.LazyAttribute(lambda o: o.patient.surgery_date + timedelta(days=90))


class CheckInFactory(ModelFactory[models.CheckIn]):
    class Meta:
        model = models.CheckIn

    patient = factory.SubFactory(PatientFactory)
    client_id = factory.LazyFunction(uuid.uuid4)
    local_date = factory.LazyAttribute(lambda o: o.patient.local_date())
    pain_score = 3


class IncisionCheckFactory(ModelFactory[models.IncisionCheck]):
    class Meta:
        model = models.IncisionCheck

    patient = factory.SubFactory(PatientFactory)
    client_id = factory.LazyFunction(uuid.uuid4)
    local_date = factory.LazyAttribute(lambda o: o.patient.local_date())
    site = models.IncisionCheck.Site.ABDOMEN


class WarningReportFactory(ModelFactory[models.WarningReport]):
    class Meta:
        model = models.WarningReport

    patient = factory.SubFactory(PatientFactory)
    client_id = factory.LazyFunction(uuid.uuid4)
    local_date = factory.LazyAttribute(lambda o: o.patient.local_date())
    symptoms = factory.LazyFunction(lambda: ["fever"])


def link_opening_report(escalation: models.Escalation) -> None:
    field = {models.CheckIn: "checkin", models.IncisionCheck: "incision_check", models.WarningReport: "warning_report"}
    source = escalation.source
    if source is None:  # raised by a periodic job (a missed refill): a case without a phone report
        return
    models.EscalationReport.objects.create(escalation=escalation, created_at=source.created_at,
                                           **{field[type(source)]: source})


class EscalationFactory(ModelFactory[models.Escalation]):
    class Meta:
        model = models.Escalation
        skip_postgeneration_save = True

    # The opening report carries the triage that opened the case, as a phone report would.
    warning_report = factory.SubFactory(WarningReportFactory, symptoms=["difficulty_breathing"],
                                        triage_level=factory.SelfAttribute("..level"),
                                        triage_reasons=factory.SelfAttribute("..reasons"))
    patient = factory.SelfAttribute("warning_report.patient")
    assigned_surgeon = factory.SelfAttribute("patient.surgeon")
    level = models.TriageLevel.EMERGENCY
    reasons = factory.LazyFunction(lambda: ["difficulty_breathing"])
    ack_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15))

    # The opening report is the case's first report, as the escalation service leaves it.
    case_report = factory.PostGeneration(
        lambda escalation, create, _extracted, **_kwargs: link_opening_report(escalation) if create else None
    )


class EscalationReportFactory(factory.django.DjangoModelFactory):
    """A later report that joined an escalation case (a warning report of the case's patient)."""

    class Meta:
        model = models.EscalationReport

    escalation = factory.SubFactory(EscalationFactory)
    warning_report = factory.SubFactory(WarningReportFactory, patient=factory.SelfAttribute("..escalation.patient"),
                                        symptoms=["fever"], triage_level=models.TriageLevel.URGENT,
                                        triage_reasons=["fever"])
    created_at = factory.LazyAttribute(lambda o: o.warning_report.created_at)


class AcknowledgementNoteFactory(factory.django.DjangoModelFactory):
    """A note a care-team member gave acknowledging a case (by its surgeon, unless told)."""

    class Meta:
        model = models.AcknowledgementNote

    escalation = factory.SubFactory(EscalationFactory, acknowledged_at=factory.LazyFunction(timezone.now))
    author = factory.SelfAttribute("escalation.assigned_surgeon.user")
    text = "Called the patient, no answer."


class DeviceFactory(ModelFactory[Device]):
    class Meta:
        model = Device

    user = factory.SubFactory(UserFactory, role=User.Role.SURGEON)
    token = factory.Sequence(lambda n: f"device-token-{n}-" + "x" * 40)
    token_digest = factory.LazyAttribute(lambda o: hashlib.sha256(o.token.encode()).hexdigest())
    platform = Device.Platform.ANDROID


class PatientMessageFactory(ModelFactory[models.PatientMessage]):
    class Meta:
        model = models.PatientMessage

    patient = factory.SubFactory(PatientFactory)
    kind = models.PatientMessage.Kind.CARE_TEAM
    title = factory.Sequence(lambda n: f"Message {n}")
    body = "Remember to wear your binder."


class PumpRefillFactory(factory.django.DjangoModelFactory):
    """A refill row as stored (dates as given; the pump services compute them in real use)."""

    class Meta:
        model = models.PumpRefill

    pump = factory.SubFactory(PumpFactory)
    client_id = factory.LazyFunction(uuid.uuid4)
    refill_date = factory.LazyAttribute(lambda o: o.pump.patient.surgery_date)
    volume_ml = "20.00"
    concentration = "500"
    concentration_unit = "mcg/mL"
    daily_dose = "200"
    dose_unit = "mcg/day"
    alarm_date = factory.LazyAttribute(lambda o: o.refill_date + timedelta(days=45))
    next_refill_date = factory.LazyAttribute(lambda o: o.refill_date + timedelta(days=38))


class PumpDoseChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PumpDoseChange

    pump = factory.SubFactory(PumpFactory)
    client_id = factory.LazyFunction(uuid.uuid4)
    effective_date = factory.LazyAttribute(lambda o: o.pump.patient.surgery_date)
    daily_dose = "300"
    dose_unit = "mcg/day"


class RefillAlertFactory(ModelFactory[models.RefillAlert]):
    class Meta:
        model = models.RefillAlert

    pump = factory.SubFactory(PumpFactory)
    due_date = factory.LazyAttribute(lambda o: o.pump.next_refill_date)
    stage = models.RefillAlert.Stage.OVERDUE
    level = models.TriageLevel.URGENT
