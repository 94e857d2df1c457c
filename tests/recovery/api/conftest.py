"""Fixtures of the API tests: logged-in patient and surgeon clients using real bearer tokens."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from recovery.models import Patient, Surgeon, User
from recovery.services.plans import create_recovery_plan
from tests.factories import PatientFactory, PumpFactory, SurgeonFactory


@pytest.fixture(autouse=True)
def fresh_throttle_counters():
    """Rate-limit counters live in the cache (Redis in the suite); each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def bearer(client: APIClient, user: User) -> APIClient:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def make_patient(**fields) -> Patient:
    """An activated patient with pump and recovery plan, as enrollment leaves them."""
    patient = PatientFactory(**fields)
    PumpFactory(patient=patient)
    create_recovery_plan(patient)
    return patient


@pytest.fixture
def patient(db) -> Patient:
    return make_patient()


@pytest.fixture
def surgeon(db) -> Surgeon:
    return SurgeonFactory()


@pytest.fixture
def patient_client(api_client: APIClient, patient: Patient) -> APIClient:
    return bearer(api_client, patient.user)


@pytest.fixture
def surgeon_client(api_client: APIClient, surgeon: Surgeon) -> APIClient:
    return bearer(api_client, surgeon.user)
