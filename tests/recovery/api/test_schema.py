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
