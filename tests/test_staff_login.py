"""Staff logins (issue 14): lockout after repeated wrong passwords on the dashboard and the admin
(django-axes) and unlock; the TOTP second factor with recovery codes (django-otp), required in
production settings."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery.models import User
from tests.factories import NurseFactory, SurgeonFactory, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
LOGINS = {"dashboard": "/dashboard/login/", "admin": "/admin/login/"}


@pytest.fixture
def admin_user() -> User:
    return UserFactory(role=User.Role.STAFF, is_staff=True, is_superuser=True)


def post_login(client: Client, where: str, username: str, password: str) -> Any:
    return client.post(LOGINS[where], {"username": username, "password": password})


# --- Lockout -------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["dashboard", "admin"])
def test_the_fifth_wrong_password_locks_the_login_even_for_the_right_password(where, settings, admin_user):
    user = SurgeonFactory().user if where == "dashboard" else admin_user
    client = Client()

    limit = settings.AXES_FAILURE_LIMIT
    statuses = [post_login(client, where, user.username, "wrong").status_code for _ in range(limit)]

    assert statuses == [200] * (limit - 1) + [429]
    assert post_login(client, where, user.username, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("where", ["dashboard", "admin"])
def test_an_admin_command_unlocks_the_login(where, settings, admin_user):
    user = SurgeonFactory().user if where == "dashboard" else admin_user
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, where, user.username, "wrong")

    call_command("axes_reset_username", user.username)

    assert post_login(client, where, user.username, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_lockout_holds_one_username_from_one_address_not_colleagues_behind_the_same_address(settings):
    locked, colleague = SurgeonFactory().user, SurgeonFactory().user
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(Client(), "dashboard", locked.username, "wrong")

    assert post_login(Client(), "dashboard", colleague.username, PASSWORD).status_code == 302
    assert post_login(Client(REMOTE_ADDR="198.51.100.20"), "dashboard", locked.username, PASSWORD).status_code == 302


def test_behind_a_proxy_the_lockout_counts_the_forwarded_client_address(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    user = SurgeonFactory().user
    proxy = "10.0.0.2"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5").post(LOGINS["dashboard"],
                                                                 {"username": user.username, "password": "x"})

    other_client = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert other_client.post(LOGINS["dashboard"], {"username": user.username, "password": PASSWORD}).status_code == 302
    same_client = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert same_client.post(LOGINS["dashboard"], {"username": user.username, "password": PASSWORD}).status_code == 429


def test_api_logins_are_not_locked_out_by_axes(api_client, settings):
    username = UserFactory(role=User.Role.PATIENT).username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_client.post("/api/v1/auth/token/", {"username": username, "password": "wrong"})
    response = api_client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    assert response.status_code == 200  # the API's own per-purpose throttles apply there


# --- Second factor -------------------------------------------------------------------------------

@pytest.fixture
def two_factor_required(settings):
    settings.STAFF_TWO_FACTOR_REQUIRED = True


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def set_up_authenticator(client: Client) -> list[str]:
    """Walk the setup page as a new staff member does; answers the recovery codes shown."""
    assert client.get(reverse("dashboard:two-factor-setup")).status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    page = client.post(reverse("dashboard:two-factor-setup"), {"otp_token": current_code(device)})
    assert page.status_code == 200
    return page.context["codes"]


def password_only(user: User) -> Client:
    """A client past the password step of the dashboard's login, not (yet) the second."""
    client = Client()
    post_login(client, "dashboard", user.username, PASSWORD)
    return client


def recovery_codes(user: User) -> list[str]:
    """The recovery codes of `user`, who sets up an authenticator on the first login."""
    return set_up_authenticator(password_only(user))


@pytest.mark.usefixtures("two_factor_required")
def test_with_the_requirement_a_surgeon_with_only_a_password_sees_no_patient_page():
    surgeon = SurgeonFactory()
    client = Client()
    assert post_login(client, "dashboard", surgeon.user.username, PASSWORD).status_code == 302

    for page in ("/dashboard/", "/dashboard/patients/"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith(reverse("dashboard:two-factor"))
    assert client.get(response["Location"], follow=True).request["PATH_INFO"] == reverse("dashboard:two-factor-setup")


@pytest.mark.usefixtures("two_factor_required")
def test_setting_up_totp_opens_the_dashboard_and_gives_ten_single_use_recovery_codes():
    surgeon = SurgeonFactory()
    client = Client()
    post_login(client, "dashboard", surgeon.user.username, PASSWORD)

    codes = set_up_authenticator(client)

    assert len(set(codes)) == 10
    assert client.get("/dashboard/").status_code == 200
    # A later login: password, then a recovery code instead of the app; that code works only once.
    later = Client()
    post_login(later, "dashboard", surgeon.user.username, PASSWORD)
    verified = later.post(reverse("dashboard:two-factor"), {"otp_token": codes[0], "next": "/dashboard/patients/"})
    assert verified["Location"] == "/dashboard/patients/"
    assert later.get("/dashboard/patients/").status_code == 200
    again = Client()
    post_login(again, "dashboard", surgeon.user.username, PASSWORD)
    assert again.post(reverse("dashboard:two-factor"), {"otp_token": codes[0]}).status_code == 400
    assert again.get("/dashboard/").status_code == 302


@pytest.mark.usefixtures("two_factor_required")
def test_a_next_address_with_a_nul_character_is_dropped_for_the_inbox():
    surgeon = SurgeonFactory()
    codes = recovery_codes(surgeon.user)
    later = password_only(surgeon.user)

    assert later.get(reverse("dashboard:two-factor"), {"next": "/dashboard/\x00"}).context["next"] == "/dashboard/"
    verified = later.post(reverse("dashboard:two-factor"), {"otp_token": codes[0], "next": "/dashboard/patients/\x00"})
    assert verified["Location"] == "/dashboard/"


@pytest.mark.usefixtures("two_factor_required")
@pytest.mark.parametrize("member", ["surgeon", "nurse"])
def test_the_care_team_lands_on_the_inbox_after_the_second_step(member):
    user = (SurgeonFactory() if member == "surgeon" else NurseFactory(teams=[SurgeonFactory()])).user
    client = Client()
    post_login(client, "dashboard", user.username, PASSWORD)
    codes = set_up_authenticator(client)
    later = Client()
    post_login(later, "dashboard", user.username, PASSWORD)

    verified = later.post(reverse("dashboard:two-factor"), {"otp_token": codes[0]})
    assert verified["Location"] == reverse("dashboard:inbox")
    assert later.get(verified["Location"]).status_code == 200


@pytest.mark.usefixtures("two_factor_required")
def test_a_wrong_code_is_refused_and_the_page_stays_closed():
    surgeon = SurgeonFactory()
    client = Client()
    post_login(client, "dashboard", surgeon.user.username, PASSWORD)
    set_up_authenticator(client)
    later = Client()
    post_login(later, "dashboard", surgeon.user.username, PASSWORD)

    assert later.post(reverse("dashboard:two-factor"), {"otp_token": "000000"}).status_code == 400
    assert later.get("/dashboard/").status_code == 302


@pytest.mark.usefixtures("two_factor_required")
def test_with_the_requirement_the_admin_asks_for_the_second_factor_too(admin_user):
    client = Client()
    assert post_login(client, "admin", admin_user.username, PASSWORD).status_code == 302

    response = client.get("/admin/recovery/patient/")

    assert response.status_code == 302 and response["Location"].startswith(reverse("dashboard:two-factor"))
    set_up_authenticator(client)
    assert client.get("/admin/recovery/patient/").status_code == 200


@pytest.mark.usefixtures("two_factor_required")
def test_patients_api_is_not_affected_by_the_staff_requirement(api_client):
    username = UserFactory(role=User.Role.PATIENT).username
    response = api_client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    assert response.status_code == 200


@pytest.mark.usefixtures("two_factor_required")
def test_the_second_factor_set_up_on_the_dashboard_is_the_one_api_logins_need(api_client):
    surgeon = SurgeonFactory()
    client = Client()
    post_login(client, "dashboard", surgeon.user.username, PASSWORD)
    codes = set_up_authenticator(client)
    login = {"username": surgeon.user.username, "password": PASSWORD}

    assert api_client.post("/api/v1/auth/token/", login).status_code == 400
    response = api_client.post("/api/v1/auth/token/", {**login, "otp_token": codes[0]})
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get("/api/v1/surgeon/patients/").status_code == 200


def settings_value(name: str, **environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "STAFF_"))}
    env.update(DJANGO_SETTINGS_MODULE="backend.settings", **environment)
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; "
                               f"print(settings.{name})"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_production_settings_require_the_second_factor_and_make_run_does_not():
    assert settings_value("STAFF_TWO_FACTOR_REQUIRED", DJANGO_DEBUG="false") == "True"
    assert settings_value("STAFF_TWO_FACTOR_REQUIRED", DJANGO_DEBUG="true") == "False"  # make run


# --- Where a login sends a staff member, and deactivated logins ------------------------------------------------

OFFSITE = ["https://evil.example/inbox", "//evil.example/", "/\\evil.example/", "\\\\evil.example/",
           "https:evil.example", "http://127.0.0.1.evil.example/"]


def offsite_free(response: Any) -> bool:
    return response.status_code == 302 and "evil" not in response["Location"]


@pytest.mark.parametrize("where", ["dashboard", "admin"])
@pytest.mark.parametrize("offsite", OFFSITE)
def test_a_login_never_sends_a_staff_member_on_to_another_site(where, offsite, admin_user):
    username = SurgeonFactory().user.username if where == "dashboard" else admin_user.username
    response = Client().post(f"{LOGINS[where]}?next={offsite}",
                             {"username": username, "password": PASSWORD, "next": offsite})
    assert offsite_free(response), response["Location"]


@pytest.mark.parametrize("offsite", OFFSITE)
def test_logging_out_never_sends_on_to_another_site(offsite):
    client = Client()
    client.force_login(SurgeonFactory().user)
    assert offsite_free(client.post(f"{reverse('dashboard:logout')}?next={offsite}", {"next": offsite}))


@pytest.mark.usefixtures("two_factor_required")
def test_the_second_step_never_sends_on_to_another_site():
    surgeon = SurgeonFactory()
    codes = recovery_codes(surgeon.user)

    for code, offsite in zip(codes, OFFSITE, strict=False):
        later = password_only(surgeon.user)
        assert later.get(reverse("dashboard:two-factor"), {"next": offsite}).context["next"] == "/dashboard/"
        verified = later.post(reverse("dashboard:two-factor"), {"otp_token": code, "next": offsite})
        assert verified["Location"] == reverse("dashboard:inbox"), offsite


@pytest.mark.parametrize("member", ["surgeon", "nurse"])
def test_a_deactivated_staff_login_loses_its_open_dashboard_session_and_its_api_token(member, api_client):
    user = (SurgeonFactory() if member == "surgeon" else NurseFactory()).user
    client = Client()
    client.force_login(user)
    token = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}).json()
    assert client.get(reverse("dashboard:patients")).status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    response = client.get(reverse("dashboard:patients"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("dashboard:login"))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access']}")
    assert api_client.get("/api/v1/surgeon/patients/").status_code == 401
    api_client.credentials()
    assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": token["refresh"]}).status_code == 401
