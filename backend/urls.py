from collections.abc import Callable
from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backend.health import healthz
from backend.metrics import metrics


def docs_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The API docs and schema: public with API_DOCS_PUBLIC (default: DEBUG), else for logged-in staff."""
    protected = staff_member_required(view)

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return (view if settings.API_DOCS_PUBLIC else protected)(request, *args, **kwargs)

    return wrapper


urlpatterns = [
    path("", RedirectView.as_view(url="/dashboard/", permanent=False)),  # a browser opened on the site's root
    path("admin/", admin.site.urls),
    path("api/schema/", docs_view(SpectacularAPIView.as_view()), name="schema"),
    # The split view serves its script from a URL (no inline script); Swagger UI's page has one inline
    # <style>, so the docs page alone allows inline styles.
    path("api/docs/", csp_update({"style-src": ["'unsafe-inline'"]})(
        docs_view(SpectacularSwaggerSplitView.as_view(url_name="schema"))), name="swagger-ui"),
    path("api/v1/", include("recovery.api.urls")),
    path("api/v1/", include("notifications.api.urls")),
    path("dashboard/", include("recovery.dashboard.urls")),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
]

# Errors Django answers itself are JSON under /api/ (backend/api_errors.py), pages elsewhere.
handler400 = "backend.api_errors.bad_request"
handler403 = "backend.api_errors.permission_denied"
handler404 = "backend.api_errors.not_found"
handler500 = "backend.api_errors.server_error"
