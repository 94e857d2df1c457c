"""API sessions (issue 14): refresh rotation that cannot fork, logout, revocation on password change
or deactivation, a deleted user's token, blank passwords at activation, per-purpose rate limits."""
from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from recovery.api import throttling
from recovery.models import User
from recovery.services import sessions as tokens
from recovery.services.enrollment import enroll_patient
from tests.factories import PatientFactory, SurgeonFactory, UserFactory

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's


def login(client: APIClient, user: Any, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/token/", {"username": user.username, "password": password})


def refresh(client: APIClient, token: str) -> Any:
    return client.post("/api/v1/auth/token/refresh/", {"refresh": token})


def me(access: str) -> Any:
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")


# --- Refresh rotation under concurrency (PostgreSQL, threads, real commits) -------------------

@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_have_exactly_one_winner(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (make test)")
    patient = PatientFactory(enrolled=True)
    pair = login(APIClient(), patient.user).json()
    racers = 8
    # Every racer has decoded the token and passed simplejwt's own blacklist look before any of them
    # takes the row lock: the race the lock must settle, every time.
    barrier = threading.Barrier(racers, timeout=30)
    locked_outstanding = tokens._locked_outstanding

    def wait_then_lock(token):
        barrier.wait()
        return locked_outstanding(token)

    monkeypatch.setattr(tokens, "_locked_outstanding", wait_then_lock)
    results: list = [None] * racers

    def run(i: int) -> None:
        try:
            results[i] = refresh(APIClient(), pair["refresh"])
        except BaseException as exc:  # noqa: BLE001 - shown by the assertion below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(getattr(r, "status_code", r) for r in results)
    assert statuses == [200] + [401] * (racers - 1), results
    monkeypatch.undo()
    winner = next(r for r in results if r.status_code == 200).json()
    assert refresh(APIClient(), winner["refresh"]).status_code == 200
    # Only the winner's pair was issued: the login's token and the winner's rotation.
    assert OutstandingToken.objects.filter(user=patient.user).count() == 3


# --- Logout -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_logout_answers_205_and_the_refresh_token_stops_working(api_client, patient):
    pair = login(api_client, patient.user).json()

    response = api_client.post("/api/v1/auth/logout/", {"refresh": pair["refresh"]})

    assert response.status_code == 205
    assert refresh(api_client, pair["refresh"]).status_code == 401
    assert api_client.post("/api/v1/auth/logout/", {"refresh": pair["refresh"]}).status_code == 205  # again: same


@pytest.mark.django_db
def test_logout_of_one_phone_leaves_the_other_logged_in(api_client, patient):
    phone, tablet = login(api_client, patient.user).json(), login(api_client, patient.user).json()

    api_client.post("/api/v1/auth/logout/", {"refresh": phone["refresh"]})

    assert refresh(api_client, tablet["refresh"]).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "status", "field"), [({}, 400, "refresh"), ({"refresh": "forged"}, 401, "detail")])
def test_logout_without_a_valid_refresh_token_is_refused_as_json(api_client, body, status, field):
    response = api_client.post("/api/v1/auth/logout/", body)
    assert response.status_code == status and field in response.json()


# --- Revocation --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_password_change_ends_every_session_access_and_refresh(api_client, patient):
    first, second = login(api_client, patient.user).json(), login(api_client, patient.user).json()
    assert me(first["access"]).status_code == 200

    patient.user.set_password("a-new-and-long-passphrase")
    patient.user.save()

    for pair in (first, second):
        assert me(pair["access"]).status_code == 401
        assert refresh(api_client, pair["refresh"]).status_code == 401
    fresh = login(api_client, patient.user, "a-new-and-long-passphrase").json()
    assert me(fresh["access"]).status_code == 200


@pytest.mark.django_db
def test_deactivation_ends_every_session(api_client, patient):
    pair = login(api_client, patient.user).json()

    patient.user.is_active = False
    patient.user.save()

    assert me(pair["access"]).status_code == 401
    assert refresh(api_client, pair["refresh"]).status_code == 401
    assert not OutstandingToken.objects.filter(user=patient.user, blacklistedtoken__isnull=True).exists()


@pytest.mark.django_db
def test_saving_a_user_without_changing_credentials_keeps_their_sessions(api_client, patient):
    pair = login(api_client, patient.user).json()
    patient.user.first_name = "Ada"
    patient.user.save()
    assert me(pair["access"]).status_code == 200
    assert refresh(api_client, pair["refresh"]).status_code == 200


@pytest.mark.django_db
def test_refreshing_a_deleted_users_token_is_401_not_500(api_client, patient):
    pair = login(api_client, patient.user).json()
    patient.user.delete()

    response = refresh(api_client, pair["refresh"])

    assert response.status_code == 401 and "detail" in response.json()


# --- Activation passwords ------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("password", [" " * 8, " " * 20, "\t" * 12])
def test_a_whitespace_only_password_is_refused_at_activation(api_client, password):
    enrollment = enroll_patient(
        surgeon=SurgeonFactory(), display_name="Ada", surgery_date=timezone.now().date(),
        timezone_name="America/Chicago", pump={"kind": "programmable", "drug": "baclofen"},
    )
    response = api_client.post("/api/v1/auth/activate/",
                               {"code": enrollment.activation_code, "username": "ada", "password": password})
    assert response.status_code == 400 and list(response.json()) == ["password"]


# --- Rate limits per purpose ---------------------------------------------------------------------

@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "login_username": "3/min", "login_ip": "6/min", "refresh_token": "3/min",
        "activation_code": "3/min", "activation_ip": "6/min",
    }}


@pytest.mark.django_db
@pytest.mark.usefixtures("low_rates")
def test_a_noisy_login_from_a_shared_address_does_not_block_anyone_elses_refresh(api_client):
    ada, ben = PatientFactory(enrolled=True), PatientFactory(enrolled=True)
    ben_pair = login(api_client, ben.user).json()

    wrong = [login(api_client, ada.user, "wrong-password").status_code for _ in range(4)]

    assert wrong == [401, 401, 401, 429]  # ada's username bucket is full
    assert refresh(api_client, ben_pair["refresh"]).status_code == 200  # same address, other purpose
    assert login(api_client, ben.user).status_code == 200  # same address, other username


@pytest.mark.django_db
@pytest.mark.usefixtures("low_rates")
def test_a_username_is_limited_in_every_spelling_that_logs_in_as_it(api_client):
    """Case is counted as one (casefold: a long "ſ" is an "s"). PostgreSQL's UPPER also reads a dotless "ı" as "I",
    so "marısa" logged in as "Marisa" while counted apart from it, a fresh bucket of guesses: now it does not."""
    UserFactory(username="Marisa", role=User.Role.PATIENT)

    def attempt(username: str, password: str) -> int:
        return api_client.post("/api/v1/auth/token/", {"username": username, "password": password}).status_code

    assert [attempt(spelling, "wrong") for spelling in ("marisa", "MARISA", "Marisa")] == [401, 401, 401]
    assert attempt("mArIsA", PASSWORD) == 429
    assert attempt("marısa", PASSWORD) == 401
    assert attempt("Mariſa", PASSWORD) == 429


@pytest.mark.django_db
@pytest.mark.usefixtures("low_rates")
def test_logins_from_one_address_are_limited_across_usernames(api_client):
    statuses = [api_client.post("/api/v1/auth/token/", {"username": f"guess{i}", "password": "x"}).status_code
                for i in range(7)]
    assert statuses == [401] * 6 + [429]


@pytest.mark.django_db
@pytest.mark.usefixtures("low_rates")
def test_refresh_is_limited_per_token(api_client, patient):
    statuses = [refresh(api_client, "one-stolen-token").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert refresh(api_client, login(api_client, patient.user).json()["refresh"]).status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("low_rates")
def test_activation_is_limited_per_code_in_any_spelling(api_client):
    spellings = ["ABCDE-FGHJK", "abcde-fghjk", "ABCDEFGHJK", "abcdefghjk"]
    statuses = [api_client.post("/api/v1/auth/activate/", {"code": code, "username": "ada",
                                                            "password": "Lilac-Harbor-91"}).status_code
                for code in spellings]
    assert statuses == [400, 400, 400, 429]
    other = api_client.post("/api/v1/auth/activate/", {"code": "ZZZZZ-ZZZZZ", "username": "ada",
                                                        "password": "Lilac-Harbor-91"})
    assert other.status_code == 400


@pytest.mark.django_db
@pytest.mark.usefixtures("low_rates")
def test_activations_from_one_address_are_limited_across_codes(api_client):
    statuses = [api_client.post("/api/v1/auth/activate/", {"code": f"GUESS-{i:05d}", "username": "ada",
                                                            "password": "Lilac-Harbor-91"}).status_code
                for i in range(7)]
    assert statuses == [400] * 6 + [429]
    elsewhere = APIClient(REMOTE_ADDR="198.51.100.7").post(
        "/api/v1/auth/activate/", {"code": "GUESS-99999", "username": "ada", "password": "Lilac-Harbor-91"})
    assert elsewhere.status_code == 400  # another address has its own bucket


@pytest.mark.django_db
def test_logouts_from_one_address_are_limited(api_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "logout_ip": "3/min"}}
    statuses = [api_client.post("/api/v1/auth/logout/", {"refresh": f"forged-{i}"}).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    elsewhere = APIClient(REMOTE_ADDR="198.51.100.7").post("/api/v1/auth/logout/", {"refresh": "forged-9"})
    assert elsewhere.status_code == 401  # another address has its own bucket


@pytest.mark.django_db
def test_when_the_cache_is_down_logins_still_work(api_client, patient, settings, monkeypatch):
    settings.CACHES = {**settings.CACHES, "unreachable": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
    }}
    monkeypatch.setattr(throttling.PurposeThrottle, "cache", caches["unreachable"])

    assert login(api_client, patient.user).status_code == 200
