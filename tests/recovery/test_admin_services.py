"""The admin writes through the services: a new surgery date moves the plan, an added patient is
enrolled, and no add form answers 500 (phone reports have no add form on purpose)."""
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from recovery import plan
from recovery.models import ActivationCode, AuditEvent, Milestone, Patient, Restriction
from recovery.services import escalations
from recovery.services.enrollment import enroll_patient
from tests.factories import EscalationFactory, SurgeonFactory

pytestmark = pytest.mark.django_db


def patient_form(patient: Patient, **changes) -> dict:
    form = {
        "display_name": patient.display_name, "surgeon": patient.surgeon_id,
        "surgery_date": patient.surgery_date.isoformat(), "timezone": patient.timezone,
        "checkin_time": patient.checkin_time.strftime("%H:%M"), "binder_prescribed": "on", "user": "",
        "pump-TOTAL_FORMS": "1", "pump-INITIAL_FORMS": "1", "pump-MIN_NUM_FORMS": "1", "pump-MAX_NUM_FORMS": "1",
        "pump-0-id": patient.pump.pk, "pump-0-patient": patient.pk, "pump-0-kind": patient.pump.kind,
        "pump-0-drug": patient.pump.drug,
    }
    form.update(changes)
    return form


def plan_dates(patient: Patient) -> tuple[dict, dict]:
    milestones = dict(Milestone.objects.filter(patient=patient).values_list("key", "due_date"))
    restrictions = {key: (start, end) for key, start, end in
                    Restriction.objects.filter(patient=patient).values_list("key", "starts_on", "ends_on")}
    return milestones, restrictions


def test_changing_the_surgery_date_in_the_admin_moves_every_milestone_and_restriction(staff_client):
    patient = enroll_patient(
        surgeon=SurgeonFactory(), display_name="Ada", surgery_date=date(2026, 3, 2), timezone_name="Europe/London",
        pump={"kind": "programmable", "drug": "baclofen"},
    ).patient
    done = Milestone.objects.filter(patient=patient).order_by("due_date").first()
    Milestone.objects.filter(pk=done.pk).update(completed_at=timezone.now())
    before_milestones, before_restrictions = plan_dates(patient)

    response = staff_client.post(reverse("admin:recovery_patient_change", args=[patient.pk]),
                                 patient_form(patient, surgery_date="2026-03-12"))

    assert response.status_code == 302
    after_milestones, after_restrictions = plan_dates(patient)
    assert set(after_milestones) == set(before_milestones) == {m.key for m in plan.MILESTONES}
    assert set(after_restrictions) == set(before_restrictions) == {r.key for r in plan.RESTRICTIONS}
    shift = timedelta(days=10)
    assert after_milestones == {key: due + shift for key, due in before_milestones.items()}
    assert after_restrictions == {key: (start + shift, end + shift if end else None)
                                  for key, (start, end) in before_restrictions.items()}
    assert Milestone.objects.get(patient=patient, key=done.key).completed_at is not None  # completion kept


@pytest.mark.parametrize("surgery_date", ["9999-12-31", "0001-01-01"])
def test_a_surgery_date_out_of_any_plausible_window_is_refused_in_the_admin_and_nothing_changes(staff_client,
                                                                                                 surgery_date):
    """9999-12-31 overflowed the plan's date arithmetic (a 500); year 1 moved the whole plan there. The dashboard and
    the API refuse both; so does the admin now, naming the field."""
    patient = enroll_patient(
        surgeon=SurgeonFactory(), display_name="Ada", surgery_date=date(2026, 3, 2), timezone_name="Europe/London",
        pump={"kind": "programmable", "drug": "baclofen"},
    ).patient
    before = plan_dates(patient)

    response = staff_client.post(reverse("admin:recovery_patient_change", args=[patient.pk]),
                                 patient_form(patient, surgery_date=surgery_date))

    assert response.status_code == 200
    assert "Must be between" in str(response.context["adminform"].form.errors["surgery_date"])
    assert Patient.objects.get(pk=patient.pk).surgery_date == date(2026, 3, 2) and plan_dates(patient) == before
    assert not AuditEvent.objects.filter(action="update").exists()


@pytest.mark.parametrize("field", ["surgery_date", "pump-0-next_refill_date", "pump-0-battery_replacement_due"])
def test_a_patient_added_in_the_admin_with_an_implausible_date_is_refused_and_nothing_stored(staff_client, field):
    form = {
        "display_name": "Added Here", "surgeon": SurgeonFactory().pk, "surgery_date": "2026-11-20",
        "timezone": "America/New_York", "checkin_time": "09:00", "binder_prescribed": "on", "user": "",
        "pump-TOTAL_FORMS": "1", "pump-INITIAL_FORMS": "0", "pump-MIN_NUM_FORMS": "1", "pump-MAX_NUM_FORMS": "1",
        "pump-0-kind": "fixed_rate", "pump-0-drug": "morphine", field: "9999-12-31",
    }

    response = staff_client.post(reverse("admin:recovery_patient_add"), form)

    assert response.status_code == 200 and "Must be between" in response.content.decode()
    assert not Patient.objects.exists()


def test_a_milestone_due_date_out_of_any_plausible_window_is_refused_in_the_admin(staff_client):
    patient = enroll_patient(
        surgeon=SurgeonFactory(), display_name="Ada", surgery_date=date(2026, 3, 2), timezone_name="Europe/London",
        pump={"kind": "programmable", "drug": "baclofen"},
    ).patient
    milestone = patient.milestones.get(key="discharge")

    response = staff_client.post(reverse("admin:recovery_milestone_change", args=[milestone.pk]), {
        "patient": patient.pk, "key": milestone.key, "title": milestone.title, "due_date": "9999-12-31",
        "window_days": milestone.window_days})

    assert response.status_code == 200
    assert "Must be between" in str(response.context["adminform"].form.errors["due_date"])
    assert Milestone.objects.get(pk=milestone.pk).due_date == milestone.due_date


def test_a_patient_with_an_open_case_is_not_moved_to_another_surgeon_in_the_admin(staff_client):
    """It used to move: the open case stayed with the old surgeon, so the new team never saw it in their inbox and the
    old team, whose patient it no longer was (their patient page a 404), kept receiving every report joining it."""
    old, new = SurgeonFactory(), SurgeonFactory()
    patient = enroll_patient(
        surgeon=old, display_name="Ada", surgery_date=date(2026, 3, 2), timezone_name="Europe/London",
        pump={"kind": "programmable", "drug": "baclofen"},
    ).patient
    case = EscalationFactory(warning_report__patient=patient)

    response = staff_client.post(reverse("admin:recovery_patient_change", args=[patient.pk]),
                                 patient_form(patient, surgeon=new.pk))

    assert response.status_code == 200
    assert "resolve it before moving the patient" in str(response.context["adminform"].form.errors["surgeon"])
    assert Patient.objects.get(pk=patient.pk).surgeon == old
    escalations.resolve_escalation(case, old.user, outcome="called_patient")
    moved = staff_client.post(reverse("admin:recovery_patient_change", args=[patient.pk]),
                              patient_form(patient, surgeon=new.pk, display_name="Ada Moved"))
    assert moved.status_code == 302
    assert Patient.objects.values_list("surgeon", "display_name").get(pk=patient.pk) == (new.pk, "Ada Moved")


def test_a_patient_added_in_the_admin_is_enrolled_with_plan_pump_and_code(staff_client):
    surgeon = SurgeonFactory()
    form = {
        "display_name": "Added Here", "surgeon": surgeon.pk, "surgery_date": "2026-11-20",
        "timezone": "America/New_York", "checkin_time": "09:00", "binder_prescribed": "on", "user": "",
        "pump-TOTAL_FORMS": "1", "pump-INITIAL_FORMS": "0", "pump-MIN_NUM_FORMS": "1", "pump-MAX_NUM_FORMS": "1",
        "pump-0-kind": "fixed_rate", "pump-0-drug": "morphine", "pump-0-next_refill_date": "2027-02-01",
    }

    response = staff_client.post(reverse("admin:recovery_patient_add"), form, follow=True)

    assert response.status_code == 200
    patient = Patient.objects.get(display_name="Added Here")
    milestones, restrictions = plan_dates(patient)
    assert set(milestones) == {m.key for m in plan.MILESTONES}
    assert set(restrictions) == {r.key for r in plan.RESTRICTIONS}
    assert (patient.pump.kind, patient.pump.drug, patient.pump.next_refill_date) == (
        "fixed_rate", "morphine", date(2027, 2, 1))
    code = ActivationCode.objects.get(patient=patient)
    shown = [str(m) for m in response.context["messages"]]
    assert any("Activation code" in m for m in shown) and code.is_usable()
    assert AuditEvent.objects.filter(action="create", patient=patient, object_type="recovery.Patient").count() == 1


def test_a_patient_added_in_the_admin_without_a_pump_is_refused_and_nothing_stored(staff_client):
    surgeon = SurgeonFactory()
    form = {
        "display_name": "No Pump", "surgeon": surgeon.pk, "surgery_date": "2026-11-20", "timezone": "UTC",
        "checkin_time": "09:00", "user": "",
        "pump-TOTAL_FORMS": "1", "pump-INITIAL_FORMS": "0", "pump-MIN_NUM_FORMS": "1", "pump-MAX_NUM_FORMS": "1",
    }

    response = staff_client.post(reverse("admin:recovery_patient_add"), form)

    assert response.status_code == 200 and response.context["errors"]
    assert not Patient.objects.exists()


def registered_models():
    return [m for app in ("recovery", "notifications") for m in apps.get_app_config(app).get_models()
            if admin.site.is_registered(m)]


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label_lower)
def test_no_admin_add_form_answers_500(staff_client, model):
    try:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    except NoReverseMatch:
        return
    page = staff_client.get(url)
    empty_post = staff_client.post(url, {})

    assert page.status_code in (200, 403) and empty_post.status_code in (200, 403)
    assert (page.status_code == 403) == (empty_post.status_code == 403)


@pytest.mark.parametrize("label", ["checkin", "incisioncheck", "warningreport"])
def test_phone_reports_cannot_be_added_in_the_admin(staff_client, label):
    assert staff_client.get(reverse(f"admin:recovery_{label}_add")).status_code == 403


def valid_add_forms(patient: Patient) -> dict[str, dict]:
    return {
        "milestone": {"patient": patient.pk, "key": "extra_visit", "title": "Extra visit",
                      "due_date": "2026-12-01", "window_days": "0"},
        "restriction": {"patient": patient.pk, "key": "no_swimming", "title": "No swimming",
                        "instructions": "Until the wound has healed.", "starts_on": "2026-11-20"},
        "patientmessage": {"patient": patient.pk, "kind": "care_team", "title": "Hello", "body": "See you Monday.",
                           "created_at_0": "2026-11-20", "created_at_1": "10:00:00"},
    }


@pytest.mark.parametrize("label", ["milestone", "restriction", "patientmessage"])
def test_a_record_added_in_the_admin_is_stored_and_audited(staff_client, label):
    patient = Patient.objects.create(surgeon=SurgeonFactory(), display_name="Ada", surgery_date=date(2026, 11, 20))

    response = staff_client.post(reverse(f"admin:recovery_{label}_add"), valid_add_forms(patient)[label])

    assert response.status_code == 302, getattr(response, "context", {}) and response.context["errors"]
    model = apps.get_model("recovery", label)
    stored = model.objects.get(patient=patient)
    assert AuditEvent.objects.filter(action="create", patient=patient, object_type=model._meta.label,
                                     object_id=str(stored.pk)).exists()
