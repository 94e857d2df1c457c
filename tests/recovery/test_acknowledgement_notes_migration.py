"""The migrations that keep every acknowledgement note (recovery/migrations/0016, 0017): the one note each case
held is carried over as its first AcknowledgementNote, named for its writer only where the audit trail names
them for certain; going back puts each case's latest note into the column again."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.support import migrate

BEFORE = [("recovery", "0015_devices_of_inactive_logins_disabled")]
AFTER = [("recovery", "0017_escalation_acknowledge_note_removed")]

pytestmark = pytest.mark.usefixtures("back_to_the_latest_schema")


def legacy_cases(apps):
    """Three acknowledged cases as the old schema held them: a note written at the one acknowledgement, a note
    left by one of two people who acknowledged, and no note."""
    User = apps.get_model("recovery", "User")
    Surgeon = apps.get_model("recovery", "Surgeon")
    Patient = apps.get_model("recovery", "Patient")
    Escalation = apps.get_model("recovery", "Escalation")
    AuditEvent = apps.get_model("recovery", "AuditEvent")
    now = timezone.now()
    surgeon = Surgeon.objects.create(user=User.objects.create(username="dr.kept", role="surgeon"), display_name="Dr K")
    nurse = User.objects.create(username="nurse.kept", role="nurse")

    def case(name, note, acknowledgements):
        patient = Patient.objects.create(surgeon=surgeon, display_name=name, surgery_date=date(2026, 1, 1))
        escalation = Escalation.objects.create(
            patient=patient, level="urgent", reasons=["fever"], assigned_surgeon=surgeon, created_at=now,
            ack_due_at=now, acknowledged_at=acknowledgements[0][1], acknowledged_by=acknowledgements[0][0],
            acknowledge_note=note, updated_at=acknowledgements[-1][1],
        )
        for actor, at in acknowledgements:
            AuditEvent.objects.create(actor=actor, action="acknowledge", patient=patient,
                                      object_type="recovery.Escalation", object_id=str(escalation.pk), at=at)
        return escalation

    one = case("Ada", "called patient, no answer", [(nurse, now - timedelta(minutes=30))])
    two = case("Ben", "spoke to patient", [(nurse, now - timedelta(minutes=20)), (surgeon.user, now)])
    none = case("Cy", "", [(surgeon.user, now)])
    return nurse, one, two, none


@pytest.mark.django_db(transaction=True)
def test_each_stored_note_is_kept_with_its_writer_where_the_audit_trail_names_them():
    nurse, one, two, none = legacy_cases(migrate(BEFORE))

    apps = migrate(AFTER)
    AcknowledgementNote = apps.get_model("recovery", "AcknowledgementNote")

    kept = {note.escalation_id: note for note in AcknowledgementNote.objects.all()}
    assert set(kept) == {one.pk, two.pk}
    assert (kept[one.pk].text, kept[one.pk].author_id, kept[one.pk].created_at) == (
        "called patient, no answer", nurse.pk, one.acknowledged_at)
    # Two people acknowledged: the first one is not necessarily who wrote it, so nobody is named.
    assert (kept[two.pk].text, kept[two.pk].author_id, kept[two.pk].created_at) == (
        "spoke to patient", None, two.updated_at)
    assert not hasattr(apps.get_model("recovery", "Escalation")(), "acknowledge_note")


@pytest.mark.django_db(transaction=True)
def test_going_back_puts_each_cases_latest_note_into_the_column():
    _nurse, one, two, none = legacy_cases(migrate(BEFORE))
    apps = migrate(AFTER)
    apps.get_model("recovery", "AcknowledgementNote").objects.create(
        escalation_id=two.pk, text="clinic visit tomorrow", created_at=timezone.now() + timedelta(minutes=5))

    apps = migrate(BEFORE)
    Escalation = apps.get_model("recovery", "Escalation")

    assert dict(Escalation.objects.values_list("pk", "acknowledge_note")) == {
        one.pk: "called patient, no answer", two.pk: "clinic visit tomorrow", none.pk: ""}
