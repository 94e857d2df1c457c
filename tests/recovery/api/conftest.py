"""Fixtures of the API tests: logged-in patient and surgeon clients using real bearer tokens."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from recovery.models import Patient, Surgeon
from tests.factories import PatientFactory, SurgeonFactory
from tests.support import bearer


@pytest.fixture(autouse=True)
def fresh_throttle_counters():
    """Rate-limit counters live in the cache (Redis in the suite); each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def patient(db) -> Patient:
    return PatientFactory(enrolled=True)


@pytest.fixture
def surgeon(db) -> Surgeon:
    return SurgeonFactory()


@pytest.fixture
def patient_client(api_client: APIClient, patient: Patient) -> APIClient:
    return bearer(api_client, patient.user)


@pytest.fixture
def surgeon_client(api_client: APIClient, surgeon: Surgeon) -> APIClient:
    return bearer(api_client, surgeon.user)
