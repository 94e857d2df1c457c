"""The clinical domain: people, the pump, the recovery plan and what patients report.

Each record a phone creates carries a `client_id` unique per patient, so that a retried
request never stores a second copy (shared/API.md, "General rules").
"""
from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from recovery import overdue, plan, pump_models, refills
from recovery.countries import country_for_timezone, is_country_code
from recovery.emergency_numbers import emergency_number_for
from recovery.refills import Dosing

# Files of the system's tz database that zoneinfo reads but that name no place: the server's own zone
# ("localtime": a patient's reminders would follow wherever the server is set), tzcode's "Factory" and
# "posixrules", and the "posix/" and "right/" copies of every zone ("right/" counts leap seconds).
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


def validate_timezone_name(value: str) -> None:
    """Reject anything that is not an IANA zone name zoneinfo knows."""
    if not _names_a_zone(value):
        raise ValidationError(gettext('"%(value)s" is not a known IANA time zone.') % {"value": value})


def _names_a_zone(value: object) -> bool:
    """zoneinfo reads the name as a path: a region ("America") is a directory and a name longer than the file
    system allows is refused by it, both OSError rather than ZoneInfoNotFoundError."""
    if not isinstance(value, str) or value in _NOT_PLACES or value.startswith(("posix/", "right/")):
        return False
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        return False
    return True


def validate_country_code(value: str) -> None:
    """Reject anything that is not an ISO 3166-1 alpha-2 code the tz database knows (upper case)."""
    if not is_country_code(value):
        raise ValidationError(gettext('"%(value)s" is not an ISO 3166-1 alpha-2 country code.') % {"value": value})


class User(AbstractUser):
    """A login. Its role decides which half of the API it may use."""

    class Role(models.TextChoices):
        SURGEON = "surgeon", "Surgeon"
        NURSE = "nurse", "Nurse"
        PATIENT = "patient", "Patient"
        STAFF = "staff", "Staff"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STAFF, db_index=True)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """In one transaction with what recovery.signals does on a password change or deactivation (revoke the
        sessions, disable the push devices): a login is never left inactive with its phone still pushed."""
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)

    @property
    def shown_name(self) -> str:
        """How the care team's pages and answers name a person: a surgeon's or nurse's display name, else the
        account's username (admins, support staff)."""
        for profile in ("surgeon", "nurse"):
            member = getattr(self, profile, None) if self.role == profile else None
            if member is not None:
                return str(member.display_name)
        return str(self.get_username())

    @property
    def is_surgeon(self) -> bool:
        return self.role == self.Role.SURGEON

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT


class Surgeon(models.Model):
    """A surgeon's clinical profile; `backup` receives escalations they leave unacknowledged."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="surgeon")
    display_name = models.CharField(max_length=120)
    backup = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="backing_up"
    )

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(condition=~Q(backup=models.F("id")), name="surgeon_not_own_backup"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        if self.backup_id and self.backup_id == self.pk:
            raise ValidationError({"backup": "A surgeon cannot be their own backup."})


class Language(models.TextChoices):
    """The languages patient-facing texts are written in (settings.LANGUAGES, locale/)."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


class Nurse(models.Model):
    """A nurse or coordinator: works in the teams of one or more surgeons and sees their patients as they do."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="nurse")
    display_name = models.CharField(max_length=120)
    teams = models.ManyToManyField(
        Surgeon, related_name="nurses", help_text="The surgeons whose patients this nurse looks after."
    )

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class Patient(models.Model):
    """A person recovering from a pump implant, enrolled under one surgeon.

    `user` stays empty until the patient activates the app with their one-time code.
    """

    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient"
    )
    surgeon = models.ForeignKey(Surgeon, on_delete=models.PROTECT, related_name="patients")
    display_name = models.CharField(max_length=120)
    surgery_date = models.DateField()
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone_name])
    country = models.CharField(
        max_length=2, blank=True, default="", validators=[validate_country_code],
        help_text="ISO 3166-1 alpha-2, set by hand; empty: the country of the time zone.",
    )
    checkin_time = models.TimeField(default=time(9, 0), help_text="Local time of the daily check-in prompt.")
    binder_prescribed = models.BooleanField(default=True)
    # How the care team reaches the patient (entered at enrollment, editable on the dashboard).
    # Phone numbers are stored in E.164 (recovery.phones).
    phone = models.CharField(max_length=20, blank=True, default="")
    emergency_contact_name = models.CharField(max_length=120, blank=True, default="")
    emergency_contact_phone = models.CharField(max_length=20, blank=True, default="")
    preferred_contact_time = models.CharField(
        max_length=120, blank=True, default="", help_text='Free text, e.g. "weekday mornings".'
    )
    # The dashboard form's one-time id, stored with the enrollment in its transaction: a resent form
    # finds the patient it made, a failed attempt leaves nothing behind and can be retried at once.
    enrollment_key = models.UUIDField(null=True, blank=True, editable=False)
    language = models.CharField(
        max_length=8, choices=Language.choices, blank=True, default="",
        help_text="Language of every patient-facing text: advice, pushes, plan, education. Empty until "
        "chosen: then the phone's Accept-Language at activation decides.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [models.Index(fields=["surgeon", "surgery_date"])]
        constraints = [
            models.UniqueConstraint(fields=["surgeon", "enrollment_key"], name="one_patient_per_enrollment_key"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def country_code(self) -> str | None:
        """The country set by hand, else the one of the patient's time zone (None for zones such as UTC)."""
        return self.country or country_for_timezone(self.timezone)

    @property
    def emergency_number(self) -> str:
        """The ambulance number where the patient is (recovery.emergency_numbers, fallback 112)."""
        return emergency_number_for(self.country_code)

    def local_date(self, at: datetime | None = None) -> date:
        """The calendar date in the patient's own zone at `at` (default now)."""
        return (at or timezone.now()).astimezone(self.zone).date()

    def recovery_day(self, at: datetime | None = None) -> int:
        """Days since surgery in the patient's zone: surgery day is day 0."""
        return (self.local_date(at) - self.surgery_date).days

    @property
    def text_language(self) -> str:
        """The language the patient's texts are written in (the default until one is chosen)."""
        return self.language or settings.LANGUAGE_CODE

    def phase(self, at: datetime | None = None) -> plan.Phase:
        return plan.phase_for_day(self.recovery_day(at))


class Pump(models.Model):
    """The implanted pump. The guide: programmable or steady-dose; refills on time; battery surgery."""

    class Kind(models.TextChoices):
        PROGRAMMABLE = "programmable", "Programmable"
        FIXED_RATE = "fixed_rate", "Fixed rate (nonprogrammable)"

    class Drug(models.TextChoices):
        MORPHINE = "morphine", "Morphine"
        OTHER_OPIOID = "other_opioid", "Other opioid"
        BACLOFEN = "baclofen", "Baclofen"
        OTHER = "other", "Other"

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="pump")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    drug = models.CharField(max_length=16, choices=Drug.choices)
    model = models.CharField(max_length=32, blank=True, default="", choices=pump_models.MODEL_CHOICES)
    serial_number = models.CharField(max_length=64, blank=True, default="")
    reservoir_volume_ml = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Reservoir capacity (e.g. 20 or 40 mL)."
    )
    low_reservoir_alarm_ml = models.DecimalField(
        max_digits=5, decimal_places=2, default=refills.DEFAULT_LOW_RESERVOIR_ALARM_ML
    )
    concentration = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    concentration_unit = models.CharField(
        max_length=8, choices=refills.ConcentrationUnit.choices, default=refills.ConcentrationUnit.MCG_PER_ML
    )
    daily_dose = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    dose_unit = models.CharField(max_length=8, choices=refills.DoseUnit.choices, default=refills.DoseUnit.MCG_PER_DAY)
    last_refill_date = models.DateField(null=True, blank=True)
    # The computed dates start from this day and volume: the last refill, or the last dose change since.
    schedule_start_date = models.DateField(null=True, blank=True)
    schedule_start_volume_ml = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    alarm_date = models.DateField(null=True, blank=True, help_text="Computed: low-reservoir alarm expected.")
    next_refill_date = models.DateField(null=True, blank=True, help_text="Computed from refills: alarm_date - 7 days.")
    battery_replacement_due = models.DateField(
        null=True, blank=True, help_text='Guide: "Most batteries last five years or more."'
    )

    def __str__(self) -> str:
        return f"{self.get_kind_display()} pump ({self.get_drug_display()})"

    @property
    def is_opioid(self) -> bool:
        return self.drug in (self.Drug.MORPHINE, self.Drug.OTHER_OPIOID)

    @property
    def is_baclofen(self) -> bool:
        return self.drug == self.Drug.BACLOFEN

    @property
    def dosing(self) -> Dosing | None:
        """Concentration and dose with units, or None until both are recorded."""
        if self.concentration is None or self.daily_dose is None:
            return None
        return Dosing(self.concentration, self.concentration_unit, self.daily_dose, self.dose_unit)

    @property
    def mri_guidance(self) -> pump_models.PumpModel:
        return pump_models.mri_guidance(self.model)


class ActivationCode(models.Model):
    """One-time code a surgeon hands the patient to set up the app. Only its hash is stored."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="activation_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Activation code {self.pk} of patient {self.patient_id}"

    def is_usable(self, at: datetime | None = None) -> bool:
        return self.used_at is None and (at or timezone.now()) < self.expires_at


class Milestone(models.Model):
    """A dated step of the patient's recovery, generated from `recovery.plan.MILESTONES`."""

    class Status(models.TextChoices):
        DONE = "done"
        DUE = "due"
        UPCOMING = "upcoming"
        OVERDUE = "overdue"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="milestones")
    key = models.SlugField(max_length=64)
    title = models.CharField(max_length=160)
    due_date = models.DateField()
    window_days = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [models.UniqueConstraint(fields=["patient", "key"], name="milestone_key_per_patient")]

    def __str__(self) -> str:
        return f"{self.title} ({self.due_date})"

    def status_on(self, today: date) -> str:
        """done once completed; upcoming before its date; then due, and overdue only where a rule of
        recovery.overdue says being late is clinically meaningful (e.g. the wound check)."""
        if self.completed_at is not None:
            return self.Status.DONE
        if today < self.due_date:
            return self.Status.UPCOMING
        if overdue.becomes_overdue(self.key, (today - self.due_date).days, self.window_days):
            return self.Status.OVERDUE
        return self.Status.DUE

    def window_passed_on(self, today: date) -> bool:
        """Past the end of its window and not done (shown as "not recorded" unless overdue)."""
        return self.completed_at is None and (today - self.due_date).days > self.window_days


class Restriction(models.Model):
    """An activity restriction in force from `starts_on` to `ends_on` (inclusive; open-ended if empty)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="restrictions")
    key = models.SlugField(max_length=64)
    title = models.CharField(max_length=160)
    instructions = models.TextField()
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["starts_on", "key"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "key"], name="restriction_key_per_patient"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="restriction_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def in_force_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class TriageLevel(models.TextChoices):
    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


SEVERITY = {TriageLevel.ROUTINE: 0, TriageLevel.URGENT: 1, TriageLevel.EMERGENCY: 2}


class PhoneRecord(models.Model):
    """What every phone-made report shares: its idempotency key, when it was made, and its triage."""

    # No index of its own: the unique key below starts with patient (a patient's cascade and list use it), so
    # a report's INSERT writes one index less.
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="%(class)ss", db_index=False)
    client_id = models.UUIDField()
    # Hash of the request body first stored, so a retry with a different body can answer 409.
    payload_fingerprint = models.CharField(max_length=64, blank=True, default="")
    local_date = models.DateField(help_text="Calendar day in the patient's zone when it was made.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    triage_level = models.CharField(max_length=16, choices=TriageLevel.choices, default=TriageLevel.ROUTINE)
    triage_reasons = models.JSONField(default=list, blank=True)
    triage_advice = models.TextField(blank=True, default="")

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "client_id"], name="%(class)s_client_id_per_patient"),
        ]


class CheckIn(PhoneRecord):
    """The daily check-in: pain, temperature, binder, restrictions, symptoms."""

    class TemperatureUnit(models.TextChoices):
        FAHRENHEIT = "F"
        CELSIUS = "C"

    pain_score = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    temperature = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    temperature_unit = models.CharField(
        max_length=1, choices=TemperatureUnit.choices, default=TemperatureUnit.FAHRENHEIT
    )
    binder_worn = models.BooleanField(null=True, blank=True)
    binder_hours = models.DecimalField(
        max_digits=3, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
    )
    restrictions_followed = models.BooleanField(null=True, blank=True)
    symptoms = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True, default="")

    class Meta(PhoneRecord.Meta):
        constraints = PhoneRecord.Meta.constraints + [
            models.CheckConstraint(condition=Q(pain_score__lte=10), name="checkin_pain_0_10"),
            models.CheckConstraint(
                condition=Q(binder_hours__isnull=True) | (Q(binder_hours__gte=0) & Q(binder_hours__lte=24)),
                name="checkin_binder_hours_0_24",
            ),
        ]
        indexes = [models.Index(fields=["patient", "local_date"])]

    def __str__(self) -> str:
        return f"Check-in {self.local_date} ({self.patient})"


class IncisionCheck(PhoneRecord):
    """A look at one incision: the guide's "pain, redness, bleeding, drainage, or increased swelling"."""

    class Site(models.TextChoices):
        BACK = "back"
        ABDOMEN = "abdomen"

    site = models.CharField(max_length=8, choices=Site.choices)
    redness = models.BooleanField(default=False)
    swelling = models.BooleanField(default=False)
    drainage = models.BooleanField(default=False)
    bleeding = models.BooleanField(default=False)
    pain = models.BooleanField(default=False)
    note = models.TextField(blank=True, default="")
    photo = models.ImageField(upload_to="incision-photos/%Y/%m/", null=True, blank=True)

    def __str__(self) -> str:
        return f"Incision check {self.site} {self.local_date} ({self.patient})"


class WarningReport(PhoneRecord):
    """The patient reporting warning signs outside the daily check-in."""

    symptoms = models.JSONField(default=list)
    note = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"Warning report {self.created_at:%Y-%m-%d %H:%M} ({self.patient})"


class Escalation(models.Model):
    """An escalation case: the urgent or emergency reports of one patient until a clinician resolves it.

    A patient has at most one open (unresolved) case; later reports join it (EscalationReport) and its
    level only rises. The report foreign keys below name the report that opened the case.
    """

    class Outcome(models.TextChoices):  # shared/API.md 1.1, fixed
        ADVISED_EMERGENCY_CARE = "advised_emergency_care", "Advised emergency care"
        CALLED_PATIENT = "called_patient", "Called the patient"
        CLINIC_VISIT_BOOKED = "clinic_visit_booked", "Clinic visit booked"
        ADVICE_SENT = "advice_sent", "Advice sent"
        NO_ACTION_NEEDED = "no_action_needed", "No action needed"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="escalations")
    level = models.CharField(max_length=16, choices=TriageLevel.choices)
    reasons = models.JSONField(default=list)
    checkin = models.ForeignKey(CheckIn, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    incision_check = models.ForeignKey(
        IncisionCheck, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    warning_report = models.ForeignKey(
        WarningReport, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    assigned_surgeon = models.ForeignKey(Surgeon, on_delete=models.PROTECT, related_name="escalations")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    ack_due_at = models.DateTimeField(help_text="Passed on if nobody acknowledges it by then.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_to = models.ForeignKey(
        Surgeon, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations_passed_on"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, help_text="Last report joined or state change.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True, default="")
    resolution_note = models.TextField(blank=True, default="")
    # Set (once) when nobody who could take it — the surgeon, their backup, the on-call surgeons — had a
    # working push device; cleared when one registers a device again. Shown on the dashboard.
    unreachable_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["acknowledged_at", "ack_due_at"])]
        constraints = [
            # One open case per patient: concurrent reports cannot open two (PostgreSQL partial unique index).
            models.UniqueConstraint(fields=["patient"], condition=Q(resolved_at__isnull=True),
                                    name="one_open_escalation_case_per_patient"),
            models.CheckConstraint(condition=~Q(level=TriageLevel.ROUTINE), name="escalation_not_routine"),
            models.CheckConstraint(
                condition=(
                    Q(checkin__isnull=False, incision_check__isnull=True, warning_report__isnull=True)
                    | Q(checkin__isnull=True, incision_check__isnull=False, warning_report__isnull=True)
                    | Q(checkin__isnull=True, incision_check__isnull=True, warning_report__isnull=False)
                    # No phone report: raised by a periodic job (a missed pump refill, RefillAlert).
                    | Q(checkin__isnull=True, incision_check__isnull=True, warning_report__isnull=True)
                ),
                name="escalation_at_most_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} for {self.patient}"

    @property
    def source(self) -> PhoneRecord | None:
        """The report that raised it; None for one raised by a periodic job (a missed pump refill)."""
        return self.checkin or self.incision_check or self.warning_report

    @property
    def has_report_since_acknowledged(self) -> bool:
        """A report joined after the case was acknowledged (reads the reports, prefetched by the inbox)."""
        acknowledged_at = self.acknowledged_at
        return acknowledged_at is not None and any(r.created_at > acknowledged_at for r in self.case_reports.all())

    @property
    def acknowledge_note(self) -> str:
        """The latest acknowledgement note, "" if none (shared/API.md's `acknowledge_note`); every one is kept in
        `acknowledgement_notes` (prefetched by the inbox)."""
        notes = list(self.acknowledgement_notes.all())
        return notes[-1].text if notes else ""

    @property
    def note(self) -> str:
        """The clinician's latest word on the case: the resolution note, else the latest acknowledgement note."""
        return self.resolution_note or self.acknowledge_note


class EscalationReport(models.Model):
    """One report inside an escalation case. The report keeps its own triage level, reasons and advice."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="case_reports")
    checkin = models.OneToOneField(CheckIn, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    incision_check = models.OneToOneField(
        IncisionCheck, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    warning_report = models.OneToOneField(
        WarningReport, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="When the report was made.")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(checkin__isnull=False, incision_check__isnull=True, warning_report__isnull=True)
                    | Q(checkin__isnull=True, incision_check__isnull=False, warning_report__isnull=True)
                    | Q(checkin__isnull=True, incision_check__isnull=True, warning_report__isnull=False)
                ),
                name="escalation_report_has_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} in case {self.escalation_id}"

    @property
    def report(self) -> CheckIn | IncisionCheck | WarningReport:
        report = self.checkin or self.incision_check or self.warning_report
        if report is None:  # ruled out by the escalation_report_has_one_source constraint
            raise ValueError(f"EscalationReport {self.pk} has no report")
        return report

    @property
    def patient(self) -> Patient:  # whose record it is, for the audit trail
        return self.escalation.patient

    @property
    def kind(self) -> str:
        """shared/API.md `reports[].type`."""
        if self.checkin_id:
            return "checkin"
        return "incision_check" if self.incision_check_id else "warning_report"


class AcknowledgementNote(models.Model):
    """A note a care-team member gave acknowledging an escalation case ("called patient, no answer"). Every one is
    kept, oldest first, with who wrote it and when: a later acknowledgement adds its note to the case, never
    replacing an earlier one. Written by recovery.services.escalations.acknowledge_escalation only (with its
    audit row, in its transaction), never changed afterwards.

    A row of its own rather than a note on the audit event: a note is health data, which stays out of the
    audit trail (recovery.services.audit), and the inbox and dashboard read notes per case.
    """

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="acknowledgement_notes")
    # PROTECT, as AuditEvent.actor: a login that wrote a note is deactivated, never deleted. Empty only for a
    # note kept from before notes had authors whose writer the audit trail does not name for certain
    # (migration 0016).
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="acknowledgement_note_not_empty")]

    def __str__(self) -> str:
        return f"Acknowledgement note {self.pk} on case {self.escalation_id}"

    @property
    def patient(self) -> Patient:  # whose record it is, for the audit trail
        return self.escalation.patient


class PatientMessage(models.Model):
    """One message of the thread between a patient and their care team: written by the patient, by the
    care team, or by the system (triage advice, reminders, the automatic answer to a patient's message).

    A patient's message is never a report: it is not triaged and opens no escalation; the automatic
    answer tells the patient how to report warning signs (recovery.services.messages).
    """

    class Kind(models.TextChoices):
        TRIAGE_ADVICE = "triage_advice"
        CARE_TEAM = "care_team"
        REMINDER = "reminder"
        PATIENT = "patient"
        AUTO_REPLY = "auto_reply"

    class Sender(models.TextChoices):
        PATIENT = "patient"
        CARE_TEAM = "care_team"
        SYSTEM = "system"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=160, blank=True, default="")
    body = models.TextField()
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A patient's message carries the phone's client_id (a retry stores nothing new) and the hash of
    # the body first stored (the same id with another body answers 409).
    client_id = models.UUIDField(null=True, blank=True)
    payload_fingerprint = models.CharField(max_length=64, blank=True, default="")
    # A patient's message: when the care team first opened the thread after it arrived.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "client_id"], condition=Q(client_id__isnull=False),
                name="message_client_id_per_patient",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-created_at"]),
            models.Index(fields=["patient"], condition=Q(kind="patient", read_at__isnull=True),
                         name="unread_patient_messages"),
        ]

    def __str__(self) -> str:
        return self.title or f"Message {self.pk}"

    @property
    def sender_role(self) -> str:
        """Who wrote it, as the API names it: patient, care_team or system."""
        if self.kind == self.Kind.PATIENT:
            return self.Sender.PATIENT
        if self.kind == self.Kind.CARE_TEAM:
            return self.Sender.CARE_TEAM
        return self.Sender.SYSTEM


class AuditEvent(models.Model):
    """One read or write of a patient's records by staff: who, what, when and from where."""

    class Action(models.TextChoices):
        VIEW = "view"
        CREATE = "create"
        UPDATE = "update"
        DELETE = "delete"
        ACKNOWLEDGE = "acknowledge"
        RESOLVE = "resolve"

    # PROTECT: a login named here is deactivated, never deleted, so the trail keeps saying who (null only
    # in rows from before this rule whose user was deleted).
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    # Whom the event is about, kept when the patient is deleted (staff_edits.delete_records): the trail still
    # answers who looked at that patient's records. So no database constraint and DO_NOTHING: the row is never
    # rewritten, and `patient` of such an event is None only where it was fetched with select_related("patient")
    # (the admin does; recovery.services.audit.patient_of reads None otherwise). Null only in rows whose patient
    # was deleted before this rule (their object_id names the patient when object_type is recovery.Patient).
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                                related_name="audit_events")
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True, default="")
    path = models.CharField(max_length=512, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True, default="")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Set on views only: the same page of the same patient seen by the same person in one
    # settings.AUDIT_VIEW_MERGE_WINDOW slot is one row (recovery.services.audit).
    merge_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"])]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_type} {self.object_id}"


class PromptLog(models.Model):
    """One scheduled reminder of one kind sent to one patient for one local date.

    Its unique key is what makes the periodic dispatcher at-most-once per patient and day, even
    with two dispatchers running at the same moment (the insert is ON CONFLICT DO NOTHING).
    """

    # No index of its own: the unique key below starts with patient (a patient's cascade delete uses it). No
    # foreign key constraint either (recovery 0020): the dispatch writes these rows from its own select of the
    # patients, and a patient's deletion takes them along in Django. The database's check of each row, with the
    # lock it took on the patient's row, was a tenth of PostgreSQL's work per prompt in a fan-out (bench/README.md,
    # "Thirteenth pass"). A row left by a dispatch racing a deletion names no one and is never read again.
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="prompt_logs", db_index=False,
                                db_constraint=False)
    kind = models.CharField(max_length=32)
    local_date = models.DateField(help_text="The calendar day in the patient's zone the reminder is for.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind", "local_date"], name="one_reminder_per_kind_and_local_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for patient {self.patient_id} on {self.local_date}"


# --- The pump over its life: refills, dose changes and the refill safety net ---------------------

class PumpRefill(models.Model):
    """A refill of the reservoir recorded by the care team, with the dates it computed.

    `client_id` makes a retried request store nothing new (shared/API.md, "General rules").
    """

    pump = models.ForeignKey(Pump, on_delete=models.CASCADE, related_name="refills")
    client_id = models.UUIDField()
    payload_fingerprint = models.CharField(max_length=64, blank=True, default="")
    refill_date = models.DateField()
    volume_ml = models.DecimalField(max_digits=6, decimal_places=2)
    concentration = models.DecimalField(max_digits=12, decimal_places=4)
    concentration_unit = models.CharField(max_length=8, choices=refills.ConcentrationUnit.choices)
    daily_dose = models.DecimalField(max_digits=12, decimal_places=4)
    dose_unit = models.CharField(max_length=8, choices=refills.DoseUnit.choices)
    alarm_date = models.DateField()
    next_refill_date = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-refill_date", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["pump", "client_id"], name="pumprefill_client_id_per_pump"),
            models.CheckConstraint(condition=Q(volume_ml__gt=0), name="pumprefill_volume_positive"),
            models.CheckConstraint(
                condition=Q(concentration__gt=0) & Q(daily_dose__gt=0), name="pumprefill_dosing_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Refill {self.refill_date} ({self.pump.patient})"

    @property
    def patient(self) -> Patient:
        return self.pump.patient


class PumpDoseChange(models.Model):
    """A new daily dose from `effective_date`; the dates are recomputed from the volume left that day."""

    pump = models.ForeignKey(Pump, on_delete=models.CASCADE, related_name="dose_changes")
    client_id = models.UUIDField()
    payload_fingerprint = models.CharField(max_length=64, blank=True, default="")
    effective_date = models.DateField()
    daily_dose = models.DecimalField(max_digits=12, decimal_places=4)
    dose_unit = models.CharField(max_length=8, choices=refills.DoseUnit.choices)
    previous_daily_dose = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    previous_dose_unit = models.CharField(max_length=8, choices=refills.DoseUnit.choices, blank=True, default="")
    volume_left_ml = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    alarm_date = models.DateField(null=True, blank=True)
    next_refill_date = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-effective_date", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["pump", "client_id"], name="pumpdosechange_client_id_per_pump"),
            models.CheckConstraint(condition=Q(daily_dose__gt=0), name="pumpdosechange_dose_positive"),
        ]

    def __str__(self) -> str:
        return f"Dose change {self.effective_date} ({self.pump.patient})"

    @property
    def patient(self) -> Patient:
        return self.pump.patient


class RefillAlert(models.Model):
    """The refill safety net's record that one stage of one missed refill was raised to the care team.

    Open (closed_at NULL) while its refill cycle lasts: at most one open alert per (pump, missed
    next_refill_date, stage), so each stage is raised once per cycle however often the periodic jobs run.
    A recorded refill closes it and starts a new cycle; the closed row stays as history and no longer
    counts, so a new cycle whose next_refill_date falls on a date raised before (a backdated short fill,
    a date set back) is raised again when missed.
    """

    class Stage(models.TextChoices):
        OVERDUE = "refill_overdue", "Refill overdue"  # no refill recorded by next_refill_date
        ALARM_DATE = "refill_alarm_date", "Low-reservoir alarm date reached"  # none by alarm_date

    pump = models.ForeignKey(Pump, on_delete=models.CASCADE, related_name="refill_alerts")
    due_date = models.DateField(help_text="The next_refill_date that was missed.")
    stage = models.CharField(max_length=24, choices=Stage.choices)
    level = models.CharField(max_length=16, choices=TriageLevel.choices)
    escalation = models.ForeignKey(
        Escalation, null=True, blank=True, on_delete=models.SET_NULL, related_name="refill_alerts"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_refill = models.ForeignKey(
        PumpRefill, null=True, blank=True, on_delete=models.SET_NULL, related_name="closed_alerts"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Partial: closed alerts of earlier cycles may share the (pump, due_date, stage) of an open one.
            models.UniqueConstraint(fields=["pump", "due_date", "stage"], condition=Q(closed_at__isnull=True),
                                    name="one_open_refill_alert_per_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} ({self.pump.patient})"

    @property
    def patient(self) -> Patient:
        return self.pump.patient
