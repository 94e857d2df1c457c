"""OpenAPI pieces the served schema is built from, and the hook that completes it.

Views say which statuses an operation answers and why; `complete_schema` (a drf-spectacular
postprocessing hook) gives every error status its JSON body (`ValidationError` for 400, `ErrorDetail`
otherwise, see recovery/api/errors.py), adds the statuses every operation can answer (401/403 when a
token is required, 413/415 with a body, 406, 500, 503), makes token endpoints say `security: []`, and attaches
one example per operation from recovery/api/examples.py.
"""
from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from recovery import triage

HHMM_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"

SYMPTOM_CODE = {"$ref": "#/components/schemas/SymptomCodeEnum"}
ERROR_DETAIL = {"$ref": "#/components/schemas/ErrorDetail"}
VALIDATION_ERROR = {"$ref": "#/components/schemas/ValidationError"}

COMPONENTS: dict[str, dict[str, Any]] = {
    "SymptomCodeEnum": {
        "type": "string",
        "enum": list(triage.SYMPTOM_CODES),
        "description": "A symptom the patient reports (shared/API.md); an unknown code answers 400.",
    },
    "ErrorDetail": {
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"type": "string"}},
        "description": "Every error other than bad input (400) and a reused client_id (409): "
        "401, 403, 404, 405, 406, 413, 415, 429, 500, 503.",
    },
    "ValidationError": {
        "type": "object",
        "description": "Bad input, nothing stored: each field named maps to its messages (a nested object "
        "for the fields of a nested object or the items of a list). A body that is not JSON names "
        "`non_field_errors`.",
        "additionalProperties": {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}],
        },
        "example": {"pain_score": ["Ensure this value is less than or equal to 10."]},
    },
}

# Descriptions of the error statuses views name; the body schema is added by `complete_schema`.
ERROR_400 = OpenApiResponse(description='Bad input: `{"field": ["message", ...]}`; nothing is stored.')
ERROR_401 = OpenApiResponse(description="No or invalid access token.")
ERROR_403 = OpenApiResponse(description="The caller's role may not use this endpoint.")
ERROR_404 = OpenApiResponse(description="No such object among the caller's own.")
ERROR_429 = OpenApiResponse(description="Too many attempts; retry after the `Retry-After` header's seconds.")
PAGE_404 = OpenApiResponse(description="`page` is past the last page.")
CURSOR_404 = OpenApiResponse(description="The `cursor` is not one this list handed out.")

# GET answers that carry an ETag (recovery/api/views.py `revalidated`): the app revalidates, gets 304.
CONDITIONAL_GET = [
    OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
                     description="The `ETag` of the copy the app holds; unchanged, the answer is 304 without body."),
    OpenApiParameter("ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 304], required=True,
                     description="Changes whenever the answer's content changes."),
]
NOT_MODIFIED = OpenApiResponse(description="Unchanged since the `If-None-Match` ETag: keep the copy held.")

INBOX_HEADERS = [
    OpenApiParameter("Link", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200],
                     description='RFC 8288 links to the neighbouring pages: `<url>; rel="next"`, `<url>; rel="prev"`; '
                     "absent when there is only one page. Follow the URLs as they are: the open inbox's carry "
                     "`page`, the history's (`state=resolved` or `all`) an opaque `cursor`."),
    OpenApiParameter("X-Total-Count", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[200], required=True,
                     description="How many inbox items there are in all pages."),
]
INBOX_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY,
                     description="The history's (`state=resolved` or `all`) page: an opaque value taken from the "
                     "`Link` header's URL, never built by the client. Ignored by the open inbox, which pages by "
                     "`page`."),
]
INBOX_404 = OpenApiResponse(description="`page` is past the last page, or the `cursor` is not one this list "
                            "handed out.")

_ADDED_ERRORS = {
    "401": "No or invalid access token.",
    "403": "The caller's role may not use this endpoint.",
    "406": "The `Accept` header allows no JSON; answers are JSON only.",
    "413": "The request body is larger than the server accepts.",
    "415": "The body is not of a media type this operation accepts.",
    "500": "Server error; the body is JSON like every other error.",
    "503": "A service the answer needs (database, broker) is down for now; retry after `Retry-After` seconds.",
}
LOCATION = {"Location": {"schema": {"type": "string", "format": "uri"}, "required": True,
                         "description": "The URL of what was created."}}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}}


def symptom_codes_schema() -> dict[str, Any]:
    return {"type": "array", "items": SYMPTOM_CODE}


def complete_schema(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOK: the parts of the contract every operation shares."""
    del generator, request, public  # passed by name by drf-spectacular; the schema is the same for all
    from recovery.api.examples import EXAMPLES

    result.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    _nullable_as_openapi_31(result)
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            _complete_operation(operation, EXAMPLES.get(operation["operationId"], {}))
    _drop_unreachable_components(result)
    return result


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set[str]().union(*(_refs(item) for item in node))
    return set()


def _drop_unreachable_components(result: dict[str, Any]) -> None:
    """Components no operation reaches (a write-only nested serializer's read half) only confuse readers
    and linters."""
    schemas = result["components"]["schemas"]
    reachable: set[str] = set()
    todo = _refs(result.get("paths", {}))
    while todo:
        name = todo.pop()
        if name not in reachable and name in schemas:
            reachable.add(name)
            todo |= _refs(schemas[name])
    for name in set(schemas) - reachable:
        del schemas[name]


def _nullable_as_openapi_31(node: Any) -> None:
    """OpenAPI 3.0's `nullable: true` (still written by some DRF schemas) as 3.1 spells it."""
    if isinstance(node, list):
        for item in node:
            _nullable_as_openapi_31(item)
        return
    if not isinstance(node, dict):
        return
    if node.pop("nullable", False) is True:
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            kind.append("null")
    for value in node.values():
        _nullable_as_openapi_31(value)


def _complete_operation(operation: dict[str, Any], examples: dict[str, Any]) -> None:
    if "summary" not in operation:
        operation["summary"] = _first_sentence(operation.get("description", "")) or operation["operationId"]
    security = operation.get("security")
    needs_token = bool(security) and any(requirement for requirement in security or ())
    operation["security"] = security if needs_token else []
    responses = operation["responses"]
    added = ["406", "500", "503"]
    if needs_token:
        added += ["401", "403"]
    if "requestBody" in operation:
        added += ["413", "415"]
    for code in added:
        responses.setdefault(code, {"description": _ADDED_ERRORS[code]})
    for code, response in responses.items():
        if int(code) >= 400:
            # 400 and 409 name the field at fault ({field: [messages]}); every other error is {detail}.
            error_body = VALIDATION_ERROR if code in ("400", "409") else ERROR_DETAIL
            response.setdefault("content", {"application/json": {"schema": error_body}})
        if code in ("429", "503"):
            response.setdefault("headers", {}).update(RETRY_AFTER)
        if code == "201":
            response.setdefault("headers", {}).update(LOCATION)
    request_body = operation.get("requestBody")
    if request_body is not None and len(request_body.get("content", {})) > 1:
        # openapi-python-client 0.29.1 writes `| Unset` without importing it for a *required* body with two
        # media types (openapi-generators/openapi-python-client#1451); the incision check is JSON or multipart.
        # Without a body the answer is a 400 naming the required fields, as the operation documents.
        request_body["required"] = False
    _attach_examples(operation, examples)


def _first_sentence(text: str) -> str:
    sentence = text.split(". ", 1)[0].split("\n", 1)[0].rstrip(".")
    return sentence if len(sentence) <= 80 else sentence[:77].rsplit(" ", 1)[0] + "..."


def _attach_examples(operation: dict[str, Any], examples: dict[str, Any]) -> None:
    request_example = examples.get("request")
    if request_example is not None:
        for content in operation.get("requestBody", {}).get("content", {}).values():
            content["example"] = request_example
    for code, value in examples.get("responses", {}).items():
        content = operation["responses"][str(code)].get("content", {}).get("application/json")
        if content is not None:
            content["example"] = value
