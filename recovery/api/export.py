"""FHIR export of one patient for their care team (shared/API.md "Export"); the bundle is recovery/fhir.py."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from recovery.api.schema import ERROR_401, ERROR_403, ERROR_404
from recovery.api.views import SurgeonView
from recovery.services import records

FHIR_BUNDLE = {
    "type": "object",
    "description": "A FHIR R4 Bundle (JSON) of type `collection`: Patient, Device (the pump), Procedure (the "
    "implant), Observations (LOINC 72514-3 pain 0-10, 8310-5 body temperature in UCUM units), Flags "
    "(escalations) and, for each escalation reason, a Condition the Flag points to (`flag-detail` extension), "
    "coded in SNOMED CT (http://snomed.info/sct) where a concept was verified, text only otherwise. Built with "
    "fhir.resources' R4B models. See https://hl7.org/fhir/R4/bundle.html.",
    "required": ["resourceType", "type", "entry"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["Bundle"]},
        "id": {"type": "string"},
        "type": {"type": "string", "enum": ["collection"]},
        "timestamp": {"type": "string", "format": "date-time"},
        "entry": {"type": "array", "items": {
            "type": "object",
            "required": ["fullUrl", "resource"],
            "properties": {
                "fullUrl": {"type": "string"},
                "resource": {"type": "object", "required": ["resourceType"], "additionalProperties": True,
                             "properties": {"resourceType": {"type": "string", "enum": [
                                 "Patient", "Device", "Procedure", "Observation", "Condition", "Flag"]}}},
            },
        }},
    },
}


class PatientFhirExportView(SurgeonView):
    @extend_schema(
        tags=["surgeon"],
        responses={200: OpenApiResponse(FHIR_BUNDLE, description="The patient's record as a FHIR R4 Bundle."),
                   401: ERROR_401, 403: ERROR_403, 404: ERROR_404},
        description="One patient's record as a FHIR R4 Bundle for a hospital's record system. Audited as a "
        "read of the patient's record.",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(records.fhir_export(self.member, pk, actor=request.user))
