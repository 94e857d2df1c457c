"""Role checks of the API (recovery.access): a wrong role is 403; objects of others are filtered out
(404) by the access querysets the views start from."""
from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from recovery import access


class IsPatient(BasePermission):
    """An activated patient login (role patient, linked to its Patient)."""

    message = "This part of the API is for patients."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return access.is_patient(request.user)


class IsSurgeon(BasePermission):
    """A care-team login (surgeon or nurse) with its clinical profile."""

    message = "This part of the API is for the care team (surgeons and nurses)."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return access.is_care_team_member(request.user)
