"""The API's one exception handler (settings REST_FRAMEWORK["EXCEPTION_HANDLER"]): service errors
become the answers shared/API.md names, so views do not each translate them; all other errors take the
API's one JSON error format (recovery/api/errors.py)."""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from rest_framework import serializers, status
from rest_framework.response import Response

from recovery.api.errors import api_exception_handler
from recovery.models import CheckIn, IncisionCheck, PatientMessage, WarningReport
from recovery.services.accounts import ActivationError
from recovery.services.escalations import AlreadyResolved, CaseChangedSinceSeen
from recovery.services.idempotency import IdempotencyConflict
from recovery.services.photos import PhotoUnreadable
from recovery.services.pumps import PumpInputError
from recovery.services.sessions import SecondFactorError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, IdempotencyConflict):
        return Response({"client_id": [idempotency_conflict_message(exc)]}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, CaseChangedSinceSeen):
        # Acknowledge/resolve from a view older than the case (a report or a reason joined): nothing was changed.
        return Response({exc.field: [str(exc)]}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, AlreadyResolved):
        return Response(already_resolved_body(exc), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, (ActivationError, PumpInputError, SecondFactorError)):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PhotoUnreadable):
        # The report was rolled back with it: nothing is stored, and the same client_id may be sent again.
        return Response({"photo": [gettext("The photo could not be read: the file is damaged or was cut off "
                                           "while sending. Take it again, or send the check without it.")]},
                        status=status.HTTP_400_BAD_REQUEST)
    # Everything else in the one JSON error format (parse errors, 413, {detail}): recovery/api/errors.py.
    return api_exception_handler(exc, context)


def idempotency_conflict_message(exc: IdempotencyConflict) -> str:
    """The 409 of a reused client_id, in the language being answered in (the patient's on the patient API):
    one whole sentence per kind of record, so that each language words it its own way."""
    client_id = {"client_id": exc.client_id}
    if isinstance(exc.record, CheckIn):
        return gettext("%(client_id)s was already used for a check-in with a different body; a new report "
                       "needs a new client_id.") % client_id
    if isinstance(exc.record, IncisionCheck):
        return gettext("%(client_id)s was already used for an incision check with a different body; a new "
                       "report needs a new client_id.") % client_id
    if isinstance(exc.record, WarningReport):
        return gettext("%(client_id)s was already used for a warning report with a different body; a new "
                       "report needs a new client_id.") % client_id
    if isinstance(exc.record, PatientMessage):
        return gettext("%(client_id)s was already used for a message with a different body; a new message "
                       "needs a new client_id.") % client_id
    # The care team's records (refills, dose changes): their pages stay English.
    return (f"{exc.client_id} was already used for a {exc.record._meta.verbose_name} with a different body; "
            "a new one needs a new client_id.")


def already_resolved_body(exc: AlreadyResolved) -> dict[str, Any]:
    """The 409 of a resolve that was not stored because the case was already resolved: the message under
    `resolved`, like every 409's `{field: [message]}`, and the resolution that stands, with the inbox item's field
    names, for the app to show (whose it is: the username, as the inbox names people, and the display name)."""
    case, by = exc.case, exc.case.resolved_by
    resolved_at = case.resolved_at
    return {
        "resolved": [str(exc)],
        "resolution": {
            "resolved_at": serializers.DateTimeField().to_representation(resolved_at) if resolved_at else None,
            "resolved_by": by.get_username() if by is not None else None,
            "resolved_by_name": by.shown_name if by is not None else None,
            "outcome": case.outcome or None,
            "resolution_note": case.resolution_note,
        },
    }
