"""Errors Django answers itself (no matching URL, an exception escaping a view, a bad request before any
view) are JSON under /api/ like every other API error (recovery/api/errors.py), Django's pages elsewhere.
backend/urls.py names these as handler400/403/404/500."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json_error(detail: str, status_code: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status_code)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return _json_error("Not found.", status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return _json_error("Server error. The request may be retried later.", status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        if isinstance(exception, RequestDataTooBig):
            limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
            return _json_error(f"The request body is larger than {limit_mb:.0f} MB.",
                               status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        return JsonResponse({"non_field_errors": ["Bad request."]}, status=status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return _json_error("You do not have permission to perform this action.", status.HTTP_403_FORBIDDEN)
    return defaults.permission_denied(request, exception)
