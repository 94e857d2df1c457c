from django.urls import path

from recovery.dashboard import pump_pages, two_factor, views

app_name = "dashboard"

urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("inbox/open/", views.InboxOpenFragmentView.as_view(), name="inbox-open"),
    path("escalations/<int:pk>/acknowledge/", views.AcknowledgeView.as_view(), name="acknowledge"),
    path("escalations/<int:pk>/note/", views.CaseNoteView.as_view(), name="case-note"),
    path("escalations/<int:pk>/resolve/", views.ResolveView.as_view(), name="resolve"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-factor/", two_factor.VerifyView.as_view(), name="two-factor"),
    path("two-factor/setup/", two_factor.SetupView.as_view(), name="two-factor-setup"),
    path("patients/", views.PatientListView.as_view(), name="patients"),
    path("worklist/", pump_pages.WorklistView.as_view(), name="worklist"),
    path("patients/new/", views.EnrollView.as_view(), name="enroll"),
    path("patients/<int:pk>/", views.PatientDetailView.as_view(), name="patient"),
    path("patients/<int:pk>/edit/", views.PatientEditView.as_view(), name="patient-edit"),
    path("patients/<int:pk>/messages/", views.PatientMessagesView.as_view(), name="patient-messages"),
    path("patients/<int:pk>/enrolled/", views.EnrolledView.as_view(), name="enrolled"),
    path("patients/<int:pk>/activation-code/", views.NewActivationCodeView.as_view(), name="new-code"),
    path("milestones/<int:pk>/complete/", views.CompleteMilestoneView.as_view(), name="complete-milestone"),
    path("incision-checks/<int:pk>/photo/", views.IncisionPhotoView.as_view(), name="incision-photo"),
]
