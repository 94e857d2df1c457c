"""Management commands: create_surgeon (shared/API.md bootstrap) and seed_demo (`make run` demo data)."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from recovery.management.commands import seed_demo
from recovery.models import CheckIn, Escalation, IncisionCheck, Nurse, Patient, Surgeon, TriageLevel, User
from tests.factories import SurgeonFactory, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "granite-otter-42-lamp"


def test_create_surgeon_makes_a_surgeon_login_with_profile():
    call_command("create_surgeon", "--username", "dr.who", "--password", STRONG, "--email", "who@example.org",
                 stdout=StringIO())

    surgeon = Surgeon.objects.select_related("user").get()
    assert (surgeon.user.username, surgeon.user.email, surgeon.user.role) == ("dr.who", "who@example.org", "surgeon")
    assert surgeon.user.check_password(STRONG)


def test_create_surgeon_names_a_backup_surgeon():
    backup = SurgeonFactory(user__username="dr.backup")

    call_command("create_surgeon", "--username", "dr.who", "--password", STRONG, "--backup", "dr.backup",
                 "--display-name", "Dr. Who", stdout=StringIO())

    surgeon = Surgeon.objects.get(user__username="dr.who")
    assert (surgeon.display_name, surgeon.backup) == ("Dr. Who", backup)


def test_create_surgeon_refuses_a_taken_username():
    UserFactory(username="dr.who")

    with pytest.raises(CommandError, match="already exists"):
        call_command("create_surgeon", "--username", "DR.WHO", "--password", STRONG)
    assert not Surgeon.objects.exists()


def test_create_surgeon_refuses_an_unknown_backup():
    with pytest.raises(CommandError, match="nobody"):
        call_command("create_surgeon", "--username", "dr.who", "--password", STRONG, "--backup", "nobody")
    assert not User.objects.exists()


def test_create_surgeon_refuses_a_weak_password():
    with pytest.raises(CommandError, match="Password refused"):
        call_command("create_surgeon", "--username", "dr.who", "--password", "12345678")
    assert not User.objects.exists()


@pytest.fixture
def seeded():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_patients_at_different_days_and_zones(seeded):
    patients = Patient.objects.select_related("surgeon__user", "surgeon__backup")

    assert sorted(p.recovery_day() for p in patients) == [-7, 0, 3, 6, 10, 24, 50]
    assert len({p.timezone for p in patients}) == 7
    assert {p.surgeon.user.username for p in patients} == {seed_demo.SURGEON_USERNAME}
    assert patients[0].surgeon.backup.user.username == seed_demo.BACKUP_USERNAME


def test_seed_demo_has_a_spanish_speaking_patient_and_one_before_surgery(seeded):
    assert Patient.objects.filter(language="es").exists()
    before_surgery = [p for p in Patient.objects.all() if p.phase().key == "before_surgery"]
    assert len(before_surgery) == 1
    assert before_surgery[0].milestones.filter(key__startswith="preop_").exists()


def test_seed_demo_patients_are_activated_and_can_log_in(seeded):
    for patient in Patient.objects.select_related("user"):
        assert patient.user.role == User.Role.PATIENT
        assert patient.user.check_password(seed_demo.DEMO_PASSWORD)
        assert patient.activation_codes.get().used_at is not None


def test_seed_demo_gives_check_in_history_and_an_incision_check(seeded):
    longest = Patient.objects.get(user__username="emma")

    assert CheckIn.objects.filter(patient=longest).values("local_date").distinct().count() == seed_demo.CHECKIN_DAYS
    assert len(set(CheckIn.objects.values_list("pain_score", flat=True))) > 2
    assert IncisionCheck.objects.filter(patient=longest).count() == 1


def test_seed_demo_leaves_one_open_emergency_escalation(seeded):
    escalation = Escalation.objects.get()

    assert escalation.level == TriageLevel.EMERGENCY
    assert escalation.acknowledged_at is None
    assert escalation.ack_due_at > escalation.created_at
    assert escalation.patient.user.username == seed_demo.ESCALATING_PATIENT
    # Its surgeon's stand-in phone is pushed, so it is not passed on as reaching nobody
    assert (escalation.escalated_to, escalation.unreachable_at) == (None, None)


def test_seed_demo_gives_every_demo_login_a_stand_in_phone_once(seeded):
    """The demo's escalations, messages and check-in prompts reach a phone the FCM stand-in logs."""
    from notifications.models import Device, Notification

    app_users = User.objects.exclude(username=seed_demo.ADMIN_USERNAME)
    assert set(Device.objects.values_list("user__username", flat=True)) == set(
        app_users.values_list("username", flat=True))
    call_command("seed_demo", stdout=StringIO())
    assert Device.objects.count() == app_users.count()
    assert Notification.objects.filter(kind="escalation", recipient__username=seed_demo.SURGEON_USERNAME).exists()


def test_seed_demo_twice_adds_nothing(seeded):
    counts = [model.objects.count() for model in (User, Patient, CheckIn, IncisionCheck, Escalation)]

    call_command("seed_demo", stdout=StringIO())

    assert [model.objects.count() for model in (User, Patient, CheckIn, IncisionCheck, Escalation)] == counts


def test_seed_demo_prints_the_logins(seeded):
    for username in (seed_demo.SURGEON_USERNAME, seed_demo.ADMIN_USERNAME, "ada", "emma", seed_demo.DEMO_PASSWORD):
        assert username in seeded


def test_seed_demo_admin_login_reaches_the_admin(seeded, client):
    assert client.login(username=seed_demo.ADMIN_USERNAME, password=seed_demo.DEMO_PASSWORD)

    assert client.get("/admin/recovery/patient/").status_code == 200


def test_seed_demo_pumps_fill_the_pump_worklist(seeded):
    from recovery.models import Pump
    from recovery.services.pumps import battery_replacement_soon

    pumps = {pump.patient.user.username: pump for pump in Pump.objects.select_related("patient__user")}
    daiki, chloe, ben = pumps["daiki"], pumps["chloe"], pumps["ben"]
    assert daiki.next_refill_date is not None and chloe.next_refill_date is not None
    assert daiki.next_refill_date < daiki.patient.local_date()  # overdue: the safety net raises it
    assert 0 <= (chloe.next_refill_date - chloe.patient.local_date()).days <= 14
    assert battery_replacement_soon(chloe) and not battery_replacement_soon(ben)
    assert ben.refills.get().volume_ml == 20 and ben.mri_guidance.name == "SynchroMed II"


def test_seed_demo_has_a_nurse_in_the_demo_surgeons_team_contacts_and_a_thread(seeded):
    nurse = Nurse.objects.get(user__username=seed_demo.NURSE_USERNAME)
    assert [s.user.username for s in nurse.teams.all()] == [seed_demo.SURGEON_USERNAME]
    assert nurse.user.check_password(seed_demo.DEMO_PASSWORD)
    assert all(p.phone.startswith("+") for p in Patient.objects.all())
    chloe = Patient.objects.get(user__username=seed_demo.THREAD_PATIENT)
    senders = list(chloe.messages.order_by("created_at", "id").values_list("kind", flat=True))
    assert senders == ["patient", "auto_reply", "care_team", "patient"]
    assert chloe.messages.filter(kind="patient", read_at__isnull=True).count() == 1  # left for the inbox
    call_command("seed_demo", stdout=StringIO())
    assert chloe.messages.count() == 4 and Nurse.objects.count() == 1
