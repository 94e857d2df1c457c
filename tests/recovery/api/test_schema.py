"""The OpenAPI schema at /api/schema/ describes every path of shared/API.md; Swagger UI works offline."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

# Path -> methods, as written in shared/API.md (ids in braces as the schema spells them).
CONTRACT = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/auth/token/refresh/": {"post"},
    "/api/v1/auth/activate/": {"post"},
    "/api/v1/me/": {"get", "patch"},
    "/api/v1/timeline/": {"get"},
    "/api/v1/restrictions/": {"get"},
    "/api/v1/checkins/": {"get", "post"},
    "/api/v1/incision-checks/": {"post"},
    "/api/v1/warning-reports/": {"post"},
    "/api/v1/messages/": {"get"},
    "/api/v1/devices/": {"post"},
    "/api/v1/devices/{token}/": {"delete"},
    "/api/v1/surgeon/patients/": {"get", "post"},
    "/api/v1/surgeon/patients/{id}/": {"get"},
    "/api/v1/surgeon/inbox/": {"get"},
    "/api/v1/surgeon/inbox/{id}/acknowledge/": {"post"},
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node or len(node.get("allOf", ())) == 1:
        if "allOf" in node:
            node = node["allOf"][0]
            continue
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def test_schema_is_openapi_3(schema):
    assert schema["openapi"].startswith("3.")


@pytest.mark.parametrize("path", sorted(CONTRACT))
def test_every_contract_path_and_method_is_in_the_schema(schema, path):
    assert path in schema["paths"]
    assert CONTRACT[path] <= set(schema["paths"][path])


@pytest.mark.parametrize(
    ("path", "method"),
    [(path, method) for path, methods in sorted(CONTRACT.items()) for method in sorted(methods)
     if method in {"post", "patch"} and not path.endswith("/acknowledge/")],
)
def test_every_write_has_a_request_body(schema, path, method):
    content = schema["paths"][path][method]["requestBody"]["content"]
    assert resolve(schema, next(iter(content.values()))["schema"]).get("properties")


@pytest.mark.parametrize(
    ("path", "method"),
    [(path, method) for path, methods in sorted(CONTRACT.items()) for method in sorted(methods) if method != "delete"],
)
def test_every_operation_has_a_success_body(schema, path, method):
    responses = schema["paths"][path][method]["responses"]
    success = next(code for code in ("200", "201") if code in responses)
    body = resolve(schema, responses[success]["content"]["application/json"]["schema"])
    if body.get("type") == "array":
        body = resolve(schema, body["items"])
    assert body.get("properties"), f"{method.upper()} {path} answers a body whose fields are not described"


def test_incision_check_accepts_a_multipart_photo(schema):
    content = schema["paths"]["/api/v1/incision-checks/"]["post"]["requestBody"]["content"]
    photo = resolve(schema, content["multipart/form-data"]["schema"])["properties"]["photo"]
    assert photo["format"] == "binary"


def test_report_answers_document_triage_and_the_idempotency_statuses(schema):
    responses = schema["paths"]["/api/v1/checkins/"]["post"]["responses"]
    assert {"200", "201", "400", "401", "403", "409"} <= set(responses)
    check_in = resolve(schema, responses["201"]["content"]["application/json"]["schema"])
    triage = resolve(schema, check_in["properties"]["triage"])
    assert set(triage["properties"]) == {"level", "reasons", "advice"}


def test_the_token_request_documents_the_optional_staff_second_factor(schema):
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    body = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    assert {"username", "password", "otp_token"} <= set(body["properties"])
    assert set(body["required"]) == {"username", "password"}
    assert "otp_token" in operation["responses"]["400"]["description"]


def test_patient_and_surgeon_paths_require_the_bearer_token(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    assert {"jwtAuth": []} in schema["paths"]["/api/v1/surgeon/inbox/"]["get"]["security"]


def test_swagger_ui_is_served_from_our_own_static_files_not_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert not re.search(r"https?://(cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.)", page)
    bundle = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200


# --- The whole contract in the schema (issue 15) ----------------------------------------------

def operations(schema: dict):
    for path, methods in sorted(schema["paths"].items()):
        for method, operation in sorted(methods.items()):
            yield path, method, operation


def test_the_served_schema_is_the_one_the_api_tests_validate_against(schema):
    from tests.contract import served_schema

    assert schema == served_schema()


def test_every_operation_states_its_security_and_only_token_endpoints_are_open(schema):
    open_operations = set()
    for path, method, operation in operations(schema):
        assert "security" in operation, (method, path)
        if operation["security"] == []:
            open_operations.add(path)
        else:
            assert operation["security"] == [{"jwtAuth": []}], (method, path)
    assert open_operations == {
        "/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/auth/activate/", "/api/v1/auth/logout/"}


def test_every_error_answer_has_a_json_body_of_the_one_error_format(schema):
    for path, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            if int(code) < 400:
                continue
            body = response["content"]["application/json"]["schema"]
            expected = {"400": {"ValidationError"}, "409": {"Conflict", "ValidationError"}}.get(code, {"ErrorDetail"})
            assert body in [{"$ref": f"#/components/schemas/{name}"} for name in expected], (method, path, code)
        assert "500" in operation["responses"], (method, path)


def test_json_bodies_are_json_only_and_multipart_is_only_the_photo_upload(schema):
    for path, method, operation in operations(schema):
        if "requestBody" not in operation:
            continue
        media_types = set(operation["requestBody"]["content"])
        expected = {"application/json", "multipart/form-data"} if path == "/api/v1/incision-checks/" else {
            "application/json"}
        assert media_types == expected, (method, path)


def test_every_operation_has_an_example_valid_against_its_own_schema(schema):
    from openapi_schema_validator import OAS31Validator

    def valid(example, media):
        validator = OAS31Validator({**media["schema"], "components": schema["components"]})
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(example)]
        assert not errors, errors

    for path, method, operation in operations(schema):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            assert "example" in media, (method, path, "request")
            valid(media["example"], media)
        successes = [r for code, r in operation["responses"].items() if code.startswith("2") and "content" in r]
        no_body = {code for code in operation["responses"] if code in ("204", "205")}
        assert successes or no_body, (method, path)
        for response in successes:
            media = response["content"]["application/json"]
            assert "example" in media, (method, path)
            valid(media["example"], media)


def test_codes_are_enums(schema):
    from recovery import triage

    components = schema["components"]["schemas"]
    assert components["SymptomCodeEnum"]["enum"] == list(triage.SYMPTOM_CODES)
    for name in ("CheckInInputRequest", "CheckIn", "WarningReportInputRequest", "WarningReport"):
        assert components[name]["properties"]["symptoms"]["items"] == {"$ref": "#/components/schemas/SymptomCodeEnum"}
    assert set(components["TriageLevelEnum"]["enum"]) == {"routine", "urgent", "emergency"}
    assert set(components["PumpKindEnum"]["enum"]) == {"programmable", "fixed_rate"}
    assert set(components["PumpDrugEnum"]["enum"]) == {"morphine", "other_opioid", "baclofen", "other"}
    assert components["ReportRef"]["properties"]["id"]["type"] == "integer"


def test_times_of_day_are_hh_mm_and_measurements_are_numbers(schema):
    components = schema["components"]["schemas"]
    for name in ("PatientProfile", "PatchedPatientSettingsRequest", "EnrollmentInputRequest"):
        field = components[name]["properties"]["checkin_time"]
        assert field["type"] == "string" and re.fullmatch(field["pattern"], "09:30")
        assert not re.fullmatch(field["pattern"], "09:30:00") and not re.fullmatch(field["pattern"], "24:00")
    for name in ("CheckInInputRequest", "CheckIn"):
        for field in ("temperature", "binder_hours"):
            assert components[name]["properties"][field]["type"] == ["number", "null"]


def test_the_checkin_measurements_say_they_take_one_decimal(schema):
    """A client generated from the schema sees `number`: without this it cannot know 7.25 hours is a 400."""
    properties = schema["components"]["schemas"]["CheckInInputRequest"]["properties"]
    for field in ("temperature", "binder_hours"):
        assert "at most one decimal" in properties[field]["description"], field


def test_no_openapi_30_nullable_remains(schema):
    import json

    assert '"nullable"' not in json.dumps(schema)


def test_inbox_documents_its_page_headers_and_created_answers_their_location(schema):
    headers = schema["paths"]["/api/v1/surgeon/inbox/"]["get"]["responses"]["200"]["headers"]
    assert {"Link", "X-Total-Count"} <= set(headers)
    for path, method, operation in operations(schema):
        if "201" in operation["responses"]:
            assert operation["responses"]["201"]["headers"]["Location"]["required"] is True, (method, path)


def test_the_resolve_operation_documents_the_409_of_an_already_resolved_case(schema):
    operation = schema["paths"]["/api/v1/surgeon/inbox/{id}/resolve/"]["post"]
    description = operation["responses"]["409"]["description"]
    assert '"resolved": [message]' in description and "resolved_by_name" in description
    assert "reports_seen" in description  # the stale view's 409 is still described
    assert "answers 409 with the resolution that stands" in operation["description"]
