"""The care team's dashboard (surgeons and nurses): server-rendered pages over the same selectors and
services as the API.

Every page that shows a patient's records is audited (through recovery.services, which write the rows);
anything outside the member's teams' patients (and escalations passed on to them) is a 404, as in the
API: queries start from recovery.access's care-team querysets. Times are shown in the clinic's zone
(settings.CLINIC_TIME_ZONE), labelled; a patient's own dates are labelled with the patient's zone.
"""
from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView

from notifications import health
from recovery import access, plan, selectors
from recovery.dashboard import charts
from recovery.dashboard.forms import (
    AcknowledgeForm,
    CaseNoteForm,
    EnrollmentForm,
    PatientEditForm,
    PatientSearchForm,
    ReplyForm,
    ResolveForm,
    SurgeonLoginForm,
)
from recovery.models import Escalation, IncisionCheck, Milestone, Patient
from recovery.services import accounts, enrollment, escalations, messages, plans, records
from recovery.services.idempotency import IdempotencyConflict

INBOX_HISTORY_SIZE = 30
AUDIT_LOG_SIZE = 20
TREND_CHECKINS = 120
PATIENTS_PER_PAGE = 50
SESSION_CODES = "dashboard_activation_codes"

# Sort keys of the patients list and the ordering each means ("-" first = descending).
PATIENT_SORTS: dict[str, tuple[Any, ...]] = {
    "name": ("display_name", "id"),
    "recovery_day": ("surgery_date", "id"),  # earlier surgery = further into recovery
    "last_checkin": (F("last_checkin_at").desc(nulls_last=True), "id"),
    "open_escalations": ("-open_escalations_count", "display_name", "id"),
}


class LoginView(auth_views.LoginView):
    template_name = "dashboard/login.html"
    authentication_form = SurgeonLoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class CareTeamRequiredMixin(LoginRequiredMixin):
    """Only a logged-in surgeon or nurse gets past; another role sees a 403 page that says why.

    A page's script that fetches after the session ended gets a 401 it can show ("signed out"),
    not the login page as if it were the content it asked for.
    """

    member: access.CareTeamMember

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            if request.headers.get("X-Requested-With") == "fetch":
                return JsonResponse({"detail": "signed_out", "login_url": resolve_url(settings.LOGIN_URL)}, status=401)
            return self.handle_no_permission()
        member = access.care_team_member(request.user)
        if member is None:
            raise PermissionDenied("The dashboard is for the care team (surgeons and nurses).")
        self.member = member
        timezone.activate(settings.CLINIC_TIME_ZONE)
        return super().dispatch(request, *args, **kwargs)

    @property
    def surgeon(self) -> access.CareTeamMember:
        """The name pages used before nurses joined the care team: the member, surgeon or nurse."""
        return self.member


class InboxView(CareTeamRequiredMixin, TemplateView):
    """One row per open patient case (unacknowledged first, then most severe) with its reports, the
    patient's own words, the time left before pass-on, the patient's contact and unread messages;
    patients' messages waiting for an answer; the recently resolved cases below."""

    template_name = "dashboard/inbox.html"

    with_history = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        open_escalations = list(selectors.with_unread_messages(
            selectors.inbox_for(self.member, state="open").select_related("acknowledged_by__surgeon",
                                                                          "acknowledged_by__nurse")
        ))
        waiting_messages = list(selectors.patients_with_unread_messages(self.member)[:INBOX_HISTORY_SIZE])
        history = list(
            selectors.inbox_for(self.member, state="resolved")
            .select_related("resolved_by__surgeon", "resolved_by__nurse")
            .order_by(*selectors.INBOX_HISTORY_ORDER["resolved"])[:INBOX_HISTORY_SIZE]
        ) if self.with_history else []
        records.shown_list(self.request.user, open_escalations + history, "recovery.Escalation")
        records.shown_list(self.request.user, waiting_messages, "recovery.PatientMessage")
        return {
            **super().get_context_data(**kwargs), "open_escalations": open_escalations, "history": history,
            "outcomes": Escalation.Outcome.choices,
            "push_health": health.push_health(), "unreachable_count": selectors.unreachable_open_escalations(),
            "waiting_messages": waiting_messages, "clinic_zone": settings.CLINIC_TIME_ZONE,
        }


class InboxOpenFragmentView(InboxView):
    """The open-escalations table alone, polled by the inbox page every 15 seconds: it neither
    queries nor audits the history it does not show."""

    template_name = "dashboard/_inbox_open.html"
    with_history = False


def case_changed_answer(request: HttpRequest, escalation: Escalation,
                        exc: escalations.CaseChangedSinceSeen) -> HttpResponse:
    """A stale acknowledge or resolve (a report joined the case after the page was drawn): nothing was changed;
    the inbox shows the case again, with its new report, under a message that says why."""
    flash.warning(request, f"{escalation.patient.display_name}: {exc}")
    return redirect(reverse("dashboard:inbox") + f"#case-{escalation.pk}")


def form_problem(form: forms.Form) -> str:
    """The form's errors in one line, for the plain 400 page."""
    return " ".join(f"{name}: {' '.join(str(error) for error in errors)}" for name, errors in form.errors.items())


class AcknowledgeView(CareTeamRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        escalation = get_object_or_404(access.care_team_escalations(self.member).select_related("patient"), pk=pk)
        form = AcknowledgeForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest(form_problem(form))
        try:
            escalations.acknowledge_escalation(escalation, request.user, **form.cleaned_data, open_only=True)
        except escalations.CaseChangedSinceSeen as exc:
            return case_changed_answer(request, escalation, exc)
        except escalations.ResolvedBeforeAcknowledged as exc:
            # Resolved by someone while this page was open: said on the inbox, never the quiet redirect of an
            # acknowledgement that was kept; a typed note is given back so it can be written elsewhere.
            note = form.cleaned_data["note"].strip()
            flash.warning(request, f"{escalation.patient.display_name}: this case was {exc} before your "
                                   "acknowledgement was sent; nothing was changed"
                                   + (f", and your note was not added: \u201c{note}\u201d" if note else "."))
        return redirect("dashboard:inbox")


class CaseNoteView(CareTeamRequiredMixin, View):
    """A note added to a case someone already acknowledged, from the open inbox or the patient page (`back`
    names which): kept, with its author, by the acknowledgement service as the API's acknowledge with a note
    is, and shown on that page after the redirect. An empty note is refused there, next to its form."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        escalation = get_object_or_404(access.care_team_escalations(self.member).select_related("patient"), pk=pk)
        back = "patient" if request.POST.get("back") == "patient" else "inbox"
        form = CaseNoteForm(request.POST)
        if not form.is_valid():
            if set(form.errors) == {"note"}:
                return self.page_with(request, escalation, form, back)
            return HttpResponseBadRequest(form_problem(form))
        try:
            escalations.acknowledge_escalation(escalation, request.user, **form.cleaned_data, open_only=True)
        except escalations.CaseChangedSinceSeen as exc:
            return case_changed_answer(request, escalation, exc)
        except escalations.ResolvedBeforeAcknowledged as exc:
            # Resolved by someone while this page was open (the form is drawn for open cases only): said on the
            # inbox, where the dashboard's messages are shown (as case_changed_answer does), with the text so it can
            # be written elsewhere; never the quiet redirect of a note that was kept.
            flash.warning(request, f"{escalation.patient.display_name}: this case was resolved before your note "
                                   f"was sent ({exc}), and the note was not added: \u201c{form.cleaned_data['note']}"
                                   "\u201d")
            return redirect("dashboard:inbox")
        page = (reverse("dashboard:patient", kwargs={"pk": escalation.patient_id}) if back == "patient"
                else reverse("dashboard:inbox"))
        return redirect(f"{page}#case-{escalation.pk}")

    def page_with(self, request: HttpRequest, escalation: Escalation, form: CaseNoteForm, back: str) -> HttpResponse:
        """The page the note came from, drawn again with the form's problem under that case (400)."""
        view: InboxView | PatientDetailView
        if back == "patient":
            view = PatientDetailView(request=request, member=self.member, kwargs={"pk": escalation.patient_id})
            context = view.get_context_data(pk=escalation.patient_id)
        else:
            view = InboxView(request=request, member=self.member, kwargs={})
            context = view.get_context_data()
        context.update(note_form=form, note_case_id=escalation.pk)
        return render(request, view.template_name, context, status=400)


class ResolveView(CareTeamRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        escalation = get_object_or_404(access.care_team_escalations(self.member).select_related("patient"), pk=pk)
        form = ResolveForm(request.POST)
        if not form.is_valid():
            if "outcome" in form.errors:
                return HttpResponseBadRequest("Choose what was done (the outcome) to resolve the case.")
            return HttpResponseBadRequest(form_problem(form))
        try:
            escalations.resolve_escalation(escalation, request.user, **form.cleaned_data)
        except escalations.CaseChangedSinceSeen as exc:
            return case_changed_answer(request, escalation, exc)
        except escalations.AlreadyResolved as exc:
            # Someone resolved it first (or this is another outcome or note): say whose resolution stands and that
            # what was typed was not kept, never the quiet redirect of a success.
            flash.warning(request, f"{escalation.patient.display_name}: {exc}")
        return redirect("dashboard:inbox")


class CompleteMilestoneView(CareTeamRequiredMixin, View):
    """The patient's own care team marks a clinic-side milestone done (the patient ticks their own in the app); a
    backup surgeon a case was passed on to only reads the record (recovery.access.own_patients), as for edits."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        milestone = get_object_or_404(
            Milestone.objects.select_related("patient").filter(patient__in=access.own_patients(self.member)),
            pk=pk,
        )
        try:
            plans.complete_clinic_milestone(milestone, by=request.user)
        except plans.NotCareTeamsToTick as exc:
            raise PermissionDenied("The patient marks this step done in the app.") from exc
        except plans.StepAfterSurgery:
            surgery = milestone.patient.surgery_date
            return HttpResponseBadRequest(f"“{milestone.title}” comes after the surgery ({surgery}): it can be "
                                          "marked done from that day on.")
        return redirect("dashboard:patient", pk=milestone.patient_id)


class PatientListView(CareTeamRequiredMixin, TemplateView):
    template_name = "dashboard/patients.html"
    search: PatientSearchForm

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.search = PatientSearchForm(request.GET, sorts=PATIENT_SORTS, default_sort="name")
        if not self.search.is_valid():
            return HttpResponseBadRequest(form_problem(self.search))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query, sort = self.search.cleaned_data["q"], self.search.cleaned_data["sort"]
        patients = selectors.patient_summaries_for(self.member)
        if query:
            patients = patients.filter(display_name__icontains=query)
        paginator = Paginator(patients.order_by(*PATIENT_SORTS[sort]), PATIENTS_PER_PAGE)
        page = paginator.get_page(self.search.cleaned_data["page"])
        rows = list(page.object_list)
        records.shown_list(self.request.user, rows, "recovery.Patient")
        return {
            **super().get_context_data(**kwargs),
            "page": page, "patients": rows, "query": query, "sort": sort, "sorts": PATIENT_SORTS.keys(),
        }


class PatientDetailView(CareTeamRequiredMixin, TemplateView):
    """One patient: contact, messages, timeline, restrictions today, reports with the patient's notes,
    pump, trends and who looked at the record. Showing the thread marks the patient's messages read."""

    template_name = "dashboard/patient.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        record = records.patient_record(self.member, kwargs.pop("pk"), actor=self.request.user, shows_thread=True)
        patient, today = record.patient, record.today
        trend = selectors.trend_checkins_of(patient, TREND_CHECKINS)
        from recovery.dashboard.pump_pages import pump_card_context  # the module builds on this one
        return {
            **super().get_context_data(**kwargs),
            "patient": patient,
            "today": today,
            "recovery_day": patient.recovery_day(),
            "phase": patient.phase(),
            "pump": getattr(patient, "pump", None),
            **pump_card_context(getattr(patient, "pump", None)),
            "timeline": [(m, m.status_on(today), m.window_passed_on(today), plan.done_by(m.key) == plan.DoneBy.CLINIC)
                         for m in record.timeline],
            "restrictions": list(selectors.restrictions_in_force(patient, today)),
            "checkins": record.checkins,
            "charts": charts.trend_charts(trend, lambda c: (c.local_date - patient.surgery_date).days),
            "incision_checks": record.incision_checks,
            "warning_reports": record.warning_reports,
            "escalations": record.escalations,
            "audit_events": list(selectors.audit_events_of(patient)[:AUDIT_LOG_SIZE]),
            "thread": list(reversed(record.messages)),  # oldest first, the reply form below the newest
            "reply_form": kwargs.get("reply_form") or ReplyForm(),
            "may_edit": access.own_patients(self.member).filter(pk=patient.pk).exists(),
            "clinic_zone": settings.CLINIC_TIME_ZONE,
        }


class PatientMessagesView(CareTeamRequiredMixin, View):
    """The care team's reply from the patient page; the patient gets a push."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        patient = get_object_or_404(access.care_team_patients(self.member).select_related("user"), pk=pk)
        form = ReplyForm(request.POST)
        if not form.is_valid():
            return self.page_with(request, pk, form, status=400)
        try:
            messages.send_care_team_message(patient, **form.cleaned_data, by=request.user)
        except IdempotencyConflict:
            # The same form sent again with another text (edited after a send whose answer was lost): the
            # first text is in the thread; this one is offered again under a new id, to send if meant.
            again = ReplyForm.again(form.cleaned_data["body"])
            again.add_error(None, "This form was already sent with another text, shown in the thread above. "
                                  "Send this text too only if you mean to.")
            return self.page_with(request, pk, again, status=409)
        return redirect(reverse("dashboard:patient", kwargs={"pk": pk}) + "#messages")

    def page_with(self, request: HttpRequest, pk: int, form: ReplyForm, *, status: int) -> HttpResponse:
        detail = PatientDetailView(request=request, member=self.member, kwargs={"pk": pk})
        return render(request, PatientDetailView.template_name, detail.get_context_data(pk=pk, reply_form=form),
                      status=status)


class PatientEditView(CareTeamRequiredMixin, FormView):
    """Change a patient's details and contact through the services; a new surgery date rebuilds the plan."""

    template_name = "dashboard/patient_edit.html"
    patient: Patient

    def get_patient(self) -> Patient:
        return get_object_or_404(access.own_patients(self.member), pk=self.kwargs["pk"])

    def get_form(self, form_class: Any = None) -> PatientEditForm:
        self.patient = self.get_patient()
        data = self.request.POST if self.request.method == "POST" else None
        return PatientEditForm.for_patient(self.patient, data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # builds the form, which finds the patient (or 404s)
        if self.request.method == "GET":
            records.shown(self.request.user, self.patient)
        return {**context, "patient": self.patient}

    def form_valid(self, form: PatientEditForm) -> HttpResponse:
        enrollment.update_patient(self.patient, form.changes(), by=self.request.user)
        return redirect("dashboard:patient", pk=self.patient.pk)


class IncisionPhotoView(CareTeamRequiredMixin, View):
    """The photo of an incision check, to the surgeons who may see that patient only; never cached."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        check = get_object_or_404(
            IncisionCheck.objects.select_related("patient").filter(
                patient__in=access.care_team_patients(self.member)
            ),
            pk=pk,
        )
        if not check.photo:
            raise Http404("No photo")
        records.shown(request.user, check)
        response = FileResponse(check.photo.open("rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, no-store"
        return response


class EnrollView(CareTeamRequiredMixin, FormView):
    template_name = "dashboard/enroll.html"
    form_class = EnrollmentForm

    def get_form(self, form_class: Any = None) -> EnrollmentForm:
        form = super().get_form(form_class)
        form.set_surgeons(access.team_surgeons(self.member))
        return form

    def form_valid(self, form: EnrollmentForm) -> HttpResponse:
        try:
            enrolled = self.enroll(form)
        except IdempotencyConflict as exc:
            # The same form sent again for another patient (edited after a send whose answer was lost): the
            # first is enrolled; this one is offered again under a new id, to enroll if meant.
            again = EnrollmentForm({**self.request.POST.dict(), "submission_id": str(uuid.uuid4())})
            again.set_surgeons(access.team_surgeons(self.member))
            again.is_valid()
            again.add_error(None, f"This form already enrolled {exc.record}. Enroll this patient too only if "
                                  "you mean to.")
            return self.render_to_response(self.get_context_data(form=again), status=409)
        if enrolled.activation_code is not None:
            remember_code_once(self.request, enrolled.patient.pk, enrolled.activation_code)
        return redirect("dashboard:enrolled", pk=enrolled.patient.pk)

    def enroll(self, form: EnrollmentForm) -> enrollment.Enrollment:
        data = form.cleaned_data
        return enrollment.enroll_patient(
            surgeon=form.surgeon(),
            contact=form.contact(),
            display_name=data["display_name"],
            surgery_date=data["surgery_date"],
            timezone_name=data["timezone"],
            checkin_time=data["checkin_time"],
            binder_prescribed=data["binder_prescribed"],
            language=data["language"],
            pump=form.pump(),
            by=self.request.user,
            submission_key=data["submission_id"],
        )


def remember_code_once(request: HttpRequest, patient_id: int, code: str) -> None:
    """Keep a fresh activation code in the session until the next page shows it (it is stored only hashed)."""
    codes = request.session.get(SESSION_CODES, {})
    codes[str(patient_id)] = code
    request.session[SESSION_CODES] = codes


class EnrolledView(CareTeamRequiredMixin, TemplateView):
    """Shows the activation code once, with a printable handout; a reload no longer shows it."""

    template_name = "dashboard/enrolled.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        pk = kwargs.pop("pk")
        patient = get_object_or_404(access.own_patients(self.member), pk=pk)
        records.shown(self.request.user, patient)
        codes = self.request.session.get(SESSION_CODES, {})
        code = codes.pop(str(pk), None)
        self.request.session[SESSION_CODES] = codes
        return {
            **super().get_context_data(**kwargs), "patient": patient, "activation_code": code,
            "code_valid_days": settings.ACTIVATION_CODE_TTL.days,
            "emergency_number": selectors.emergency_number_of(patient),
        }


class NewActivationCodeView(CareTeamRequiredMixin, View):
    """Issue a fresh code (the old one stops working), e.g. when the handout was lost."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        patient = get_object_or_404(access.own_patients(self.member).filter(user__isnull=True), pk=pk)
        remember_code_once(request, patient.pk, accounts.issue_activation_code(patient, by=request.user))
        return redirect(reverse("dashboard:enrolled", kwargs={"pk": patient.pk}))
