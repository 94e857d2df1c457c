"""The pump over its life for the care team (shared/API.md): PATCH the pump, record and list refills.

Thin views over services.pumps; a patient outside the caller's care team is a 404, and so is a change
to the pump of a patient only passed on to the caller's team (recovery.access.own_patients, as for
patient edits). Service errors (400 naming the field, 409 for a reused client_id) become answers in
recovery.api.exceptions; the services write the audit rows.
"""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from recovery import access, pump_selectors
from recovery.api import serializers as s
from recovery.api.views import ERROR_400, ERROR_401, ERROR_403, ERROR_404, ERROR_409, SurgeonView
from recovery.models import Pump
from recovery.services import pumps, records


class SurgeonPumpView(SurgeonView):
    serializer_class = s.CareTeamPumpSerializer

    def visible_pump(self, pk: int, *, to_change: bool = False) -> Pump:
        """The pump of a patient the member may see; to change it, of their own team's patient (a backup
        surgeon a case was passed on to reads the pump, the clinic that refills it records refills and doses)."""
        patients = access.own_patients(self.member) if to_change else access.care_team_patients(self.member)
        return get_object_or_404(Pump.objects.select_related("patient").filter(patient__in=patients), patient_id=pk)


class PumpView(SurgeonPumpView):
    @extend_schema(
        tags=["surgeon"], request=s.PumpUpdateSerializer,
        responses={200: s.CareTeamPumpSerializer, 400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404,
                   409: ERROR_409},
        description="Change the pump's record. A new `daily_dose` (with `dose_unit`) recomputes `alarm_date` and "
        "`next_refill_date` from the volume left on `effective_date` (default: the patient's today), the next "
        "refill date never before that day (a dose that leaves the reservoir short is accepted, with "
        "`refill_warning`); with a `client_id` a retried dose change is stored once.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        pump = self.visible_pump(pk, to_change=True)
        serializer = s.PumpUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = pumps.update_pump(pump, serializer.validated_data, by=self.member.user)
        return Response(s.CareTeamPumpSerializer(result.pump).data)


class RefillsView(SurgeonPumpView):
    pagination_class = None

    @extend_schema(
        tags=["surgeon"], responses={200: s.RefillSerializer(many=True), 401: ERROR_401, 403: ERROR_403,
                                     404: ERROR_404},
        description="The pump's refill history, newest first.",
    )
    def get(self, request: Request, pk: int) -> Response:
        pump = self.visible_pump(pk)
        history = pump_selectors.refill_history(pump)
        records.shown(request.user, pump)
        return Response(s.RefillSerializer(history, many=True).data)

    @extend_schema(
        tags=["surgeon"], request=s.RefillInputSerializer,
        responses={201: s.CareTeamPumpSerializer,
                   200: OpenApiResponse(s.CareTeamPumpSerializer, description="Retry of a refill already stored (same "
                                        "client_id and body): the pump, nothing new."),
                   400: ERROR_400, 401: ERROR_401, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409},
        description="Record a refill: answers the pump after it, with `alarm_date = refill_date + floor((volume_ml "
        "- low_reservoir_alarm_ml) * concentration / daily_dose)` days (units made consistent) and "
        "`next_refill_date = alarm_date - 7`, never before `refill_date`: a fill that alarms within 7 days is due "
        "for refill at once (`refill_margin_short`, and `refill_warning` says why). A `volume_ml` not above "
        "`low_reservoir_alarm_ml` is a 400. Closes the missed-refill alerts of the pump.",
    )
    def post(self, request: Request, pk: int) -> Response:
        pump = self.visible_pump(pk, to_change=True)
        serializer = s.RefillInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = pumps.record_refill(pump, serializer.validated_data, by=self.member.user)
        # The answer is the pump after the refill, so `Location` names the pump (the refill has no own URL).
        location = reverse("api:surgeon-patient-pump", kwargs={"pk": pk}, request=request)
        return Response(s.CareTeamPumpSerializer(result.pump).data,
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
                        headers={"Location": location})
