"""Demo data for `make run`: a surgeon with a backup and a nurse in the surgeon's team, patients at
different recovery days (one a week before surgery) and time zones (one Spanish-speaking; three outside
the US: London 999, Tokyo 119, Sydney 000, each told their own emergency number) with contact details and
a few days of check-ins, one open emergency escalation, and a message thread. Running it again adds
nothing."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from notifications.services import devices
from recovery.models import Nurse, Patient, PatientMessage, Surgeon, User
from recovery.services import accounts, enrollment, messages, reports

# Demo only: printed on every run, never use these anywhere real.
# Printed for anyone running the demo: a published demo login, not a secret.
DEMO_PASSWORD = "pump-demo-2026"  # noqa: S105
SURGEON_USERNAME = "dr.demo"
BACKUP_USERNAME = "dr.backup"
ADMIN_USERNAME = "demo.admin"
NURSE_USERNAME = "nurse.demo"
CLIENT_ID_NAMESPACE = uuid.UUID("6f1c1d3e-5b0a-4f55-9a55-6d656d6f2d31")
CHECKIN_DAYS = 7  # days of check-in history each patient gets (fewer if surgery was more recent)


@dataclass(frozen=True)
class DemoPatient:
    username: str
    display_name: str
    recovery_day: int
    timezone_name: str
    drug: str
    kind: str
    language: str = "en"


DEMO_PATIENTS = (
    DemoPatient("ada", "Ada Lovelace", 0, "America/New_York", "morphine", "programmable"),
    DemoPatient("ben", "Ben Okafor", 3, "America/Los_Angeles", "baclofen", "programmable"),
    DemoPatient("chloe", "Chloe Martin", 10, "Europe/London", "morphine", "fixed_rate"),
    DemoPatient("daiki", "Daiki Sato", 24, "Asia/Tokyo", "other_opioid", "programmable"),
    DemoPatient("emma", "Emma Wilson", 50, "Australia/Sydney", "baclofen", "fixed_rate"),
    DemoPatient("fernanda", "Fernanda Ruiz", 6, "Europe/Madrid", "baclofen", "programmable", language="es"),
    DemoPatient("gabriel", "Gabriel Moreau", -7, "America/Chicago", "morphine", "programmable"),
)
# Each demo pump: model, serial, reservoir and its fill at implant (the dates are computed from it), or a
# next refill date by hand; chosen so the pump worklist has a refill overdue (daiki), one due within 14
# days (chloe) and a battery replacement within 90 days (chloe).
DEMO_PUMPS: dict[str, dict] = {
    "ada": {"model": "synchromed_ii", "reservoir_volume_ml": Decimal("40"),
            "fill": ("40", "1", "mg/mL", "0.5", "mg/day")},  # morphine: 76 days to the alarm
    "ben": {"model": "synchromed_ii", "reservoir_volume_ml": Decimal("20"),
            "fill": ("20", "500", "mcg/mL", "100", "mcg/day")},  # baclofen: 90 days
    "chloe": {"model": "other", "next_refill_in_days": 10, "battery_in_days": 75},
    "daiki": {"model": "prometra_ii", "reservoir_volume_ml": Decimal("20"),
              "fill": ("20", "2", "mg/mL", "1.2", "mg/day")},  # 30 days: refill due day 23, overdue on day 24
    "emma": {"model": "", "reservoir_volume_ml": Decimal("20"), "battery": None,  # gas-driven, no battery
             "fill": ("20", "2000", "mcg/mL", "500", "mcg/day")},  # baclofen: 72 days
    "fernanda": {"model": "synchromed_ii", "reservoir_volume_ml": Decimal("40"),
                 "fill": ("40", "1000", "mcg/mL", "300", "mcg/day")},  # baclofen: 126 days
    "gabriel": {"model": "prometra_ii", "next_refill_in_days": 100},  # surgery next week: no fill yet
}

# Contact details of the demo patients (fictional numbers: 555-01xx in North America, Ofcom drama
# ranges elsewhere); the patient's phone, their emergency contact, and when they prefer a call.
DEMO_CONTACTS = {
    "ada": ("+12125550101", "Byron Lovelace", "+12125550111", "weekday mornings"),
    "ben": ("+13105550102", "Ngozi Okafor", "+13105550112", "after 5 pm"),
    "chloe": ("+442079460103", "Luc Martin", "+442079460113", "afternoons"),
    "daiki": ("+81312345678", "", "", "evenings (Tokyo time)"),
    "emma": ("+61491570104", "Jack Wilson", "+61491570114", ""),
    "fernanda": ("+34600000105", "Lucía Ruiz", "+34600000115", "por la mañana"),
    "gabriel": ("+13125550107", "Claire Moreau", "+13125550117", "any time"),
}
# The demo thread: Chloe asks, the nurse answers, Chloe writes again (left unread for the inbox).
THREAD_PATIENT = "chloe"
THREAD = (
    ("patient", "Is it normal that the back incision itches a little?"),
    ("care_team", "Mild itching while it heals is common. Keep it dry and don't scratch. If it gets red, "
                  "warm or starts draining, send an incision check or use Report warning signs."),
    ("patient", "Thanks! Can I take a short shower tomorrow?"),
)

# Who has the open emergency escalation, and what they reported (shared/API.md symptom codes).
ESCALATING_PATIENT = "ben"
EMERGENCY_SYMPTOMS = ["difficulty_breathing"]


def demo_client_id(*parts: object) -> uuid.UUID:
    """A stable client_id, so that re-running the seed replays instead of duplicating (shared/API.md)."""
    return uuid.uuid5(CLIENT_ID_NAMESPACE, ":".join(str(part) for part in parts))


def demo_pump(spec: DemoPatient, surgery_date: date, local_today: date) -> dict:
    """The enrollment pump of a demo patient (DEMO_PUMPS): its first fill on the surgery day, or a date."""
    demo = DEMO_PUMPS.get(spec.username, {"model": "", "next_refill_in_days": 90})
    pump = {
        "kind": spec.kind, "drug": spec.drug, "model": demo["model"],
        "serial_number": f"DEMO-{spec.username.upper()}-0001",
        "battery_replacement_due": date(surgery_date.year + 5, surgery_date.month, 1),
    }
    if "battery" in demo:
        pump["battery_replacement_due"] = demo["battery"]
    if "battery_in_days" in demo:
        pump["battery_replacement_due"] = local_today + timedelta(days=demo["battery_in_days"])
    if "reservoir_volume_ml" in demo:
        pump["reservoir_volume_ml"] = demo["reservoir_volume_ml"]
    if "fill" in demo:
        volume, concentration, concentration_unit, dose, dose_unit = demo["fill"]
        pump["refill"] = {"refill_date": surgery_date, "volume_ml": Decimal(volume),
                          "concentration": Decimal(concentration), "concentration_unit": concentration_unit,
                          "daily_dose": Decimal(dose), "dose_unit": dose_unit}
    else:
        pump["next_refill_date"] = local_today + timedelta(days=demo["next_refill_in_days"])
    return pump


def demo_checkin(spec: DemoPatient, day: int) -> dict:
    """A plausible routine check-in for recovery day `day`: pain, temperature and binder hours easing off."""
    wobble = (day * 7 + len(spec.username)) % 3 - 1  # -1, 0 or 1, fixed per patient and day
    return {
        "client_id": demo_client_id(spec.username, "checkin", day),
        "pain_score": max(1, min(7, 6 - day // 4 + wobble)),
        "temperature": Decimal("99.2") - Decimal(min(day, 10)) / 10 + Decimal(wobble) / 10,
        "temperature_unit": "F",
        "binder_worn": day < 42,
        "binder_hours": Decimal(max(0, 20 - day // 2 + wobble)) if day < 42 else Decimal(0),
        "restrictions_followed": wobble != 1 or day > 20,
        "symptoms": [],
        "note": "",
    }


class Command(BaseCommand):
    help = "Load demo surgeons, patients, check-ins and an open escalation; prints the logins. Idempotent."

    def handle(self, *args: Any, **_options: Any) -> None:
        now = timezone.now()
        with transaction.atomic():
            backup = self.surgeon(BACKUP_USERNAME, "Dr. Grace Backup", backup=None)
            surgeon = self.surgeon(SURGEON_USERNAME, "Dr. Demo Surgeon", backup=backup)
            nurse = self.nurse(surgeon)
            for person in (surgeon.user, backup.user, nurse.user):
                self.phone(person)
            self.admin_user()
            for spec in DEMO_PATIENTS:
                patient = self.patient(surgeon, spec, now)
                if patient.user is not None:
                    self.phone(patient.user)
                self.history(patient, spec, now)
                if spec.username == THREAD_PATIENT:
                    self.thread(patient, nurse)
        self.print_logins()

    def surgeon(self, username: str, display_name: str, *, backup: Surgeon | None) -> Surgeon:
        existing = Surgeon.objects.filter(user__username=username).first()
        if existing is not None:
            return existing
        return accounts.create_surgeon(
            username=username, password=DEMO_PASSWORD, email=f"{username}@example.org",
            display_name=display_name, backup=backup,
        )

    def phone(self, user: User) -> None:
        """A push token of the local FCM stand-in, so the demo's escalations, messages and prompts reach a phone
        (the stand-in's log shows them) and nothing is reported as reaching nobody."""
        devices.register_device(user=user, token=f"demo-device-{user.username}", platform="android")

    def nurse(self, surgeon: Surgeon) -> Nurse:
        existing = Nurse.objects.filter(user__username=NURSE_USERNAME).first()
        if existing is not None:
            return existing
        return accounts.create_nurse(username=NURSE_USERNAME, password=DEMO_PASSWORD, teams=[surgeon],
                                     email=f"{NURSE_USERNAME}@example.org", display_name="Nurse Nia Demo")

    def thread(self, patient: Patient, nurse: Nurse) -> None:
        """The demo conversation, written once (the patient's messages carry stable client_ids)."""
        if PatientMessage.objects.filter(patient=patient, kind=PatientMessage.Kind.CARE_TEAM).exists():
            return
        for n, (sender, body) in enumerate(THREAD):
            if sender == "patient":
                messages.send_patient_message(patient, client_id=demo_client_id(THREAD_PATIENT, "msg", n), body=body)
            else:
                messages.send_care_team_message(patient, body=body, by=nurse.user)

    def admin_user(self) -> None:
        if not User.objects.filter(username=ADMIN_USERNAME).exists():
            User.objects.create_superuser(
                username=ADMIN_USERNAME, password=DEMO_PASSWORD, email=f"{ADMIN_USERNAME}@example.org",
                role=User.Role.STAFF,
            )

    def patient(self, surgeon: Surgeon, spec: DemoPatient, now: datetime) -> Patient:
        """The enrolled and activated patient (app login set up with their one-time code)."""
        existing = Patient.objects.filter(user__username=spec.username).first()
        if existing is not None:
            return existing
        local_today = Patient(timezone=spec.timezone_name).local_date(now)
        surgery_date = local_today - timedelta(days=spec.recovery_day)
        phone, contact_name, contact_phone, contact_time = DEMO_CONTACTS.get(spec.username, ("", "", "", ""))
        enrolled = enrollment.enroll_patient(
            contact={"phone": phone, "emergency_contact_name": contact_name,
                     "emergency_contact_phone": contact_phone, "preferred_contact_time": contact_time},
            surgeon=surgeon, display_name=spec.display_name, surgery_date=surgery_date,
            timezone_name=spec.timezone_name, checkin_time=time(9, 0),
            pump=demo_pump(spec, surgery_date, local_today),
        )
        accounts.activate_patient(
            code=enrolled.activation_code or "", username=spec.username, password=DEMO_PASSWORD,
            language=spec.language,
        )
        enrolled.patient.refresh_from_db()
        return enrolled.patient

    def history(self, patient: Patient, spec: DemoPatient, now: datetime) -> None:
        """Check-ins for the last days of recovery, one incision check, and the demo escalation."""
        for days_ago in range(min(CHECKIN_DAYS, spec.recovery_day + 1) - 1, -1, -1):
            day = spec.recovery_day - days_ago
            # Stored as if sent at the patient's check-in time on that local day.
            local_day = patient.surgery_date + timedelta(days=day)
            sent_at = datetime.combine(local_day, patient.checkin_time, tzinfo=patient.zone)
            if sent_at > now:
                sent_at = now
            reports.submit_checkin(patient, demo_checkin(spec, day), now=sent_at)
        if spec.recovery_day < 0:
            return  # before surgery: nothing to report yet
        reports.submit_incision_check(
            patient,
            {"client_id": demo_client_id(spec.username, "incision"), "site": "back", "redness": False,
             "swelling": False, "drainage": False, "bleeding": False, "pain": False,
             "note": "Dressing dry."},
            now=now,
        )
        if spec.username == ESCALATING_PATIENT:
            reports.submit_warning_report(
                patient,
                {"client_id": demo_client_id(spec.username, "warning"), "symptoms": EMERGENCY_SYMPTOMS,
                 "note": "Short of breath since this morning."},
                now=now,
            )

    def print_logins(self) -> None:
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Demo logins (password for all: {DEMO_PASSWORD}):"))
        self.stdout.write(f"  surgeon dashboard  /dashboard/  {SURGEON_USERNAME} (backup surgeon: {BACKUP_USERNAME})")
        self.stdout.write(f"  nurse dashboard    /dashboard/  {NURSE_USERNAME} (in {SURGEON_USERNAME}'s team)")
        self.stdout.write(f"  staff admin        /admin/      {ADMIN_USERNAME}")
        usernames = [spec.username for spec in DEMO_PATIENTS]
        patients = {
            p.user.username: p
            for p in Patient.objects.filter(user__username__in=usernames).select_related("user")
            if p.user is not None
        }
        for spec in DEMO_PATIENTS:
            patient = patients[spec.username]
            self.stdout.write(
                f"  patient app (API)  /api/v1/     {spec.username:<8} day {spec.recovery_day:>2}, "
                f"{spec.timezone_name}, {spec.language} ({patient.country_code}, emergency number "
                f"{patient.emergency_number})"
            )
