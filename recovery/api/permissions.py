"""Role checks of the API: a wrong role is 403; objects of others are filtered out (404) in the views."""
from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


def _has_profile(user: object, name: str) -> bool:
    try:
        return getattr(user, name) is not None
    except ObjectDoesNotExist:
        return False


class IsPatient(BasePermission):
    """An activated patient login (role patient, linked to its Patient)."""

    message = "This part of the API is for patients."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_patient and _has_profile(user, "patient"))


class IsSurgeon(BasePermission):
    """A surgeon login with its clinical profile."""

    message = "This part of the API is for surgeons."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_surgeon and _has_profile(user, "surgeon"))
