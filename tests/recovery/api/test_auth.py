"""Accounts of shared/API.md: tokens, refresh rotation, patient activation, rate limiting, roles."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.tokens import AccessToken

from recovery.models import ActivationCode, Patient, Surgeon, User
from recovery.services.accounts import issue_activation_code
from recovery.services.enrollment import enroll_patient
from recovery.services.sessions import token_pair
from tests.factories import PASSWORD, NurseFactory, PatientFactory, SurgeonFactory, UserFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db


def enroll():
    return enroll_patient(
        surgeon=SurgeonFactory(), display_name="Ada", surgery_date=timezone.now().date(),
        timezone_name="America/Chicago", pump={"kind": "programmable", "drug": "baclofen"},
    )


def activate(client, code, username="ada", password="Lilac-Harbor-91"):
    return client.post("/api/v1/auth/activate/", {"code": code, "username": username, "password": password})


# --- Tokens ----------------------------------------------------------------------------------

def test_token_answers_an_access_and_a_refresh_token(api_client):
    UserFactory(username="drwho", role=User.Role.SURGEON)
    response = api_client.post("/api/v1/auth/token/", {"username": "drwho", "password": PASSWORD})
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_token_with_bad_credentials_is_401(api_client):
    UserFactory(username="drwho")
    response = api_client.post("/api/v1/auth/token/", {"username": "drwho", "password": "wrong"})
    assert response.status_code == 401


def test_token_without_a_password_is_400_naming_it(api_client):
    response = api_client.post("/api/v1/auth/token/", {"username": "drwho"})
    assert response.status_code == 400
    assert "password" in response.json()


@pytest.mark.parametrize("typed", ["ada", "ADA", "aDa"])
def test_a_username_logs_in_in_any_case_as_activation_keeps_it_unique_in_any_case(api_client, typed):
    """A phone keyboard capitalises the first letter on one screen and not on another: "ada" is refused at
    activation as taken by "Ada", so it must log in as "Ada" too."""
    assert activate(api_client, enroll().activation_code, username="Ada").status_code == 201
    response = api_client.post("/api/v1/auth/token/", {"username": typed, "password": "Lilac-Harbor-91"})
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get("/api/v1/me/").json()["display_name"] == "Ada"


def test_logins_that_differ_only_in_case_each_log_in_only_as_written(api_client):
    """Made before activation refused such names (or by a command): the name matches exactly or not at all."""
    UserFactory(username="drwho", role=User.Role.SURGEON)
    UserFactory(username="DrWho", role=User.Role.SURGEON)
    assert api_client.post("/api/v1/auth/token/", {"username": "drwho", "password": PASSWORD}).status_code == 200
    assert api_client.post("/api/v1/auth/token/", {"username": "DrWho", "password": PASSWORD}).status_code == 200
    assert api_client.post("/api/v1/auth/token/", {"username": "DRWHO", "password": PASSWORD}).status_code == 401


def test_access_token_lives_15_minutes(api_client, patient):
    response = api_client.post("/api/v1/auth/token/", {"username": patient.user.username, "password": PASSWORD})
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    with time_machine.travel(timezone.now() + timedelta(minutes=14)):
        assert api_client.get("/api/v1/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert api_client.get("/api/v1/me/").status_code == 401


def test_refresh_rotates_and_the_old_refresh_token_stops_working(api_client, patient):
    tokens = api_client.post(
        "/api/v1/auth/token/", {"username": patient.user.username, "password": PASSWORD}
    ).json()
    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert response.status_code == 200
    rotated = response.json()
    assert set(rotated) == {"access", "refresh"} and rotated["refresh"] != tokens["refresh"]
    assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401
    assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": rotated["refresh"]}).status_code == 200


def test_refresh_token_expires_after_7_days(api_client, patient):
    tokens = api_client.post(
        "/api/v1/auth/token/", {"username": patient.user.username, "password": PASSWORD}
    ).json()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401


def test_refresh_with_garbage_is_401(api_client):
    assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": "not-a-token"}).status_code == 401


def test_refresh_without_a_token_is_400(api_client):
    response = api_client.post("/api/v1/auth/token/refresh/", {})
    assert response.status_code == 400 and "refresh" in response.json()


# --- Activation ------------------------------------------------------------------------------

def test_activation_creates_the_patient_login_and_answers_tokens(api_client):
    enrollment = enroll()
    response = activate(api_client, enrollment.activation_code)
    assert response.status_code == 201
    assert set(response.json()) == {"access", "refresh"}
    patient = Patient.objects.select_related("user").get(pk=enrollment.patient.pk)
    assert patient.user.username == "ada" and patient.user.role == User.Role.PATIENT
    assert patient.user.check_password("Lilac-Harbor-91")
    assert ActivationCode.objects.get(patient=patient).used_at is not None
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get("/api/v1/me/").json()["id"] == patient.pk


def test_activation_without_a_usable_code_says_nothing_about_the_username(api_client):
    """Otherwise anyone could learn which usernames exist (staff ones too) without a code."""
    UserFactory(username="dr.house", role=User.Role.SURGEON)
    taken = activate(api_client, "AAAAA-AAAAA", username="dr.house")
    free = activate(api_client, "AAAAA-AAAAA", username="nobody99")
    assert taken.status_code == free.status_code == 400
    assert taken.json() == free.json() and list(taken.json()) == ["code"]


def test_with_a_usable_code_a_taken_username_and_a_weak_password_are_both_named(api_client):
    UserFactory(username="dr.house", role=User.Role.SURGEON)
    enrollment = enroll()
    response = activate(api_client, enrollment.activation_code, username="dr.house", password="123")
    assert response.status_code == 400 and set(response.json()) == {"username", "password"}
    assert ActivationCode.objects.get(patient=enrollment.patient).used_at is None


def test_activation_code_is_accepted_in_any_case_and_without_dashes(api_client):
    enrollment = enroll()
    assert activate(api_client, enrollment.activation_code.replace("-", "").lower()).status_code == 201


def assert_nothing_changed(enrollment, users_before):
    assert User.objects.count() == users_before
    assert Patient.objects.get(pk=enrollment.patient.pk).user_id is None
    assert ActivationCode.objects.get(patient=enrollment.patient).used_at is None


def test_used_code_is_400(api_client):
    enrollment = enroll()
    activate(api_client, enrollment.activation_code)
    users = User.objects.count()
    response = activate(api_client, enrollment.activation_code, username="someone-else")
    assert response.status_code == 400 and "code" in response.json()
    assert User.objects.count() == users


def test_the_same_activation_sent_again_answers_new_tokens_for_the_login_it_made(api_client):
    """The phone lost the first answer on the way (a dropped connection) and sends the same request again: the
    patient must not be told their code is used up when the app is in fact set up."""
    enrollment = enroll()
    first = activate(api_client, enrollment.activation_code)
    users = User.objects.count()
    with time_machine.travel(timezone.now() + timedelta(minutes=9)):
        again = activate(api_client, enrollment.activation_code)
        assert again.status_code == 201 and set(again.json()) == {"access", "refresh"}
        assert again.json()["refresh"] != first.json()["refresh"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {again.json()['access']}")
        assert api_client.get("/api/v1/me/").json()["id"] == enrollment.patient.pk
    assert User.objects.count() == users


@pytest.mark.parametrize(("change", "after"), [
    ({"password": "Other-Harbor-92"}, timedelta(minutes=1)),
    ({"username": "ada2"}, timedelta(minutes=1)),
    ({}, timedelta(minutes=11)),
])
def test_a_used_code_with_other_credentials_or_later_is_still_400(api_client, change, after):
    enrollment = enroll()
    activate(api_client, enrollment.activation_code)
    with time_machine.travel(timezone.now() + after):
        response = activate(api_client, enrollment.activation_code, **change)
    assert response.status_code == 400 and list(response.json()) == ["code"]


def test_a_deactivated_login_is_not_answered_tokens_by_activating_again(api_client):
    enrollment = enroll()
    activate(api_client, enrollment.activation_code)
    User.objects.filter(username="ada").update(is_active=False)
    response = activate(api_client, enrollment.activation_code)
    assert response.status_code == 400 and list(response.json()) == ["code"]


def test_unknown_code_is_400_and_changes_nothing(api_client):
    enrollment = enroll()
    users = User.objects.count()
    response = activate(api_client, "ABCDE-FGHJK")
    assert response.status_code == 400 and "code" in response.json()
    assert_nothing_changed(enrollment, users)


def test_code_expires_after_14_days(api_client):
    enrollment = enroll()
    users = User.objects.count()
    with time_machine.travel(timezone.now() + timedelta(days=14, seconds=1)):
        response = activate(api_client, enrollment.activation_code)
    assert response.status_code == 400 and "code" in response.json()
    assert_nothing_changed(enrollment, users)


def test_code_still_works_on_day_13(api_client):
    enrollment = enroll()
    with time_machine.travel(timezone.now() + timedelta(days=13)):
        assert activate(api_client, enrollment.activation_code).status_code == 201


def test_a_reissued_code_replaces_the_earlier_one(api_client):
    enrollment = enroll()
    new_code = issue_activation_code(enrollment.patient)
    assert activate(api_client, enrollment.activation_code).status_code == 400
    assert activate(api_client, new_code).status_code == 201


def test_taken_username_is_400_naming_username_and_changes_nothing(api_client):
    UserFactory(username="ada")
    enrollment = enroll()
    users = User.objects.count()
    response = activate(api_client, enrollment.activation_code, username="ADA")
    assert response.status_code == 400
    assert list(response.json()) == ["username"]
    assert_nothing_changed(enrollment, users)


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901", "ada-ada-ada"])
def test_weak_password_is_400_naming_password_and_changes_nothing(api_client, password):
    enrollment = enroll()
    users = User.objects.count()
    response = activate(api_client, enrollment.activation_code, username="ada-ada-ada", password=password)
    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert_nothing_changed(enrollment, users)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ada", "password": "Lilac-Harbor-91"}, "code"),
        ({"code": "X", "password": "Lilac-Harbor-91"}, "username"),
        ({"code": "X", "username": "ada"}, "password"),
        ({"code": "X", "username": "no spaces allowed", "password": "Lilac-Harbor-91"}, "username"),
        ({"code": ["X"], "username": "ada", "password": "Lilac-Harbor-91"}, "code"),
    ],
)
def test_activation_with_missing_or_malformed_fields_is_400_naming_the_field(api_client, body, field):
    response = api_client.post("/api/v1/auth/activate/", body)
    assert response.status_code == 400 and field in response.json()


def test_an_already_activated_patient_cannot_be_activated_again_with_a_new_code(api_client):
    patient = PatientFactory()
    code = issue_activation_code(patient)
    response = activate(api_client, code)
    assert response.status_code == 400 and "code" in response.json()


@pytest.mark.parametrize("password", ["Lilac Harbor 91 ", " Lilac Harbor 91", " Lilac-Harbor-91 "])
def test_a_password_set_at_activation_with_an_outer_space_logs_in_as_typed(api_client, password):
    """Activation stores the password as typed; the login must compare it as typed too (Django's own login
    form does not strip it), or the patient is locked out once the first refresh token expires."""
    assert activate(api_client, enroll().activation_code, password=password).status_code == 201
    as_typed = api_client.post("/api/v1/auth/token/", {"username": "ada", "password": password})
    assert as_typed.status_code == 200 and set(as_typed.json()) == {"access", "refresh"}
    trimmed = api_client.post("/api/v1/auth/token/", {"username": "ada", "password": password.strip()})
    assert trimmed.status_code == 401


# --- Staff second factor (STAFF_TWO_FACTOR_REQUIRED) -----------------------------------------

TOKEN = "/api/v1/auth/token/"
STAFF_LIST = "/api/v1/surgeon/patients/"


@pytest.fixture
def two_factor_required(settings):
    settings.STAFF_TWO_FACTOR_REQUIRED = True


@pytest.fixture(params=["surgeon", "nurse"])
def staff(request) -> User:
    """A surgeon, or a nurse in a surgeon's team: both read the surgeon API."""
    return SurgeonFactory().user if request.param == "surgeon" else NurseFactory().user


def authenticator(user: User) -> TOTPDevice:
    """A confirmed TOTP device, as the dashboard's two-factor setup leaves it."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def recovery_codes(user: User) -> list[str]:
    device = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes = ["recover01", "recover02"]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def log_in(client, user: User, **extra: str):
    return client.post(TOKEN, {"username": user.username, "password": PASSWORD, **extra})


def reads_staff_list(client, access: str) -> int:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(STAFF_LIST).status_code


@pytest.mark.usefixtures("two_factor_required")
def test_with_two_factor_required_a_staff_password_alone_is_400_naming_otp_token_and_gives_no_tokens(api_client,
                                                                                                      staff):
    authenticator(staff)
    response = log_in(api_client, staff)
    assert response.status_code == 400
    assert list(response.json()) == ["otp_token"]


@pytest.mark.usefixtures("two_factor_required")
def test_a_wrong_second_factor_is_400_naming_otp_token(api_client, staff):
    authenticator(staff)
    response = log_in(api_client, staff, otp_token="000000")
    assert response.status_code == 400
    assert list(response.json()) == ["otp_token"]


@pytest.mark.usefixtures("two_factor_required")
def test_a_wrong_password_is_still_401_before_any_second_factor(api_client, staff):
    device = authenticator(staff)
    body = {"username": staff.username, "password": "wrong", "otp_token": current_code(device)}
    response = api_client.post(TOKEN, body)
    assert response.status_code == 401


@pytest.mark.usefixtures("two_factor_required")
def test_the_current_totp_code_gives_tokens_that_read_the_staff_api(api_client, staff):
    device = authenticator(staff)
    response = log_in(api_client, staff, otp_token=current_code(device))
    assert response.status_code == 200
    assert abs(AccessToken(response.json()["access"])["otp"] - time.time()) < 60  # when it was passed
    assert reads_staff_list(api_client, response.json()["access"]) == 200


@pytest.mark.usefixtures("two_factor_required")
def test_a_recovery_code_gives_tokens_once(api_client, staff):
    authenticator(staff)
    codes = recovery_codes(staff)
    first = log_in(api_client, staff, otp_token=codes[0])
    assert first.status_code == 200
    assert reads_staff_list(api_client, first.json()["access"]) == 200
    api_client.credentials()
    again = log_in(api_client, staff, otp_token=codes[0])
    assert again.status_code == 400 and list(again.json()) == ["otp_token"]
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):  # past django-otp's wait after a wrong code
        assert log_in(api_client, staff, otp_token=codes[1]).status_code == 200


@pytest.mark.usefixtures("two_factor_required")
def test_a_staff_login_without_two_factor_set_up_is_told_to_set_it_up_on_the_dashboard(api_client, staff):
    response = log_in(api_client, staff, otp_token="123456")
    assert response.status_code == 400
    assert "dashboard" in response.json()["otp_token"][0]


@pytest.mark.usefixtures("two_factor_required")
def test_after_a_wrong_code_django_otp_makes_the_next_one_wait(api_client, staff):
    device = authenticator(staff)
    log_in(api_client, staff, otp_token="000000")
    response = log_in(api_client, staff, otp_token=current_code(device))
    assert response.status_code == 400
    assert "try again in" in response.json()["otp_token"][0]


@pytest.mark.usefixtures("two_factor_required", "auth_rate_2_per_minute")
def test_wrong_second_factors_count_towards_the_login_rate(api_client, staff):
    device = authenticator(staff)
    assert [log_in(api_client, staff, otp_token="000000").status_code for _ in range(2)] == [400, 400]
    device.throttle_reset()
    assert log_in(api_client, staff, otp_token=current_code(device)).status_code == 429


@pytest.mark.usefixtures("two_factor_required")
def test_a_staff_access_token_without_the_second_factor_is_401(api_client, staff):
    authenticator(staff)
    assert reads_staff_list(api_client, str(AccessToken.for_user(staff))) == 401


@pytest.mark.usefixtures("two_factor_required")
def test_a_staff_refresh_token_without_the_second_factor_is_401(api_client, staff):
    authenticator(staff)
    refresh = token_pair(staff)["refresh"]
    assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}).status_code == 401


@pytest.mark.usefixtures("two_factor_required")
def test_a_refresh_keeps_the_second_factor_on_the_new_tokens(api_client, staff):
    device = authenticator(staff)
    tokens = log_in(api_client, staff, otp_token=current_code(device)).json()
    rotated = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert rotated.status_code == 200
    assert reads_staff_list(api_client, rotated.json()["access"]) == 200
    api_client.credentials()
    again = api_client.post("/api/v1/auth/token/refresh/", {"refresh": rotated.json()["refresh"]})
    assert again.status_code == 200
    assert AccessToken(again.json()["access"])["otp"] == AccessToken(tokens["access"])["otp"]  # not renewed


@pytest.mark.usefixtures("two_factor_required")
def test_with_two_factor_required_a_patient_logs_in_and_refreshes_with_the_password_alone(api_client, patient):
    tokens = log_in(api_client, patient.user).json()
    assert "otp" not in AccessToken(tokens["access"])
    rotated = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert rotated.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated.json()['access']}")
    assert api_client.get("/api/v1/me/").status_code == 200


def test_without_the_requirement_a_staff_password_alone_still_gives_working_tokens(api_client, staff):
    authenticator(staff)
    response = log_in(api_client, staff)
    assert response.status_code == 200
    assert reads_staff_list(api_client, response.json()["access"]) == 200
    api_client.credentials()
    rotated = api_client.post("/api/v1/auth/token/refresh/", {"refresh": response.json()["refresh"]})
    assert rotated.status_code == 200
    assert reads_staff_list(api_client, rotated.json()["access"]) == 200


# --- Rate limiting ---------------------------------------------------------------------------

@pytest.fixture
def auth_rate_2_per_minute(settings):
    rates = {scope: "2/min" for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/token/", {"username": "x", "password": "y"}),
        ("/api/v1/auth/token/refresh/", {"refresh": "garbage"}),
        ("/api/v1/auth/activate/", {"code": "ABCDE-FGHJK", "username": "ada", "password": "Lilac-Harbor-91"}),
    ],
)
@pytest.mark.usefixtures("auth_rate_2_per_minute")
def test_auth_endpoints_answer_429_past_the_rate(api_client, path, body):
    statuses = [api_client.post(path, body).status_code for _ in range(3)]
    assert 429 not in statuses[:2] and statuses[2] == 429


@pytest.mark.usefixtures("auth_rate_2_per_minute")
def test_rate_limit_applies_even_with_good_credentials(api_client, patient):
    body = {"username": patient.user.username, "password": PASSWORD}
    statuses = [api_client.post("/api/v1/auth/token/", body).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


# --- Authentication and roles ----------------------------------------------------------------

PATIENT_GETS = ["/api/v1/me/", "/api/v1/timeline/", "/api/v1/restrictions/", "/api/v1/checkins/", "/api/v1/messages/"]
PATIENT_POSTS = ["/api/v1/checkins/", "/api/v1/incision-checks/", "/api/v1/warning-reports/"]
SURGEON_GETS = ["/api/v1/surgeon/patients/", "/api/v1/surgeon/inbox/", "/api/v1/surgeon/patients/1/"]
SURGEON_POSTS = ["/api/v1/surgeon/patients/", "/api/v1/surgeon/inbox/1/acknowledge/"]


@pytest.mark.parametrize("path", PATIENT_GETS + SURGEON_GETS)
def test_reads_without_a_token_are_401(api_client, path):
    assert api_client.get(path).status_code == 401


@pytest.mark.parametrize("path", PATIENT_POSTS + SURGEON_POSTS)
def test_writes_without_a_token_are_401(api_client, path):
    assert api_client.post(path, {}).status_code == 401


def test_patch_me_without_a_token_is_401(api_client):
    assert api_client.patch("/api/v1/me/", {"timezone": "UTC"}).status_code == 401


def test_a_malformed_bearer_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    assert api_client.get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("path", SURGEON_GETS)
def test_a_patient_on_surgeon_reads_is_403(patient_client, path):
    assert patient_client.get(path).status_code == 403


@pytest.mark.parametrize("path", SURGEON_POSTS)
def test_a_patient_on_surgeon_writes_is_403(patient_client, path):
    assert patient_client.post(path, {}).status_code == 403


@pytest.mark.parametrize("path", PATIENT_GETS)
def test_a_surgeon_on_patient_reads_is_403(surgeon_client, path):
    assert surgeon_client.get(path).status_code == 403


@pytest.mark.parametrize("path", PATIENT_POSTS)
def test_a_surgeon_on_patient_writes_is_403(surgeon_client, path):
    assert surgeon_client.post(path, {}).status_code == 403


@pytest.mark.parametrize("path", PATIENT_GETS + SURGEON_GETS)
def test_a_staff_login_is_403_on_both_halves(api_client, path):
    bearer(api_client, UserFactory(role=User.Role.STAFF))
    assert api_client.get(path).status_code == 403


# Logins made the real ways (activation, create_surgeon) hold one role and pass only its half of the API.

def test_the_login_activation_makes_is_a_patient_one_refused_by_the_surgeon_api(api_client):
    response = activate(api_client, enroll().activation_code)
    user = User.objects.get(username="ada")
    assert user.is_patient and not user.is_surgeon
    assert not Surgeon.objects.filter(user=user).exists()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get("/api/v1/me/").status_code == 200
    assert api_client.get("/api/v1/surgeon/inbox/").status_code == 403


def test_the_login_create_surgeon_makes_is_a_surgeon_one_refused_by_the_patient_api(api_client):
    call_command("create_surgeon", "--username", "drgrey", "--password", "Scalpel-Orchid-77")
    user = User.objects.get(username="drgrey")
    assert user.is_surgeon and not user.is_patient
    assert not Patient.objects.filter(user=user).exists()
    bearer(api_client, user)
    assert api_client.get("/api/v1/surgeon/inbox/").status_code == 200
    assert api_client.get("/api/v1/me/").status_code == 403


@pytest.mark.usefixtures("two_factor_required")
def test_a_staff_session_ends_a_dashboard_session_age_after_its_second_factor_however_often_refreshed(
        api_client, staff, settings):
    device = authenticator(staff)
    tokens = log_in(api_client, staff, otp_token=current_code(device)).json()
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 600)):
        rotated = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
        assert rotated.status_code == 200 and reads_staff_list(api_client, rotated.json()["access"]) == 200
    api_client.credentials()
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": rotated.json()["refresh"]}).status_code == 401


@pytest.mark.usefixtures("two_factor_required")
def test_removing_the_authenticator_ends_the_staff_api_sessions(api_client, staff):
    """A lost or stolen phone: the admin deletes the device, and refreshing stops at once."""
    device = authenticator(staff)
    tokens = log_in(api_client, staff, otp_token=current_code(device)).json()
    device.delete()
    assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401
