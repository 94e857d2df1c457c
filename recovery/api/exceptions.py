"""The API's one exception handler (settings REST_FRAMEWORK["EXCEPTION_HANDLER"]): service errors
become the answers shared/API.md names, so views do not each translate them; all other errors take the
API's one JSON error format (recovery/api/errors.py)."""
from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response

from recovery.api.errors import api_exception_handler
from recovery.services.accounts import ActivationError
from recovery.services.escalations import CaseChangedSinceSeen
from recovery.services.idempotency import IdempotencyConflict
from recovery.services.pumps import PumpInputError
from recovery.services.sessions import SecondFactorError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, IdempotencyConflict):
        return Response(
            {"client_id": [f"{exc.client_id} was already used for a {exc.record._meta.verbose_name} "
                           "with a different body; a new report needs a new client_id."]},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, CaseChangedSinceSeen):
        # Acknowledge/resolve from a view older than the case (a report or a reason joined): nothing was changed.
        return Response({exc.field: [str(exc)]}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, (ActivationError, PumpInputError, SecondFactorError)):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    # Everything else in the one JSON error format (parse errors, 413, {detail}): recovery/api/errors.py.
    return api_exception_handler(exc, context)
