"""The patient and surgeon flows through a Python client generated from the served schema
(openapi-python-client, pinned in the test extra) against a live server on the test PostgreSQL.

A schema that does not describe what the server does shows up here as an import error in the generated
package, a status the client does not know (`UnexpectedStatus`, raised with `raise_on_unexpected_status`)
or a body the generated models cannot parse.
"""
from __future__ import annotations

import importlib
import io
import json
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from tests.contract import served_schema
from tests.factories import SurgeonFactory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated package, imported; any generator warning or error fails the test."""
    out = tmp_path_factory.mktemp("client")
    schema_file = out / "openapi.json"
    schema_file.write_text(json.dumps(served_schema()))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "openapi-python-client"), "generate", "--path", str(schema_file),
         "--meta", "none", "--output-path", str(out / "pump_recovery_client"),
         "--config", str(ROOT / "contract" / "openapi-python-client.yaml"), "--fail-on-warning"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(out))
    try:
        package = importlib.import_module("pump_recovery_client")
        modules = {}
        for module in sorted((out / "pump_recovery_client" / "api").glob("*/*.py")):
            if module.stem != "__init__":
                name = f"pump_recovery_client.api.{module.parent.name}.{module.stem}"
                modules[module.stem] = importlib.import_module(name)
        yield package, modules, importlib.import_module("pump_recovery_client.models")
    finally:
        sys.path.remove(str(out))


def test_every_generated_operation_module_imports(generated):
    _, modules, _ = generated
    operation_ids = {op["operationId"] for methods in served_schema()["paths"].values() for op in methods.values()}
    assert set(modules) == operation_ids


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "pink").save(buffer, format="PNG")
    return buffer.getvalue()


def test_patient_and_surgeon_flows_through_the_generated_client(generated, live_server):
    package, api, models = generated
    from pump_recovery_client.types import File

    surgeon = SurgeonFactory()
    # No keep-alive: a live-server thread holding a connection open would hold its database session too.
    options = {"raise_on_unexpected_status": True, "headers": {"Connection": "close"}}
    anonymous = package.Client(base_url=live_server.url, **options)

    # Surgeon logs in and enrolls a patient.
    tokens = api["v1_auth_token_create"].sync(client=anonymous, body=models.TokenObtainPairRequest(
        username=surgeon.user.username, password=PASSWORD))
    assert isinstance(tokens, models.TokenPair)
    as_surgeon = package.AuthenticatedClient(base_url=live_server.url, token=tokens.access, **options)
    enrolled = api["v1_surgeon_patients_create"].sync_detailed(client=as_surgeon, body=models.EnrollmentInputRequest(
        display_name="Ada Lovelace", surgery_date=date(2026, 11, 20),
        timezone="America/New_York", pump=models.PumpRequest(kind=models.PumpKindEnum.PROGRAMMABLE,
                                                             drug=models.PumpDrugEnum.BACLOFEN),
        checkin_time="09:00"))
    assert enrolled.status_code == 201 and enrolled.headers["Location"].endswith(f"/{enrolled.parsed.id}/")

    # The patient activates the app with the one-time code, then uses it.
    patient_tokens = api["v1_auth_activate_create"].sync(client=anonymous, body=models.ActivationRequest(
        code=enrolled.parsed.activation_code, username="ada", password="a-long-enough-passphrase-2026"))
    assert isinstance(patient_tokens, models.TokenPair)
    as_patient = package.AuthenticatedClient(base_url=live_server.url, token=patient_tokens.access, **options)
    me = api["v1_me_retrieve"].sync_detailed(client=as_patient)
    assert me.status_code == 200 and me.parsed.display_name == "Ada Lovelace" and me.parsed.checkin_time == "09:00"
    unchanged = api["v1_me_retrieve"].sync_detailed(client=as_patient.with_headers({"If-None-Match": me.headers["ETag"]}))
    assert unchanged.status_code == 304
    me = api["v1_me_partial_update"].sync(client=as_patient, body=models.PatchedPatientSettingsRequest(
        checkin_time="07:30"))
    assert me.checkin_time == "07:30"

    checkin = api["v1_checkins_create"].sync_detailed(client=as_patient, body=models.CheckInInputRequest(
        client_id=uuid.uuid4(), pain_score=5, temperature=101.2, temperature_unit=models.TemperatureUnitEnum.F,
        symptoms=[models.SymptomCodeEnum.INCISION_PAIN]))
    assert checkin.status_code == 201
    assert checkin.parsed.triage.level == models.TriageLevelEnum.URGENT and checkin.parsed.temperature == 101.2
    bad = api["v1_checkins_create"].sync_detailed(client=as_patient, body=models.CheckInInputRequest(
        client_id=uuid.uuid4(), pain_score=11))
    assert bad.status_code == 400 and "pain_score" in bad.parsed.additional_properties

    listed = api["v1_checkins_list"].sync(client=as_patient)
    assert [row.id for row in listed.results] == [checkin.parsed.id] and listed.next_ is None
    assert api["v1_checkins_retrieve"].sync(client=as_patient, id=checkin.parsed.id).pain_score == 5

    warning = api["v1_warning_reports_create"].sync(client=as_patient, body=models.WarningReportInputRequest(
        client_id=uuid.uuid4(), symptoms=[models.SymptomCodeEnum.DIFFICULTY_BREATHING]))
    assert warning.triage.level == models.TriageLevelEnum.EMERGENCY
    as_json = api["v1_incision_checks_create"].sync(client=as_patient, body=models.IncisionCheckJsonRequest(
        client_id=uuid.uuid4(), site=models.SiteEnum.BACK, redness=True))
    assert as_json.has_photo is False
    with_photo = api["v1_incision_checks_create"].sync(client=as_patient, body=models.IncisionCheckWithPhotoRequest(
        client_id=uuid.uuid4(), site=models.SiteEnum.ABDOMEN,
        photo=File(payload=io.BytesIO(png()), file_name="incision.png", mime_type="image/png")))
    assert with_photo.has_photo is True

    assert api["v1_timeline_list"].sync(client=as_patient)
    assert isinstance(api["v1_restrictions_list"].sync(client=as_patient), list)
    assert api["v1_messages_list"].sync(client=as_patient).count >= 1
    device = api["devices_register"].sync(client=as_patient, body=models.DeviceRegistrationRequest(
        token="fcm-token-ada", platform=models.PlatformEnum.IOS))
    assert device.token == "fcm-token-ada"
    assert api["devices_unregister"].sync_detailed(client=as_patient, token="fcm-token-ada").status_code == 204
    refreshed = api["v1_auth_token_refresh_create"].sync(client=anonymous, body=models.TokenRefreshRequest(
        refresh=patient_tokens.refresh))
    assert isinstance(refreshed, models.TokenPair)

    # The surgeon's round: inbox, patient, acknowledge; the patient may not use the surgeon's endpoints.
    inbox = api["v1_surgeon_inbox_list"].sync_detailed(client=as_surgeon)
    assert inbox.status_code == 200 and int(inbox.headers["X-Total-Count"]) == len(inbox.parsed) == 3
    assert {item.level for item in inbox.parsed} == {models.TriageLevelEnum.URGENT, models.TriageLevelEnum.EMERGENCY}
    assert {item.source.type_ for item in inbox.parsed} == {
        models.ReportTypeEnum.CHECKIN, models.ReportTypeEnum.WARNING_REPORT, models.ReportTypeEnum.INCISION_CHECK}
    detail = api["v1_surgeon_patients_retrieve"].sync(client=as_surgeon, id=enrolled.parsed.id)
    assert detail.recent_checkins[0].pain_score == 5
    acknowledged = api["v1_surgeon_inbox_acknowledge_create"].sync(client=as_surgeon, id=inbox.parsed[0].id)
    assert acknowledged.acknowledged_by == surgeon.user.username
    assert api["v1_surgeon_patients_list"].sync(client=as_surgeon).count == 1
    forbidden = api["v1_surgeon_inbox_list"].sync_detailed(client=as_patient)
    assert forbidden.status_code == 403 and forbidden.parsed.detail
