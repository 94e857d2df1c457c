"""The dashboard shows times in the clinic's zone; the API answers in UTC (shared/API.md), also when the same worker
thread served a dashboard page just before (Django keeps the active zone per thread)."""
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import EscalationFactory, PatientFactory
from tests.support import bearer


def test_an_api_answer_after_a_dashboard_page_is_in_utc(surgeon, surgeon_client):
    assert settings.CLINIC_TIME_ZONE != "UTC"
    EscalationFactory(warning_report__patient=PatientFactory(surgeon=surgeon))
    page = surgeon_client.get(reverse("dashboard:inbox"))
    assert page.status_code == 200
    assert page.context["clinic_zone"] == settings.CLINIC_TIME_ZONE

    answer = bearer(APIClient(), surgeon.user).get("/api/v1/surgeon/inbox/")

    assert answer.status_code == 200
    (case,) = answer.json()
    assert case["created_at"].endswith("Z"), case["created_at"]
