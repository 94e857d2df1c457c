"""Every answer under /api/v1/ in the test suite is checked against the served OpenAPI schema.

`tests/conftest.py` wraps django.test.Client.request (APIClient included) with `check_response`, so
any API test that gets an answer the schema does not describe (an undocumented status, a field of the
wrong type, a missing required field, an undeclared header the schema marks required) fails with the
validator's message. Answers to paths the schema does not know must be the JSON 404/405 error body.
"""
from __future__ import annotations

import json
import threading
from functools import cache
from typing import Any

from django.http import HttpResponse
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

CHECKED_PREFIX = "/api/v1/"


class SchemaMismatch(AssertionError):
    """An API answer that the served schema does not describe."""


@cache
def served_schema() -> dict[str, Any]:
    """The schema exactly as /api/schema/ serves it (generated once per test session)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


_invalid_schema: list[Exception] = []


_building = threading.Lock()


def openapi() -> OpenAPI:
    """The validator of the served schema; an invalid schema fails every API test at once, built once. Built
    under a lock: the concurrency tests' first requests come from two threads at once, and drf-spectacular's
    generator is not thread-safe (the loser's error was taken for an invalid schema)."""
    with _building:
        if _invalid_schema:
            raise SchemaMismatch(f"the served schema is not valid OpenAPI: {_invalid_schema[0]}")
        try:
            return _openapi()
        except Exception as exc:
            _invalid_schema.append(exc)
            raise


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_dict(served_schema())


class _Request(DjangoOpenAPIRequest):
    # Find the operation from the concrete path: Django's route says {pk} where the schema says {id}.
    @property
    def path_pattern(self) -> None:
        return None

    # Only answers are validated; a multipart body has been consumed by then.
    @property
    def body(self) -> bytes:
        return b""


def check_response(response: Any) -> None:
    """Raise SchemaMismatch unless the served schema describes this answer (status, headers, body)."""
    request = response.wsgi_request
    if not request.path.startswith(CHECKED_PREFIX):
        return
    try:
        openapi().validate_response(_Request(request), DjangoOpenAPIResponse(response))
    except (PathNotFound, OperationNotFound) as exc:
        _check_unknown_route(request.method, request.path, response, exc)
    except Exception as exc:  # openapi-core raises a family of validation errors; each is a mismatch
        raise SchemaMismatch(
            f"{request.method} {request.path} -> {response.status_code} does not match the served schema:\n"
            f"{_describe(exc)}\nbody: {response.content[:2000]!r}"
        ) from exc


def _describe(exc: BaseException) -> str:
    lines = []
    cause: BaseException | None = exc
    while cause is not None:
        lines.append(f"{type(cause).__name__}: {cause}")
        lines += [f"  at {list(error.absolute_path)}: {error.message}" for error in getattr(cause, "schema_errors", ())]
        cause = cause.__cause__
    return "\n".join(lines)


def _check_unknown_route(method: str, path: str, response: HttpResponse, exc: Exception) -> None:
    if response.status_code not in (404, 405):
        raise SchemaMismatch(f"{method} {path} -> {response.status_code}: not in the served schema ({exc})")
    try:
        body = json.loads(response.content)
    except ValueError as error:
        raise SchemaMismatch(f"{method} {path} -> {response.status_code} is not JSON: {error}") from error
    if not (isinstance(body, dict) and isinstance(body.get("detail"), str)):
        raise SchemaMismatch(f"{method} {path} -> {response.status_code} is not a JSON {{detail}}: {body!r}")
