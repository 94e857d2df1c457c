"""The API's error shapes (shared/API.md: every error answer is JSON): 400 bad input keeps the contract's
`{"field": ["message", ...]}` and a body that is not JSON names `non_field_errors`; every other error is
`{"detail": "..."}`, also 413 for a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE. recovery.api.exceptions
(the one DRF exception handler) ends here; backend/api_errors.py answers what Django answers itself."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.utils import json as drf_json
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD_ERRORS = "non_field_errors"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self) -> None:
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        message = gettext("The request body is larger than %(megabytes)s MB.")
        super().__init__(message % {"megabytes": f"{limit_mb:.0f}"})


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with Django's DATA_UPLOAD_MAX_MEMORY_SIZE applied (DRF reads the stream itself,
    so Django's own limit never runs for JSON bodies)."""

    def parse(self, stream: IO[Any], media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None:
            return super().parse(stream, media_type, parser_context)
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            # NaN and Infinity are not JSON: refused as DRF's own parser does (STRICT_JSON), not read as floats
            # that a text field would store as "nan".
            return json.loads(body.decode(encoding), parse_constant=drf_json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise exceptions.ParseError(gettext("JSON parse error - %(error)s") % {"error": exc}) from exc


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
