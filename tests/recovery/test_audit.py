"""Audit events record where a staff read came from without trusting headers a client can forge."""
import pytest
from django.test import RequestFactory

from recovery.models import AuditEvent
from recovery.services import audit
from tests.factories import PatientFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db


def audited_ip(**meta) -> str | None:
    patient = PatientFactory()
    request = RequestFactory().get(f"/dashboard/patients/{patient.pk}/", **meta)
    with audit.request_origin(audit.origin_of(request)):
        audit.record(actor=patient.surgeon.user, action=AuditEvent.Action.VIEW, patient=patient)
    return AuditEvent.objects.get(patient=patient).ip_address


def test_a_forged_forwarded_for_header_is_ignored_without_a_trusted_proxy(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    assert audited_ip(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.9") == "203.0.113.9"


def test_behind_one_proxy_the_address_it_saw_is_recorded(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    forged_then_real = "10.9.9.9, 198.51.100.7"
    assert audited_ip(REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR=forged_then_real) == "198.51.100.7"


@pytest.mark.parametrize("forwarded", ["unknown", "10.9.9.9, not-an-address", "999.1.1.1", "fe80::1%eth0"])
def test_a_forwarded_for_entry_that_is_not_an_address_records_the_peers_address(settings, forwarded):
    # The inet column refused it: every audited read from such a client was a 500.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert audited_ip(REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR=forwarded) == "172.18.0.2"


def test_a_nul_in_the_user_agent_is_dropped_from_the_audit_row():
    # PostgreSQL text holds no NUL: every audited read from such a client was a 500.
    patient = PatientFactory()
    request = RequestFactory().get(f"/dashboard/patients/{patient.pk}/", HTTP_USER_AGENT="App/1.0\x00(evil)")
    with audit.request_origin(audit.origin_of(request)):
        audit.record(actor=patient.surgeon.user, action=AuditEvent.Action.VIEW, patient=patient)
    assert AuditEvent.objects.get().user_agent == "App/1.0(evil)"


def test_a_care_team_read_with_such_headers_answers_200(api_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    patient = PatientFactory()
    response = bearer(api_client, patient.surgeon.user).get(
        f"/api/v1/surgeon/patients/{patient.pk}/", HTTP_X_FORWARDED_FOR="fe80::1%eth0", HTTP_USER_AGENT="\x00")
    assert response.status_code == 200
    assert AuditEvent.objects.get(patient=patient).ip_address == "127.0.0.1"


def test_an_audit_event_names_who_what_and_the_path():
    patient = PatientFactory()
    request = RequestFactory().get(f"/dashboard/patients/{patient.pk}/", HTTP_USER_AGENT="Firefox",
                                   REMOTE_ADDR="203.0.113.9")
    with audit.request_origin(audit.origin_of(request)):
        audit.record(actor=patient.surgeon.user, action=AuditEvent.Action.VIEW, patient=patient)
    event = AuditEvent.objects.get()
    assert (event.actor, event.object_type, event.object_id, event.path, event.user_agent) == (
        patient.surgeon.user, "recovery.Patient", str(patient.pk), f"/dashboard/patients/{patient.pk}/", "Firefox"
    )
