"""Paths of shared/API.md under /api/v1/ (the devices paths live in notifications.api.urls)."""
from django.urls import path

from recovery.api import export, pump_views, session_views, views

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/token/refresh/", session_views.RefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", session_views.LogoutView.as_view(), name="logout"),
    path("auth/activate/", views.ActivateView.as_view(), name="activate"),
    path("me/", views.MeView.as_view(), name="me"),
    path("timeline/", views.TimelineView.as_view(), name="timeline"),
    path("timeline/<slug:key>/done/", views.MilestoneDoneView.as_view(), name="timeline-done"),
    path("education/", views.EducationView.as_view(), name="education"),
    path("restrictions/", views.RestrictionsView.as_view(), name="restrictions"),
    path("checkins/", views.CheckInsView.as_view(), name="checkins"),
    path("checkins/<int:pk>/", views.CheckInDetailView.as_view(), name="checkin-detail"),
    path("incision-checks/", views.IncisionChecksView.as_view(), name="incision-checks"),
    path("incision-checks/<int:pk>/", views.IncisionCheckDetailView.as_view(), name="incision-check-detail"),
    path("warning-reports/", views.WarningReportsView.as_view(), name="warning-reports"),
    path("warning-reports/<int:pk>/", views.WarningReportDetailView.as_view(), name="warning-report-detail"),
    path("messages/", views.MessagesView.as_view(), name="messages"),
    path("surgeon/patients/", views.SurgeonPatientsView.as_view(), name="surgeon-patients"),
    path("surgeon/patients/<int:pk>/", views.SurgeonPatientDetailView.as_view(), name="surgeon-patient-detail"),
    path("surgeon/patients/<int:pk>/pump/", pump_views.PumpView.as_view(), name="surgeon-patient-pump"),
    path("surgeon/patients/<int:pk>/refills/", pump_views.RefillsView.as_view(), name="surgeon-patient-refills"),
    path("surgeon/patients/<int:pk>/fhir/", export.PatientFhirExportView.as_view(), name="surgeon-patient-fhir"),
    path("surgeon/patients/<int:pk>/messages/", views.PatientThreadView.as_view(), name="surgeon-patient-messages"),
    path("surgeon/inbox/", views.InboxView.as_view(), name="surgeon-inbox"),
    path("surgeon/inbox/<int:pk>/acknowledge/", views.AcknowledgeView.as_view(), name="surgeon-acknowledge"),
    path("surgeon/inbox/<int:pk>/resolve/", views.ResolveView.as_view(), name="surgeon-resolve"),
]
