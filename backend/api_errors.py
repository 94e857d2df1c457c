"""One error format under /api/: JSON always (shared/API.md "Every error answer is JSON").

- 400 bad input keeps the contract's `{"field": ["message", ...]}`; a body that is not JSON at all is
  `{"non_field_errors": [...]}` (there is no field to name).
- Every other error is `{"detail": "..."}`: 401, 403, 404 (also for paths that do not exist under /api/),
  405, 413 (a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE), 415, 429 and 500.

DRF errors go through `api_exception_handler` (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]); errors
Django answers itself (no matching URL, an exception escaping a view) go through the handler404 /
handler500 / handler400 / handler403 below, which answer JSON for /api/ paths and Django's pages elsewhere.
"""
from __future__ import annotations

import json
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

API_PREFIX = "/api/"
NON_FIELD_ERRORS = "non_field_errors"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self) -> None:
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        super().__init__(f"The request body is larger than {limit_mb:.0f} MB.")


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with Django's DATA_UPLOAD_MAX_MEMORY_SIZE applied (DRF reads the stream itself,
    so Django's own limit never runs for JSON bodies)."""

    def parse(self, stream: IO[bytes] | None, media_type: str | None = None,
              parser_context: dict[str, Any] | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if stream is None or limit is None:
            return super().parse(stream, media_type, parser_context)
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge()
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(body.decode(encoding))
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with the contract's shapes: parse errors as `non_field_errors`, 400 bodies always
    an object, too-large bodies 413. Anything DRF does not know stays unhandled (-> handler500, logged)."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if isinstance(exc, exceptions.ParseError):
        return Response({NON_FIELD_ERRORS: [str(exc.detail)]}, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if response.status_code == status.HTTP_400_BAD_REQUEST and not isinstance(response.data, dict):
        response.data = {NON_FIELD_ERRORS: response.data if isinstance(response.data, list) else [response.data]}
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json_error(detail: str, status_code: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status_code)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json_error("Not found.", status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _json_error("Server error. The request may be retried later.", status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return _json_error(str(PayloadTooLarge().detail), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        return JsonResponse({NON_FIELD_ERRORS: ["Bad request."]}, status=status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json_error("You do not have permission to perform this action.", status.HTTP_403_FORBIDDEN)
    return defaults.permission_denied(request, exception)
