"""One example per API operation, by operationId: the request body (where there is one) and the
success answer. `recovery.api.schema.complete_schema` attaches them; tests/recovery/api/test_schema.py
checks that every operation has them and that each one is valid against its own schema."""
from __future__ import annotations

from typing import Any

CLIENT_ID = "5b0c8f4e-8d47-4a53-9a55-2f7f2c4a9b11"
CARE_TEAM_CLIENT_ID = "9e2d1c7a-4b3f-4e8a-8c61-0d5f2a7b3c94"
TOKENS = {"access": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl",
          "refresh": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl"}
PUMP = {"kind": "programmable", "drug": "baclofen", "model": "synchromed_ii", "serial_number": "NGP123456H",
        "reservoir_volume_ml": 20.0, "low_reservoir_alarm_ml": 2.0, "concentration": 500.0,
        "concentration_unit": "mcg/mL", "daily_dose": 100.0, "dose_unit": "mcg/day", "last_refill_date": "2026-11-15",
        "alarm_date": "2026-12-15", "next_refill_date": "2026-12-08", "refill_margin_short": False,
        "battery_replacement_due": "2033-11-15", "battery_replacement_soon": False,
        "mri_guidance": {"model": "synchromed_ii", "name": "Medtronic SynchroMed II", "maker": "Medtronic",
                         "status": "mr_conditional", "source": "Medtronic SynchroMed II MRI labelling"}}
CARE_TEAM_PUMP = {**PUMP, "refill_warning": None}
REFILL = {"id": 3, "client_id": CLIENT_ID, "refill_date": "2026-12-07", "volume_ml": 20.0, "concentration": 500.0,
          "concentration_unit": "mcg/mL", "daily_dose": 100.0, "dose_unit": "mcg/day", "alarm_date": "2027-01-06",
          "next_refill_date": "2026-12-30", "recorded_by": "dr.demo", "created_at": "2026-12-07T15:00:00Z"}
PROFILE = {"id": 42, "display_name": "Ada Lovelace", "timezone": "America/New_York", "checkin_time": "09:00",
           "surgery_date": "2026-11-15", "recovery_day": 10, "phase": "early_healing",
           "phase_title": "Early healing", "language": "en", "country": "US", "emergency_number": "911",
           "pump": PUMP}
ROUTINE = {"level": "routine", "reasons": [],
           "advice": "Thank you. Nothing in this check-in needs the care team; keep following your plan."}
URGENT = {"level": "urgent", "reasons": ["fever"],
          "advice": "Your care team has been alerted: you reported a fever. They will contact you soon."}
EMERGENCY = {"level": "emergency", "reasons": ["difficulty_breathing"],
             "advice": "Call 911 now: trouble breathing can be an overdose of the pump medicine."}
CHECKIN = {"id": 901, "client_id": CLIENT_ID, "local_date": "2026-11-25", "created_at": "2026-11-25T14:02:11Z",
           "pain_score": 4, "temperature": 100.6, "temperature_unit": "F", "binder_worn": True, "binder_hours": 12.5,
           "restrictions_followed": True, "symptoms": ["incision_pain"], "note": "", "triage": URGENT}
INCISION_CHECK = {"id": 77, "client_id": CLIENT_ID, "local_date": "2026-11-25", "created_at": "2026-11-25T14:05:00Z",
                  "site": "abdomen", "redness": False, "swelling": False, "drainage": False, "bleeding": False,
                  "pain": False, "note": "", "has_photo": True, "triage": ROUTINE}
WARNING_REPORT = {"id": 12, "client_id": CLIENT_ID, "local_date": "2026-11-25", "created_at": "2026-11-25T03:40:00Z",
                  "symptoms": ["difficulty_breathing"], "note": "", "triage": EMERGENCY}
MILESTONE = {"key": "wound_check", "title": "Wound check visit: stitches or staples out", "due_date": "2026-11-25",
             "status": "due", "completed_at": None, "done_by": "clinic"}
RESTRICTION = {"key": "no_lifting", "title": "No lifting over 10 lb",
               "instructions": "Do not lift anything heavier than 10 lb (4.5 kg), about a gallon of milk.",
               "starts_on": "2026-11-15", "ends_on": "2027-01-09"}
MESSAGE = {"id": 5, "client_id": None, "sender": "care_team", "kind": "care_team", "title": "From your care team",
           "body": "See you Thursday for the wound check.", "sender_name": "Dr. Demo", "escalation_id": None,
           "created_at": "2026-11-24T16:00:00Z"}
PATIENT_MESSAGE = {
    "id": 6, "client_id": "5b0c8f4e-8d47-4a53-9a55-2f7f2c4a9b11", "sender": "patient", "kind": "patient", "title": "",
    "body": "Can I take a short shower tomorrow?", "sender_name": "Ada Lovelace", "escalation_id": None,
    "created_at": "2026-11-24T17:00:00Z",
    "notice": "Your care team reads messages during clinic hours, so a message is not the way to report a warning "
              "sign. ... call 911 now.",
}
PERSON = {"id": 42, "display_name": "Ada Lovelace"}
SURGEON = {"id": 3, "display_name": "Dr. Demo"}
ESCALATION = {"id": 314, "patient": PERSON, "level": "urgent", "reasons": ["fever"],
              "reports": [{"type": "checkin", "id": 901, "created_at": "2026-11-25T14:02:11Z", "level": "urgent",
                           "reasons": ["fever"], "note": "Feeling hot since lunch."}],
              "created_at": "2026-11-25T14:02:11Z", "updated_at": "2026-11-25T14:02:11Z",
              "ack_due_at": "2026-11-25T16:02:11Z", "acknowledged_at": None, "acknowledged_by": None,
              "acknowledge_note": "", "acknowledge_notes": [], "resolved_at": None, "resolved_by": None,
              "outcome": None, "resolution_note": "", "note": "", "assigned_surgeon": SURGEON, "escalated_to": None,
              "escalated_at": None, "source": {"type": "checkin", "id": 901}}
CASE_CHANGED = {"reports_seen": ["A new report joined this case since it was shown to you (you saw 1 report, it now "
                                "has 2): look at it first; nothing was changed."]}
LAST_CHECKIN = {"id": 901, "created_at": "2026-11-25T14:02:11Z", "local_date": "2026-11-25", "pain_score": 4,
                "triage_level": "urgent"}
SURGEON_PATIENT = {**PROFILE, "activated": True, "last_checkin": LAST_CHECKIN, "open_escalations_count": 1,
                   "unread_messages_count": 1, "phone": "+12125550101", "emergency_contact_name": "Byron Lovelace",
                   "emergency_contact_phone": "+12125550111", "preferred_contact_time": "weekday mornings"}
DEVICE = {"id": 8, "token": "fcm-registration-token-from-the-phone", "platform": "android",
          "created_at": "2026-11-15T18:00:00Z", "last_seen_at": "2026-11-25T14:00:00Z"}
ENROLLMENT_REQUEST = {"display_name": "Ada Lovelace", "surgery_date": "2026-11-15", "timezone": "America/New_York",
                      "pump": {"kind": "programmable", "drug": "baclofen", "model": "synchromed_ii",
                               "next_refill_date": "2026-12-08"},
                      "checkin_time": "09:00", "binder_prescribed": True}


def page(*results: Any) -> dict[str, Any]:
    return {"count": len(results), "next": None, "previous": None, "results": list(results)}


EXAMPLES: dict[str, dict[str, Any]] = {
    "auth_token_create": {"request": {"username": "ada", "password": "correct horse battery staple"},
                             "responses": {200: TOKENS}},
    "auth_token_refresh_create": {"request": {"refresh": TOKENS["refresh"]}, "responses": {200: TOKENS}},
    "auth_logout_create": {"request": {"refresh": TOKENS["refresh"]}},
    "auth_activate_create": {"request": {"code": "K7QP-2MXD-9TRA", "username": "ada",
                                            "password": "correct horse battery staple"},
                                "responses": {201: TOKENS}},
    "me_retrieve": {"responses": {200: PROFILE}},
    "me_partial_update": {"request": {"timezone": "Europe/London", "checkin_time": "08:30"},
                             "responses": {200: {**PROFILE, "timezone": "Europe/London", "checkin_time": "08:30"}}},
    "timeline_list": {"responses": {200: [MILESTONE]}},
    "timeline_done_create": {"responses": {200: {
        "key": "physical_therapy_start", "title": "Physical therapy starts", "due_date": "2026-11-29",
        "status": "done", "completed_at": "2026-11-25T14:30:00Z", "done_by": "patient"}}},
    "education_list": {"responses": {200: [{
        "key": "incision_care", "title": "Caring for your incisions",
        "body": "Keep both incisions clean and dry; look at them every day for redness, swelling or drainage.",
        "source": "Patient guide, incision care"}]}},
    "restrictions_list": {"responses": {200: [RESTRICTION]}},
    "checkins_list": {"responses": {200: page(CHECKIN)}},
    "checkins_create": {"request": {"client_id": CLIENT_ID, "pain_score": 4, "temperature": 100.6,
                                       "temperature_unit": "F", "binder_worn": True, "binder_hours": 12.5,
                                       "restrictions_followed": True, "symptoms": ["incision_pain"], "note": ""},
                           "responses": {201: CHECKIN, 200: CHECKIN}},
    "checkins_retrieve": {"responses": {200: CHECKIN}},
    "incision_checks_create": {"request": {"client_id": CLIENT_ID, "site": "abdomen", "redness": False,
                                              "swelling": False, "drainage": False, "bleeding": False,
                                              "pain": False, "note": ""},
                                  "responses": {201: INCISION_CHECK, 200: INCISION_CHECK}},
    "incision_checks_retrieve": {"responses": {200: INCISION_CHECK}},
    "warning_reports_create": {"request": {"client_id": CLIENT_ID, "symptoms": ["difficulty_breathing"],
                                              "note": ""},
                                  "responses": {201: WARNING_REPORT, 200: WARNING_REPORT}},
    "warning_reports_retrieve": {"responses": {200: WARNING_REPORT}},
    "messages_list": {"responses": {200: page(MESSAGE)}},
    "messages_create": {"request": {"client_id": CLIENT_ID, "body": "Can I take a short shower tomorrow?"},
                        "responses": {201: PATIENT_MESSAGE, 200: PATIENT_MESSAGE}},
    "surgeon_patients_messages_list": {"responses": {200: page(MESSAGE)}},
    "surgeon_patients_messages_create": {"request": {"body": "See you Thursday for the wound check.",
                                                     "client_id": CARE_TEAM_CLIENT_ID},
                                         "responses": {201: {**MESSAGE, "client_id": CARE_TEAM_CLIENT_ID},
                                                       200: {**MESSAGE, "client_id": CARE_TEAM_CLIENT_ID}}},
    "devices_register": {"request": {"token": DEVICE["token"], "platform": "android"},
                         "responses": {201: DEVICE, 200: DEVICE}},
    "devices_unregister": {},
    "surgeon_patients_list": {"responses": {200: page(SURGEON_PATIENT)}},
    "surgeon_patients_create": {
        "request": {**ENROLLMENT_REQUEST, "client_id": CARE_TEAM_CLIENT_ID},
        "responses": {201: {**PROFILE, "recovery_day": 10, "activation_code": "K7QP-2MXD-9TRA",
                            "activation_expires_at": "2026-12-09T14:00:00Z"},
                      200: {**PROFILE, "recovery_day": 10, "activation_expires_at": "2026-12-09T14:00:00Z"}},
    },
    "surgeon_patients_retrieve": {"responses": {200: {
        **SURGEON_PATIENT, "binder_prescribed": True, "timeline": [MILESTONE], "recent_checkins": [CHECKIN],
        "recent_incision_checks": [INCISION_CHECK], "recent_warning_reports": [], "escalations": [ESCALATION]}}},
    "surgeon_patients_partial_update": {
        "request": {"phone": "+1 212 555 0101", "emergency_contact_name": "Byron Lovelace",
                    "emergency_contact_phone": "+1 212 555 0111", "preferred_contact_time": "weekday mornings"},
        "responses": {200: {
            **SURGEON_PATIENT, "binder_prescribed": True, "timeline": [MILESTONE], "recent_checkins": [CHECKIN],
            "recent_incision_checks": [INCISION_CHECK], "recent_warning_reports": [], "escalations": [ESCALATION]}}},
    "surgeon_patients_fhir_retrieve": {"responses": {200: {
        "resourceType": "Bundle", "id": "patient-42-export", "type": "collection", "timestamp": "2026-11-25T15:00:00Z",
        "entry": [
            {"fullUrl": "urn:uuid:0b8e3f0e-1d7a-5c4e-9a51-3f6d2b7c8a10", "resource": {
                "resourceType": "Patient", "id": "patient-42", "name": [{"text": "Ada Lovelace"}]}},
            {"fullUrl": "urn:uuid:6f1c2d3e-4b5a-5c6d-8e7f-9a0b1c2d3e4f", "resource": {
                "resourceType": "Observation", "id": "pain-901", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
                "subject": {"reference": "urn:uuid:0b8e3f0e-1d7a-5c4e-9a51-3f6d2b7c8a10"},
                "effectiveDateTime": "2026-11-25T14:02:11Z",
                "valueQuantity": {"value": 4, "unit": "{score}", "system": "http://unitsofmeasure.org",
                                  "code": "{score}"}}},
            {"fullUrl": "urn:uuid:2c4d6e8f-0a1b-5c3d-9e5f-7a9b1c3d5e7f", "resource": {
                "resourceType": "Condition", "id": "escalation-7-fever",
                "verificationStatus": {"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "unconfirmed"}]},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "386661006", "display": "Fever"}],
                         "text": "fever"},
                "subject": {"reference": "urn:uuid:0b8e3f0e-1d7a-5c4e-9a51-3f6d2b7c8a10"},
                "recordedDate": "2026-11-25T14:02:11Z"}},
            {"fullUrl": "urn:uuid:3d5e7f9a-1b2c-5d4e-8f6a-8b0c2d4e6f8a", "resource": {
                "resourceType": "Flag", "id": "escalation-7", "status": "active",
                "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/flag-detail",
                               "valueReference": {"reference": "urn:uuid:2c4d6e8f-0a1b-5c3d-9e5f-7a9b1c3d5e7f"}}],
                "code": {"text": "Urgent escalation: fever"},
                "subject": {"reference": "urn:uuid:0b8e3f0e-1d7a-5c4e-9a51-3f6d2b7c8a10"},
                "period": {"start": "2026-11-25T14:02:11Z"}}},
        ]}}},
    "surgeon_patients_pump_partial_update": {"request": {"daily_dose": 120.0, "dose_unit": "mcg/day"},
                                             "responses": {200: CARE_TEAM_PUMP}},
    "surgeon_patients_refills_list": {"responses": {200: [REFILL]}},
    "surgeon_patients_refills_create": {
        "request": {"client_id": CLIENT_ID, "refill_date": "2026-12-07", "volume_ml": 20.0, "concentration": 500.0,
                    "concentration_unit": "mcg/mL", "daily_dose": 100.0, "dose_unit": "mcg/day"},
        "responses": {201: {**CARE_TEAM_PUMP, "last_refill_date": "2026-12-07", "alarm_date": "2027-01-06",
                            "next_refill_date": "2026-12-30"}, 200: CARE_TEAM_PUMP}},
    "surgeon_inbox_list": {"responses": {200: [ESCALATION]}},
    "surgeon_inbox_acknowledge_create": {
        "request": {"note": "Calling her now.", "reports_seen": 1, "reasons_seen": ESCALATION["reasons"]},
        "responses": {200: {**ESCALATION, "acknowledged_at": "2026-11-25T14:10:00Z", "acknowledged_by": "dr.demo",
                            "acknowledge_note": "Calling her now.",
                            "acknowledge_notes": [{"note": "Calling her now.", "author": "dr.demo",
                                                   "created_at": "2026-11-25T14:10:00Z"}],
                            "note": "Calling her now."}, 409: CASE_CHANGED}},
    "surgeon_inbox_resolve_create": {
        "request": {"outcome": "clinic_visit_booked", "note": "Wound check tomorrow 9:00.", "reports_seen": 1,
                    "reasons_seen": ESCALATION["reasons"]},
        "responses": {200: {**ESCALATION, "acknowledged_at": "2026-11-25T14:10:00Z", "acknowledged_by": "dr.demo",
                            "resolved_at": "2026-11-25T14:20:00Z", "resolved_by": "dr.demo",
                            "outcome": "clinic_visit_booked", "resolution_note": "Wound check tomorrow 9:00.",
                            "note": "Wound check tomorrow 9:00."}, 409: CASE_CHANGED}},
}
