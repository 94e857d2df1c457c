"""Names vulture cannot see being used (read by `make lint`'s vulture step, never imported).

Each is declared for a framework, the database or a template rather than called from Python:
"""
# Model fields and choices: stored data, read by the admin, serializers, templates or the database.
IOS  # notifications.models.Device.Platform
WEB  # notifications.models.Device.Platform
last_seen_at  # notifications.models.Device, written on every registration
_.last_seen_at
ENGLISH  # recovery.models.Language
SPANISH  # recovery.models.Language
FIXED_RATE  # recovery.models.Pump.Kind
OTHER  # recovery.models.Pump.Drug
battery_replacement_due  # recovery.models.Pump, the API's and the enrollment form's pump field
triage_level  # recovery.models.PhoneRecord
triage_reasons  # recovery.models.PhoneRecord
triage_advice  # recovery.models.PhoneRecord
_.triage_level
_.triage_reasons
_.triage_advice
restrictions_followed  # recovery.models.CheckIn
BACK  # recovery.models.IncisionCheck.Site
REMINDER  # recovery.models.PatientMessage.Kind
merge_key  # recovery.models.AuditEvent, unique: merges repeated views
ADVISED_EMERGENCY_CARE  # recovery.models.Escalation.Outcome (shared/API.md 1.1, fixed)
CALLED_PATIENT  # recovery.models.Escalation.Outcome
CLINIC_VISIT_BOOKED  # recovery.models.Escalation.Outcome
ADVICE_SENT  # recovery.models.Escalation.Outcome
NO_ACTION_NEEDED  # recovery.models.Escalation.Outcome
CELSIUS  # recovery.models.CheckIn.TemperatureUnit ("C"), sent by phones; triage converts it
case_report  # tests.factories.EscalationFactory post-generation: links the opening report
emergency_contact_name  # recovery.models.Patient contact, also a serializer and form field
preferred_contact_time  # recovery.models.Patient contact, also a serializer and form field
read_at  # recovery.models.PatientMessage, set when the care team opens the thread

# Serializer and form fields: DRF and Django forms read declared fields by name.
child
phase_title
has_photo
sender_name
activation_expires_at
_.activation_expires_at  # set on the enrolled patient for EnrollmentSerializer
id
last_checkin
open_escalations_count
unread_messages_count
acknowledge_notes  # EscalationSerializer, every acknowledgement note of a case
enrolling_surgeon
field_order  # Django forms: the order fields are rendered in
filter_horizontal  # ModelAdmin option
_.widget  # a form field's widget, swapped for HiddenInput
recent_checkins
recent_incision_checks
recent_warning_reports
submission_id
pump_kind
pump_drug

# Chart dimensions read by recovery/templates/dashboard/_chart.html.
y_ticks
width
height
plot_right
left

# Named in settings (MIDDLEWARE, PUSH_DEVICE_OWNER_CHECK) or a celery option set in bench/.
RequestOriginMiddleware
DefaultTimeZoneMiddleware  # recovery.middleware, in MIDDLEWARE (settings.py)
DefaultLanguageMiddleware
may_own_devices
device_owner_language  # PUSH_DEVICE_OWNER_LANGUAGE
_.task_always_eager

# Issue 14: named in settings (MIDDLEWARE, AUTHENTICATION_BACKENDS, AXES_*, AUTH_PASSWORD_VALIDATORS,
# LOGGING, PUSH_DEVICE_TAKEOVER_CHECK), called by prometheus_client on scrape, or read by Django/DRF.
ScrubFilter
logging_config
configure_structlog
NoStoreMiddleware
init_sentry
is_api_request
client_str  # AXES_CLIENT_STR_CALLABLE
LockoutBackend
StaffTwoFactorMiddleware
process_view
NotBlankPasswordValidator
may_take_over_device
collect
describe
request_queue_size  # socketserver's listen backlog (the FCM stand-in)
_.num_requests  # DRF SimpleRateThrottle state
_.duration
_.confirmed  # django-otp device field
otp_token  # the two-factor form's field
_.first_name  # a test saves an unrelated field of a user
_.SECURE_SSL_REDIRECT  # pytest-django settings overrides
_.ALLOWED_HOSTS

# For pushes written in the patient's language (issue 13, in progress).
patient_language

# tests: the typed factory call (only for mypy); celery beat's producer, replaced by the recording scheduler.
__new__
producer

# The FCM sender and stand-in (issue 16): attributes read by requests, socketserver and http.server.
_._content  # requests.Response body, set on the error answer handed to the SDK's classification
_.encoding  # requests.Response
disable_nagle_algorithm  # socketserver.StreamRequestHandler option
request_queue_size  # socketserver.TCPServer listen backlog
accepted_per_token  # notifications.fcm_standin.FcmStandIn, for tests and benchmarks
# Bearer authentication (settings.REST_FRAMEWORK) and its OpenAPI scheme (found by drf-spectacular).
ProfileJWTAuthentication
ProfileJWTScheme
target_class
_.user_model
# Arguments of the connection.execute_wrapper signature (tests/test_operations.py).
params
many
# The pump over its life (issue 12): fields stored for the care team and read by the admin, templates
# or serializers; plan data kept with its source.
serial_number  # recovery.models.Pump, the API's pump field and the pump card
recorded_by  # recovery.models.PumpRefill / PumpDoseChange: who recorded it (refill history, admin)
previous_dose_unit  # recovery.models.PumpDoseChange: the dose before the change (admin)
closed_at  # recovery.models.RefillAlert: closed by a recorded refill (admin, safety net)
_.closed_at
reservoir_sizes_ml  # recovery.pump_models.PumpModel: the maker's reservoir sizes (reference data)
mri_before  # recovery.pump_models.PumpModel, shown on the pump card
mri_after  # recovery.pump_models.PumpModel, shown on the pump card
days_to_alarm  # recovery.refills.RefillSchedule: the floor-rounded day count the dates come from
refill_margin_short  # recovery.api.serializers.PumpSerializer: a short fill (read by DRF through Meta.fields)

# API contract (issue 15): named by settings strings or called by Django / DRF / drf-spectacular.
handler400  # backend.urls: Django's error handlers, JSON under /api/ (backend/api_errors.py)
handler403
handler404
handler500
not_found  # backend.api_errors, named by handler404
default_code  # recovery.api.errors.PayloadTooLarge, DRF's error code
PagePagination  # recovery.api.pagination, settings REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]
complete_schema  # recovery.api.schema, settings SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]

# Issue 10 (resilience): named in settings, or part of an interface used by the framework.
RedisCacheWithLocalFallback  # backend.cache, CACHES["default"]["BACKEND"] (settings.py)
touch  # backend.cache.RedisCacheWithLocalFallback: Django's cache API, each method falls back
has_key
incr
set_many
delete_many
DatabaseUnavailableMiddleware  # backend.middleware, in MIDDLEWARE (settings.py)
ApiNotFoundMiddleware  # backend.middleware, in MIDDLEWARE (settings.py)
process_exception  # Django's middleware hook
go_down  # notifications.fcm_standin.FcmStandIn: an FCM outage for tests (the HTTP control does the same)
come_back

# Celery: a celeryd_init receiver and the worker option it sets, a task_prerun/task_postrun receiver, a
# worker_process_init receiver (backend/celery.py).
patient_broker_timeouts_for_workers
database_connections_kept_between_tasks
push_sender_ready_before_the_first_task
_.broker_connection_timeout
expiry  # google.oauth2.credentials.Credentials.expiry, read by google-auth (tests/notifications/test_fcm_curl.py)
requestline  # notifications.fcm_standin: http.server.BaseHTTPRequestHandler reads it (log lines, error pages)

# notifications.online_schema: used by migrations (which vulture does not read) and by Django's migration writer.
OnPostgreSQLInstead
constraints_of
_.deconstruct
drop_plain_indexes
index_built_concurrently

# backend.logs: read by the traceback module (an exception's context not shown) and by logging.Formatter (a
# record's cached traceback text, cleared so the withheld one is formatted).
_.__suppress_context__
_.exc_text
# recovery.compiled_query.CompiledInsert: the attribute Django's SQLInsertCompiler.as_sql reads for RETURNING.
_.returning_fields
# recovery.dashboard.forms.PatientEditForm: read by Django's BoundField (renders the hidden "initial-" copy of what
# the page showed; changed_data compares with it).
_.show_hidden_initial
