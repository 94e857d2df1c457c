"""The patient and surgeon API of shared/API.md: thin views over recovery.services and recovery.selectors.

Object access: a patient's queries start from their own Patient; a surgeon's from recovery.access's
care-team querysets (through the selectors), so anything else is a 404. Service errors become answers
in recovery.api.exceptions; audit rows are written by the services.
"""
from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control
from django.views.decorators.http import conditional_page
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework_simplejwt.views import TokenObtainPairView

from recovery import access, i18n, plan, selectors
from recovery.api import inbox_pages
from recovery.api import serializers as s
from recovery.api.languages import PhoneLanguageView
from recovery.api.pagination import LinkHeaderCursorPagination, LinkHeaderPagination, NewestFirstCursorPagination
from recovery.api.parsers import JSONParser as BoundedJSONParser
from recovery.api.permissions import IsPatient, IsSurgeon
from recovery.api.schema import (
    CONDITIONAL_GET,
    CURSOR_404,
    ERROR_400,
    ERROR_401,
    ERROR_403,
    ERROR_404,
    ERROR_429,
    INBOX_404,
    INBOX_HEADERS,
    INBOX_PARAMETERS,
    NOT_MODIFIED,
    PAGE_404,
)
from recovery.api.throttling import ACTIVATION_THROTTLES, LOGIN_THROTTLES
from recovery.models import CheckIn, IncisionCheck, Milestone, Patient, Surgeon, User, WarningReport
from recovery.services import accounts, enrollment, escalations, messages, plans, records, reports
from recovery.services import sessions as tokens

ERROR_409 = OpenApiResponse(
    s.ConflictSerializer, description="This `client_id` was already used with a different body; nothing stored."
)
# The body is the one 400/409 shape, `{field: [message]}` (recovery/api/schema.py adds it).
CASE_CHANGED_409 = OpenApiResponse(
    description='`{"reports_seen": [message]}`: the case now holds more reports than `reports_seen`, so a new '
    'report joined it since the caller\'s view; or `{"reasons_seen": [message]}`: it has a reason not in '
    "`reasons_seen` (the refill safety net adds one, and may raise the level, without a report). Nothing was "
    "changed; look at the case again first.",
)

RESOLVE_409 = OpenApiResponse(
    description=CASE_CHANGED_409.description + ' Or, the case being already resolved (with another outcome or '
    'note, or by someone else): `{"resolved": [message], "resolution": {"resolved_at", "resolved_by" (a username, '
    'as inbox items name people), "resolved_by_name" (their display name), "outcome", "resolution_note"}}`, the '
    "resolution that stands (`resolved_by` and `resolved_by_name` null when no person resolved it: the refill "
    "safety net closes the case it raised once the refill is recorded). Nothing was stored: the caller's outcome "
    "and note are not kept.",
)

# ETag from the answer's content and a 304 on a matching If-None-Match; private data, always revalidated.
revalidated = method_decorator([conditional_page, cache_control(private=True, no_cache=True)], name="dispatch")


# --- Accounts --------------------------------------------------------------------------------

class TokenView(PhoneLanguageView, TokenObtainPairView):
    serializer_class = s.LoginSerializer
    throttle_classes = LOGIN_THROTTLES

    @extend_schema(
        tags=["auth"],
        request=s.LoginSerializer,
        responses={200: s.TokenPairSerializer,
                   400: OpenApiResponse(description='Bad input: `{"field": ["message", ...]}`. A staff login with '
                                        "two-factor required (STAFF_TWO_FACTOR_REQUIRED) whose password is right "
                                        "but whose `otp_token` is missing or wrong, or who has not set up two-factor "
                                        "on the dashboard yet, answers `{\"otp_token\": [message]}`; no tokens."),
                   401: OpenApiResponse(description="Bad credentials."),
                   429: ERROR_429},
        description="Log in: an access token (15 minutes) and a refresh token (7 days). Staff (everyone but "
        "patients) with two-factor required also send `otp_token`, a code of their authenticator app or a "
        "single-use recovery code; their tokens work only when issued that way. Every attempt, wrong codes "
        "included, counts towards the per-username and per-address login limits (429).",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.LoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)  # username and password: 401 on bad credentials
        return Response(tokens.log_in(serializer.user, otp_token=serializer.validated_data.get("otp_token")))


class ActivateView(PhoneLanguageView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = ACTIVATION_THROTTLES

    @extend_schema(
        tags=["auth"],
        request=s.ActivationSerializer,
        responses={201: s.TokenPairSerializer, 400: ERROR_400, 429: ERROR_429},
        description="A patient enrolled by a surgeon sets up the app with the one-time code: creates their "
        "login and answers tokens. A used, unknown or expired code, a taken username or a weak password "
        "answers 400 and changes nothing. The same activation sent again within 10 minutes (same code, username "
        "and password: a retry after the answer was lost) answers 201 with new tokens for the login it made.",
    )
    def post(self, request: Request) -> Response:
        serializer = s.ActivationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        language = request.headers.get("Accept-Language")
        user = accounts.activate_patient(
            **serializer.validated_data, language=i18n.language_from_accept_header(language) if language else None
        )
        return Response(tokens.token_pair(user), status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("api:me", request=request)})


# --- Patient ---------------------------------------------------------------------------------

class PatientView(PhoneLanguageView, GenericAPIView):
    permission_classes = [IsAuthenticated, IsPatient]

    @property
    def patient(self) -> Patient:
        return cast(User, self.request.user).patient  # IsPatient let the request in

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """After authentication, the patient's own language (reset after the request)."""
        super().initial(request, *args, **kwargs)
        translation.activate(self.patient.text_language)


@revalidated
class MeView(PatientView):
    serializer_class = s.PatientProfileSerializer

    @extend_schema(tags=["patient"], parameters=CONDITIONAL_GET,
                   responses={200: s.PatientProfileSerializer, 304: NOT_MODIFIED, 401: ERROR_401, 403: ERROR_403},
                   description="The caller's profile; recovery_day and phase are computed in their own zone.")
    def get(self, request: Request) -> Response:
        return Response(s.PatientProfileSerializer(self.patient).data)

    @extend_schema(tags=["patient"], request=s.PatientSettingsSerializer,
                   responses={200: s.PatientProfileSerializer, 400: ERROR_400, 401: ERROR_401, 403: ERROR_403},
                   description="Change the caller's time zone, daily check-in time and/or country.")
    def patch(self, request: Request) -> Response:
        serializer = s.PatientSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patient = accounts.update_patient_settings(
            self.patient, timezone_name=data.get("timezone"), checkin_time=data.get("checkin_time"),
            language=data.get("language"),
            country=data.get("country"),
        )
        translation.activate(patient.text_language)
        return Response(s.PatientProfileSerializer(patient).data)


@revalidated
class TimelineView(PatientView):
    pagination_class = None
    serializer_class = s.MilestoneSerializer

    @extend_schema(tags=["patient"], parameters=CONDITIONAL_GET,
                   responses={200: s.MilestoneSerializer(many=True), 304: NOT_MODIFIED, 401: ERROR_401,
                              403: ERROR_403},
                   description="The recovery milestones in date order, each with its status on the patient's "
                   "local today (done, due, upcoming, overdue). Bounded by the plan, so not paginated.")
    def get(self, request: Request) -> Response:
        patient = self.patient
        milestones = selectors.timeline_of(patient)
        context = {"today": patient.local_date()}
        return Response(s.MilestoneSerializer(milestones, many=True, context=context).data)


class MilestoneDoneView(PatientView):
    serializer_class = s.MilestoneSerializer

    @extend_schema(tags=["patient"], request=None,
                   responses={200: s.MilestoneSerializer, 400: ERROR_400, 401: ERROR_401, 403: ERROR_403,
                              404: ERROR_404},
                   description="The patient ticks off one of their own milestones (a preparation step, "
                   "physical therapy started). Idempotent: the first completion time is kept. A milestone "
                   "the care team marks (such as the wound check visit) answers 403; an unknown key 404; a "
                   "step of the recovery after surgery while the surgery date is still ahead 400 "
                   "`{\"key\": [message naming the step]}`.")
    def post(self, request: Request, key: str) -> Response:
        patient = self.patient
        try:
            milestone = plans.complete_own_milestone(patient, key)
        except Milestone.DoesNotExist as exc:
            raise NotFound() from exc
        except plans.NotPatientsToTick as exc:
            raise PermissionDenied(translation.gettext("Your care team marks this step done.")) from exc
        except plans.StepAfterSurgery as exc:
            step = plan.in_patient_language(key, exc.milestone.title, plan.TEMPLATES_BY_KEY)
            raise serializers.ValidationError({"key": [translation.gettext(
                "“%(step)s” comes after your surgery: you can mark it done from your surgery day on."
            ) % {"step": step}]}) from exc
        return Response(s.MilestoneSerializer(milestone, context={"today": patient.local_date()}).data)


@revalidated
class EducationView(PatientView):
    pagination_class = None
    serializer_class = s.EducationArticleSerializer

    @extend_schema(tags=["patient"], parameters=CONDITIONAL_GET,
                   responses={200: s.EducationArticleSerializer(many=True), 304: NOT_MODIFIED, 401: ERROR_401,
                              403: ERROR_403},
                   description="The education articles that apply to the patient today (recovery day, pump "
                   "drug, pump model), in the patient's language, each naming its source.")
    def get(self, request: Request) -> Response:
        return Response(s.EducationArticleSerializer(selectors.education_for(self.patient), many=True).data)


class RestrictionsView(PatientView):
    pagination_class = None
    serializer_class = s.RestrictionSerializer

    @extend_schema(tags=["patient"], parameters=[s.RestrictionQuerySerializer],
                   responses={200: s.RestrictionSerializer(many=True), 400: ERROR_400, 401: ERROR_401, 403: ERROR_403},
                   description="The activity restrictions in force on `date` (default: the patient's local today).")
    def get(self, request: Request) -> Response:
        query = s.RestrictionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        patient = self.patient
        day = query.validated_data.get("date") or patient.local_date()
        return Response(s.RestrictionSerializer(selectors.restrictions_in_force(patient, day), many=True).data)


class ReportCreateMixin:
    """POST of a phone report: 201 first time, 200 with the first record on a retry, 409 on a reused id."""

    input_serializer: type[serializers.Serializer]
    output_serializer: type[serializers.Serializer]
    patient: Patient  # PatientView's
    detail_url_name: str

    def submit(self, patient: Patient, data: dict[str, Any]) -> reports.Submission:
        raise NotImplementedError

    def create(self, request: Request) -> Response:
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submission = self.submit(self.patient, dict(serializer.validated_data))
        location = reverse(self.detail_url_name, kwargs={"pk": submission.record.pk}, request=request)
        return Response(
            self.output_serializer(submission.record).data,
            status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
            headers={"Location": location},
        )


class ReportDetailView(PatientView):
    """One of the caller's own reports (the `Location` of its 201); anyone else's is a 404."""

    model: type[Any]

    def get(self, request: Request, pk: int) -> Response:
        record = get_object_or_404(self.model.objects.filter(patient=self.patient), pk=pk)
        return Response(self.get_serializer(record).data)


def _report_detail_schema(output: type[serializers.Serializer], what: str) -> Any:
    return extend_schema(tags=["patient"], responses={200: output, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404},
                         description=f"One of the caller's own {what}, with its triage.")


def _report_responses(output: type[serializers.Serializer]) -> dict:
    return {
        201: output,
        200: OpenApiResponse(output, description="Retry of a report already stored (same client_id and body): "
                             "the record first stored, nothing new."),
        400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 409: ERROR_409,
    }


class CheckInsView(ReportCreateMixin, PatientView):
    serializer_class = s.CheckInSerializer
    pagination_class = NewestFirstCursorPagination
    input_serializer = s.CheckInInputSerializer
    output_serializer = s.CheckInSerializer
    detail_url_name = "api:checkin-detail"

    def get_queryset(self) -> QuerySet:
        return selectors.checkins_of(self.patient)

    def submit(self, patient: Patient, data: dict[str, Any]) -> reports.Submission:
        return reports.submit_checkin(patient, data)

    @extend_schema(tags=["patient"], responses={200: s.CheckInSerializer(many=True), 401: ERROR_401, 403: ERROR_403,
                                                404: CURSOR_404},
                   description="The caller's own check-ins, newest first.")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.CheckInSerializer(page, many=True).data)

    @extend_schema(tags=["patient"], request=s.CheckInInputSerializer, responses=_report_responses(s.CheckInSerializer),
                   description="Daily check-in, answered with its triage. Urgent or emergency triage alerts the "
                   "surgeon in the same transaction.")
    def post(self, request: Request) -> Response:
        return self.create(request)


class IncisionChecksView(ReportCreateMixin, PatientView):
    parser_classes = [BoundedJSONParser, MultiPartParser]  # multipart only for the photo
    serializer_class = s.IncisionCheckSerializer
    input_serializer = s.IncisionCheckInputSerializer
    output_serializer = s.IncisionCheckSerializer
    detail_url_name = "api:incision-check-detail"

    def submit(self, patient: Patient, data: dict[str, Any]) -> reports.Submission:
        photo = data.pop("photo", None)
        return reports.submit_incision_check(patient, data, photo=photo)

    @extend_schema(
        tags=["patient"],
        request={"application/json": s.IncisionCheckJsonSerializer,
                 "multipart/form-data": s.IncisionCheckInputSerializer},
        responses=_report_responses(s.IncisionCheckSerializer),
        description="Incision check, answered with its triage; a photo may be sent as multipart `photo` "
        "(JPEG or PNG, at most settings.INCISION_PHOTO_MAX_BYTES). Photos get no public URL.",
    )
    def post(self, request: Request) -> Response:
        return self.create(request)


class WarningReportsView(ReportCreateMixin, PatientView):
    serializer_class = s.WarningReportSerializer
    input_serializer = s.WarningReportInputSerializer
    output_serializer = s.WarningReportSerializer
    detail_url_name = "api:warning-report-detail"

    def submit(self, patient: Patient, data: dict[str, Any]) -> reports.Submission:
        return reports.submit_warning_report(patient, data)

    @extend_schema(
        tags=["patient"], request=s.WarningReportInputSerializer,
        responses=_report_responses(s.WarningReportSerializer),
        examples=[OpenApiExample("Trouble breathing", request_only=True, value={
            "client_id": "5b0c8f4e-8d47-4a53-9a55-2f7f2c4a9b11", "symptoms": ["difficulty_breathing"], "note": ""})],
        description="Warning signs outside the daily check-in, answered with triage "
                    "(emergency advice says to call the local emergency number now).",
    )
    def post(self, request: Request) -> Response:
        return self.create(request)


@_report_detail_schema(s.CheckInSerializer, "check-ins")
class CheckInDetailView(ReportDetailView):
    model = CheckIn
    serializer_class = s.CheckInSerializer


@_report_detail_schema(s.IncisionCheckSerializer, "incision checks")
class IncisionCheckDetailView(ReportDetailView):
    model = IncisionCheck
    serializer_class = s.IncisionCheckSerializer


@_report_detail_schema(s.WarningReportSerializer, "warning reports")
class WarningReportDetailView(ReportDetailView):
    model = WarningReport
    serializer_class = s.WarningReportSerializer


class MessagesView(PatientView):
    serializer_class = s.MessageSerializer
    pagination_class = NewestFirstCursorPagination

    def get_queryset(self) -> QuerySet:
        return selectors.messages_for(self.patient)

    @extend_schema(tags=["patient"], responses={200: s.MessageSerializer(many=True), 401: ERROR_401, 403: ERROR_403,
                                                404: CURSOR_404},
                   description="The caller's thread with their care team, both directions, newest first: "
                   "`sender` is patient, care_team or system.")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.MessageSerializer(page, many=True).data)

    @extend_schema(
        tags=["patient"], request=s.PatientMessageInputSerializer,
        responses={201: s.PatientMessageCreatedSerializer,
                   200: OpenApiResponse(s.PatientMessageCreatedSerializer, description="Retry of a message already "
                                        "stored (same client_id and body): the message first stored."),
                   400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 409: ERROR_409},
        description="Write to the care team. A message is not a report: it is read in clinic hours and is not "
        "triaged. The answer's `notice` (and the system's answer, once a day) says how to report warning signs.",
    )
    def post(self, request: Request) -> Response:
        serializer = s.PatientMessageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = self.patient
        submission = messages.send_patient_message(patient, **serializer.validated_data)
        context = {"notice": messages.warning_signs_notice(patient)}
        # A message has no URL of its own: `Location` names the thread it was added to.
        return Response(s.PatientMessageCreatedSerializer(submission.message, context=context).data,
                        status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
                        headers={"Location": reverse("api:messages", request=request)})


# --- Surgeon ---------------------------------------------------------------------------------

class SurgeonView(GenericAPIView):
    """The care team's half of the API: surgeons and nurses alike (a nurse for their teams' patients)."""

    permission_classes = [IsAuthenticated, IsSurgeon]

    @property
    def member(self) -> access.CareTeamMember:
        member = access.care_team_member(self.request.user)
        if member is None:  # IsSurgeon lets only care-team members in
            raise PermissionDenied("This part of the API is for the care team.")
        return member

    # The name views used before nurses joined the care team; it is the member, surgeon or nurse.
    surgeon = member


class SurgeonPatientsView(SurgeonView):
    serializer_class = s.SurgeonPatientSerializer

    def get_queryset(self) -> QuerySet:
        return selectors.patient_summaries_for(self.member)

    @extend_schema(tags=["surgeon"], responses={200: s.SurgeonPatientSerializer(many=True), 401: ERROR_401,
                                                403: ERROR_403, 404: PAGE_404},
                   description="The caller's own patients (and those whose escalation was passed on to them) with "
                   "recovery day, last check-in and open escalations count.")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        records.shown_list(request.user, page or [], "recovery.Patient")
        return self.get_paginated_response(s.SurgeonPatientSerializer(page, many=True).data)

    @extend_schema(tags=["surgeon"], request=s.EnrollmentInputSerializer,
                   responses={201: s.EnrollmentSerializer,
                              200: OpenApiResponse(s.EnrollmentRetrySerializer, description="Retry of an "
                                                   "enrollment already made (same client_id): the patient, nobody "
                                                   "new, without `activation_code` (it is shown once)."),
                              400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 409: ERROR_409},
                   description="Enroll a patient under the caller: pump, recovery plan and a one-time activation "
                   "code, shown in this answer only. With the optional `client_id` a retry enrolls the patient "
                   "once.")
    def post(self, request: Request) -> Response:
        serializer = s.EnrollmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        enrolled = enrollment.enroll_patient(
            surgeon=_enrolling_surgeon(self.member, data.get("surgeon_id")),
            contact={field: data[field] for field in enrollment.CONTACT_FIELDS if field in data},
            by=request.user,
            display_name=data["display_name"],
            surgery_date=data["surgery_date"],
            timezone_name=data["timezone"],
            pump=dict(data["pump"]),
            checkin_time=data.get("checkin_time"),
            binder_prescribed=data["binder_prescribed"],
            language=data.get("language", ""),  # "" = the phone's language at activation
            country=data["country"],
            submission_key=data.get("client_id"),
        )
        patient: Any = Patient.objects.select_related("pump").get(pk=enrolled.patient.pk)  # carries the code
        patient.activation_code = enrolled.activation_code
        patient.activation_expires_at = (
            patient.activation_codes.filter(used_at__isnull=True).order_by("-created_at").values_list(
                "expires_at", flat=True).first()
        )
        location = reverse("api:surgeon-patient-detail", kwargs={"pk": patient.pk}, request=request)
        if not enrolled.created:
            return Response(s.EnrollmentRetrySerializer(patient).data, headers={"Location": location})
        return Response(s.EnrollmentSerializer(patient).data, status=status.HTTP_201_CREATED,
                        headers={"Location": location})


def _enrolling_surgeon(member: access.CareTeamMember, surgeon_id: int | None) -> Surgeon:
    """Whom a new patient is enrolled under: the surgeon named (one of the caller's teams), else the
    caller, else a nurse's only team. Anything else is a 400 naming surgeon_id."""
    teams = access.team_surgeons(member)
    if surgeon_id is not None:
        surgeon = teams.filter(pk=surgeon_id).first()
        if surgeon is None:
            raise serializers.ValidationError({"surgeon_id": ["Not a surgeon of your teams."]})
        return surgeon
    if isinstance(member, Surgeon):
        return member
    only = list(teams[:2])
    if len(only) != 1:
        raise serializers.ValidationError({"surgeon_id": ["You work in several teams: name the surgeon."]})
    return only[0]


class SurgeonPatientDetailView(SurgeonView):
    serializer_class = s.SurgeonPatientDetailSerializer

    @extend_schema(tags=["surgeon"],
                   responses={200: s.SurgeonPatientDetailSerializer, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404},
                   description="One patient with timeline, recent check-ins, incision checks, warning reports "
                   "and escalations.")
    def get(self, request: Request, pk: int) -> Response:
        return self._answer(request, pk)

    def _answer(self, request: Request, pk: int) -> Response:
        record = records.patient_record(self.member, pk, actor=request.user)
        context = {
            "today": record.today, "timeline": record.timeline, "checkins": record.checkins,
            "incision_checks": record.incision_checks, "warning_reports": record.warning_reports,
            "escalations": record.escalations,
        }
        return Response(s.SurgeonPatientDetailSerializer(record.patient, context=context).data)

    @extend_schema(tags=["surgeon"], request=s.PatientUpdateSerializer,
                   responses={200: s.SurgeonPatientDetailSerializer, 400: ERROR_400, 401: ERROR_401, 403: ERROR_403,
                              404: ERROR_404},
                   description="Change a patient's details (name, surgery date, zone, check-in time, binder, "
                   "contact). A new surgery date or binder prescription rebuilds the plan. Patients of the "
                   "caller's teams only (not those merely passed on).")
    def patch(self, request: Request, pk: int) -> Response:
        patient = get_object_or_404(access.own_patients(self.member), pk=pk)
        serializer = s.PatientUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        enrollment.update_patient(patient, dict(serializer.validated_data), by=request.user)
        return self._answer(request, pk)


class PatientThreadView(SurgeonView):
    """The thread of one patient of the caller's teams, read and answered by the care team."""

    serializer_class = s.MessageSerializer

    def patient(self, pk: int) -> Patient:
        return get_object_or_404(access.care_team_patients(self.member).select_related("user"), pk=pk)

    @extend_schema(tags=["surgeon"], responses={200: s.MessageSerializer(many=True), 401: ERROR_401, 403: ERROR_403,
                                                404: ERROR_404},
                   description="The patient's thread, both directions, newest first. Opening it marks the "
                   "patient's messages read (unread_messages_count); audited.")
    def get(self, request: Request, pk: int) -> Response:
        patient = self.patient(pk)
        messages.open_thread(patient, by=request.user)
        page = self.paginate_queryset(selectors.messages_for(patient))
        return self.get_paginated_response(s.MessageSerializer(page, many=True).data)

    @extend_schema(tags=["surgeon"], request=s.CareTeamMessageInputSerializer,
                   responses={201: s.MessageSerializer,
                              200: OpenApiResponse(s.MessageSerializer, description="Retry of a message already "
                                                   "stored (same client_id and body): the message first stored, "
                                                   "no second push."),
                              400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409},
                   description="Write to the patient; their devices get a push with neutral text. With the "
                   "optional `client_id` a retry is stored and pushed once (the phone records' rule).")
    def post(self, request: Request, pk: int) -> Response:
        patient = self.patient(pk)
        serializer = s.CareTeamMessageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submission = messages.send_care_team_message(patient, **serializer.validated_data, by=request.user)
        return Response(s.MessageSerializer(submission.message).data,
                        status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
                        headers={"Location": reverse("api:surgeon-patient-messages", kwargs={"pk": pk},
                                                     request=request)})


class InboxView(SurgeonView):
    serializer_class = s.EscalationSerializer
    # API.md writes the inbox as a JSON array: page links travel in headers, not in the body. The open inbox
    # pages by number (see `paginator`); this class is what the schema generator reads for `page`.
    pagination_class = LinkHeaderPagination

    @property
    def state(self) -> str:
        if not hasattr(self, "_state"):
            query = s.InboxQuerySerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            self._state: str = query.validated_data["state"]
        return self._state

    @property
    def paginator(self) -> LinkHeaderPagination | LinkHeaderCursorPagination:
        """The open inbox by page number: its order (unacknowledged first, most severe) changes as cases are
        acknowledged, which no cursor can hold. The history (resolved, all) by cursor, newest first by a time
        that never changes (selectors.INBOX_HISTORY_ORDER): a case resolved or raised between two fetches
        is neither repeated nor skipped."""
        if not hasattr(self, "_paginator"):
            self._paginator = (LinkHeaderPagination() if self.state == "open"
                               else LinkHeaderCursorPagination(selectors.INBOX_HISTORY_ORDER[self.state]))
        return self._paginator

    def get_queryset(self) -> QuerySet:
        return selectors.inbox_items_for(self.member, state=self.state)

    @extend_schema(tags=["surgeon"], parameters=[s.InboxQuerySerializer, *INBOX_PARAMETERS, *INBOX_HEADERS],
                   responses={200: s.EscalationSerializer(many=True), 400: ERROR_400, 401: ERROR_401, 403: ERROR_403,
                              404: INBOX_404},
                   description="Escalation cases of the caller's patients and those passed on to them (one open case "
                   "per patient, its reports oldest first). `state` is open (default), resolved or all. The open "
                   "inbox is ordered unacknowledged first, then most severe, then newest, and pages by `page` "
                   "number. The history pages by `cursor` (follow the `Link` header's `rel=\"next\"` URL), newest "
                   "first by a time that never changes, so a case resolved or raised between two fetches is never "
                   "repeated or skipped: `resolved` by resolution time, `all` by the time the case was opened.")
    def get(self, request: Request) -> HttpResponse:
        version = selectors.inbox_version(self.member, state=self.state)
        answer = inbox_pages.page(request, version, self.build_page)
        records.shown_patients(request.user, answer.patient_ids, "recovery.Escalation")
        return answer.response()

    def build_page(self) -> inbox_pages.Page:
        """The page from the database, rendered as DRF would answer it."""
        items = self.paginate_queryset(self.get_queryset()) or []
        response = self.get_paginated_response(s.EscalationSerializer(items, many=True).data)
        renderer = self.request.accepted_renderer
        rendered = renderer.render(response.data, self.request.accepted_media_type, self.get_renderer_context())
        body = rendered.encode() if isinstance(rendered, str) else rendered
        content_type = renderer.media_type + (f"; charset={renderer.charset}" if renderer.charset else "")
        headers = {name: value for name, value in response.headers.items() if name.lower() != "content-type"}
        return inbox_pages.Page(body=body, content_type=content_type, headers=headers,
                                patient_ids=tuple(item.patient_id for item in items))


class AcknowledgeView(SurgeonView):
    serializer_class = s.EscalationSerializer

    @extend_schema(tags=["surgeon"], request=s.AcknowledgeInputSerializer,
                   responses={200: s.EscalationSerializer, 400: ERROR_400, 401: ERROR_401, 403: ERROR_403,
                              404: ERROR_404, 409: CASE_CHANGED_409},
                   description="Mark the case seen by the caller, optionally with a note. Idempotent: the first "
                   "acknowledgement is kept. Every note is kept with who wrote it and when (`acknowledge_notes`, "
                   "oldest first; `acknowledge_note` is the latest); the caller's latest note sent again within two "
                   "minutes (a retry) is stored once. With `reports_seen` and "
                   "`reasons_seen` (the number of the case's reports and the reasons the caller was shown), a case "
                   "that has gained a report or a reason since answers 409 and is left as it was.")
    def post(self, request: Request, pk: int) -> Response:
        escalation = get_object_or_404(selectors.inbox_for(self.member, state="all"), pk=pk)
        body = s.AcknowledgeInputSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        escalations.acknowledge_escalation(escalation, request.user, **body.validated_data)
        return Response(s.EscalationSerializer(selectors.inbox_for(self.member, state="all").get(pk=pk)).data)


class ResolveView(SurgeonView):
    serializer_class = s.EscalationSerializer

    @extend_schema(tags=["surgeon"], request=s.ResolveInputSerializer,
                   responses={200: s.EscalationSerializer, 400: ERROR_400, 401: ERROR_401, 403: ERROR_403,
                              404: ERROR_404, 409: RESOLVE_409},
                   description="Close the case with an outcome and a note (acknowledging it if nobody had). "
                   "The patient's next escalating report opens a new case. A resolution once stored is never "
                   "changed: the same resolve sent again by the person who resolved it (a retry, a double tap: the "
                   "same `outcome` and `note`) answers 200 with the case and stores nothing new; a resolve of a "
                   "resolved case with another `outcome` or `note`, or by someone else, answers 409 with the "
                   "resolution that stands (`resolved`, `resolution`) and stores nothing, so the caller can show "
                   "whose resolution it is and that theirs was not kept. "
                   "With `reports_seen` and `reasons_seen` (the number of the case's reports and the reasons the "
                   "caller was shown), an open case that has gained a report or a reason since (say an emergency "
                   "that raised it) answers 409 and is left open, so it is never closed unseen.")
    def post(self, request: Request, pk: int) -> Response:
        escalation = get_object_or_404(selectors.inbox_for(self.member, state="all"), pk=pk)
        body = s.ResolveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        escalations.resolve_escalation(escalation, request.user, **body.validated_data)
        return Response(s.EscalationSerializer(selectors.inbox_for(self.member, state="all").get(pk=pk)).data)

