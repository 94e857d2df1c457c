"""Rules the database and the models enforce themselves (milestones and restrictions: test_plan.py)."""
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from recovery.models import TriageLevel, User, validate_timezone_name
from tests.factories import (
    CheckInFactory,
    EscalationFactory,
    IncisionCheckFactory,
    PatientFactory,
    SurgeonFactory,
    WarningReportFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("factory", [CheckInFactory, IncisionCheckFactory, WarningReportFactory])
def test_same_client_id_twice_for_one_patient_is_refused(factory):
    first = factory()

    with pytest.raises(IntegrityError):
        factory(patient=first.patient, client_id=first.client_id)


@pytest.mark.parametrize("factory", [CheckInFactory, IncisionCheckFactory, WarningReportFactory])
def test_same_client_id_for_two_patients_is_allowed(factory):
    client_id = uuid.uuid4()
    factory(client_id=client_id)

    factory(client_id=client_id)

    assert factory._meta.model.objects.filter(client_id=client_id).count() == 2


def test_same_client_id_on_different_kinds_of_report_is_allowed():
    checkin = CheckInFactory()

    report = WarningReportFactory(patient=checkin.patient, client_id=checkin.client_id)

    assert report.pk is not None


def test_escalation_without_a_report_is_allowed_for_the_periodic_jobs():
    # A missed pump refill is raised by the refill safety net, not by a phone report.
    escalation = EscalationFactory(warning_report=None, patient=PatientFactory())
    assert escalation.source is None


def test_escalation_cannot_have_two_source_reports():
    patient = PatientFactory()

    with pytest.raises(IntegrityError, match="escalation_at_most_one_source"):
        EscalationFactory(warning_report=WarningReportFactory(patient=patient), checkin=CheckInFactory(patient=patient))


def test_escalation_cannot_be_routine():
    with pytest.raises(IntegrityError, match="escalation_not_routine"):
        EscalationFactory(level=TriageLevel.ROUTINE)


def test_one_login_cannot_hold_two_patient_profiles():
    patient = PatientFactory()

    with pytest.raises(IntegrityError):
        PatientFactory(user=patient.user)


def test_new_login_defaults_to_staff_role_not_a_clinical_one():
    user = User.objects.create_user(username="someone", password="x")

    assert user.role == User.Role.STAFF
    assert not user.is_surgeon and not user.is_patient


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "EST5", "", "../etc/passwd", "America", "x" * 300,
                                  "localtime", "Factory", "posixrules", "posix/Europe/London", "right/UTC"])
def test_timezone_validator_rejects_unknown_zones(name):
    with pytest.raises(ValidationError):
        validate_timezone_name(name)


def test_patient_with_unknown_timezone_fails_validation():
    patient = PatientFactory.build(timezone="Atlantis/Capital", surgeon=SurgeonFactory(), user=None)

    with pytest.raises(ValidationError) as exc:
        patient.full_clean()

    assert "timezone" in exc.value.message_dict


def test_surgeon_cannot_be_their_own_backup_in_the_database():
    surgeon = SurgeonFactory()
    surgeon.backup = surgeon

    with pytest.raises(IntegrityError, match="surgeon_not_own_backup"):
        surgeon.save()


def test_surgeon_own_backup_fails_validation_on_backup_field():
    surgeon = SurgeonFactory()
    surgeon.backup = surgeon

    with pytest.raises(ValidationError) as exc:
        surgeon.full_clean()

    assert "backup" in exc.value.message_dict


@pytest.mark.parametrize("deleted", ["incision check", "patient"])
def test_a_deleted_incision_checks_photo_file_leaves_the_storage(deleted, tmp_path, settings,
                                                                django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    from tests.factories import IncisionCheckFactory

    settings.MEDIA_ROOT = tmp_path
    check = IncisionCheckFactory()
    check.photo.save("wound.jpg", ContentFile(b"\xff\xd8 not really a jpeg"), save=True)
    path = Path(check.photo.path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        (check if deleted == "incision check" else check.patient).delete()
    assert not path.exists()
