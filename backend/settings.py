"""Settings come from environment variables (django-environ) with safe local defaults.

`DEBUG` is off unless asked for; the database defaults to an embedded SQLite file so that
`make run` needs no server; production sets DATABASE_URL to PostgreSQL.
"""
import logging
import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Queue

from backend.cache import with_redis_timeouts
from backend.logs import configure_structlog, logging_config
from backend.postgres_options import hung_server_options, server_settings
from backend.sentry import init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The fallback key is only for local runs; production must set DJANGO_SECRET_KEY (check --deploy says so).
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-local-only-change-me")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_prometheus",
    "django_structlog",
    "backend",  # connection hooks only (backend/apps.py)
    "recovery",
    "notifications",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "backend.middleware.NoStoreMiddleware",
    # Session, login and flash messages are Django's, skipped for the bearer-token API under /api/v1/
    # (backend.middleware.BrowserOnly). CSRF stays Django's own: `check --deploy` looks for it by name, and
    # for a request without the cookie it costs next to nothing.
    "backend.middleware.SessionMiddleware",
    # Django's, but a write under /api/ missing its trailing slash is a 404, not a redirect that loses its body.
    "backend.middleware.CommonMiddleware",
    # Inside CommonMiddleware (its trailing-slash redirect of a GET still runs): JSON 404 under /api/ also in DEBUG.
    "backend.middleware.ApiNotFoundMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "backend.middleware.AuthenticationMiddleware",
    "recovery.middleware.RequestOriginMiddleware",
    # Around every view and its template's rendering: no request leaves its time zone to the next one.
    "recovery.middleware.DefaultTimeZoneMiddleware",
    "recovery.i18n.DefaultLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "recovery.staff_auth.StaffTwoFactorMiddleware",
    "backend.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "backend.middleware.ContentSecurityPolicyMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    # After the request logger, so a view's database failure is answered 503 (not 500, not logged with
    # its SQL) before the outer middlewares' process_exception see it.
    "backend.middleware.DatabaseUnavailableMiddleware",
    # Last but Prometheus' own: turns a lockout of the dashboard or admin login into a 429 page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` has web, worker and beat writing one SQLite file: wait for the lock instead of failing
    # with "database is locked", take the write lock up front (no deadlock on upgrade), and let readers
    # proceed during a write (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that needs no round trip while the server has said nothing
    # (backend/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "backend.postgresql"
    # An unreachable server fails the request in seconds (503, backend/middleware.py), not minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3)
    )
    # Statements stay bound on the client (Django's default: no limit on the number of parameters, e.g. the
    # nightly prune's cascades), except the few run on every API request through
    # recovery/compiled_query.server_prepared_cursor and a phone report's INSERT (CompiledInsert): a
    # connection that has run one of those 5 times (psycopg's
    # threshold) keeps it prepared, so PostgreSQL stops parsing and planning it (the bearer-token user join
    # alone was 0.15 ms of planning per request; bench/README.md, "API, third pass"). A migration changing a
    # column's type under a prepared statement is handled in backend/database.py. Behind PgBouncer in
    # transaction mode this needs its prepared-statement support (max_prepared_statements), or
    # DATABASE_PREPARE_THRESHOLD= (empty: never prepare).
    _prepare_threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5").strip()
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = int(_prepare_threshold) if _prepare_threshold else None
    # A server that stops answering on an open connection, and a statement stuck on a lock or an overloaded
    # server in a web process: errors in seconds (503), not requests hanging until gunicorn kills the worker.
    DATABASES["default"]["OPTIONS"].update(hung_server_options(
        DATABASES["default"]["OPTIONS"],
        tcp_user_timeout_ms=env.int("DATABASE_TCP_USER_TIMEOUT_MS", default=10_000),
        statement_timeout_ms=env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=0),
    ))
    # No JIT compilation: PostgreSQL compiles a statement whose estimated cost passes jit_above_cost, which took
    # 14-18 ms for the reminder dispatch's batch of 500 patients that runs in 4 (its per-patient probes are costed
    # at a seek each); no statement of this product runs long enough to win it back. DATABASE_URL's options win.
    DATABASES["default"]["OPTIONS"].update(server_settings(DATABASES["default"]["OPTIONS"], {"jit": "off"}))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "recovery.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "recovery.password_validation.NotBlankPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes: refuses a locked-out dashboard or admin login before the password is checked.
    "recovery.staff_auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:inbox"
LOGOUT_REDIRECT_URL = "dashboard:login"

# Staff pages are English; each patient's texts are in their own language (Patient.language).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Incision photos are health data: stored outside any public URL, served only through
# permission-checked views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Seconds a Redis command (cache or broker hand-off) may take before the request stops waiting for it.
REDIS_REQUEST_TIMEOUT = env.float("REDIS_REQUEST_TIMEOUT", default=0.25)
# A Redis cache answers from process-local memory while Redis is unreachable (backend/cache.py).
CACHES = {
    "default": with_redis_timeouts(env.cache("CACHE_URL", default="locmemcache://"), REDIS_REQUEST_TIMEOUT),
    # Rendered API inbox pages under a digest of what they show (recovery/api/inbox_pages.py): this process's
    # memory, at most INBOX_PAGES_KEPT pages of about 30-60 kB each, each for at most INBOX_PAGE_SECONDS (the
    # bound for what the digest does not cover: staff names, a report's text edited in the admin).
    "inbox_pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "inbox-pages",
                    "TIMEOUT": env.int("INBOX_PAGE_SECONDS", default=60),
                    "OPTIONS": {"MAX_ENTRIES": env.int("INBOX_PAGES_KEPT", default=200)}},
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Flash messages live in the server-side session, not in a cookie (Django's default keeps them in a signed but
# readable one): the dashboard's may name a patient.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 3600)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# Accepted `check --deploy` warnings (README.md, "check --deploy"). W021: HSTS preloading commits the
# whole domain and its subdomains to https in browsers for months; that is the domain owner's call,
# made with DJANGO_SECURE_HSTS_PRELOAD=true, not a default of this app.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers probe these over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
NUM_PROXIES = env.int("DJANGO_NUM_PROXIES", default=0)

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, no inline
# code, so injected markup cannot run. The API docs page relaxes it (backend/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Staff logins: lockout (django-axes) and two-factor (django-otp) -------------------------
# Dashboard and admin logins: after AXES_FAILURE_LIMIT wrong passwords for one username from one
# client address, that pair is refused for AXES_COOLOFF_MINUTES (or until unlocked with
# `manage.py axes_reset_username NAME` or in the admin, "Access attempts"). API logins are not
# counted here: they have their own per-purpose throttles (recovery/api/throttling.py).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "recovery.staff_auth.client_ip"
AXES_WHITELIST_CALLABLE = "recovery.staff_auth.is_api_request"
AXES_CLIENT_STR_CALLABLE = "recovery.staff_auth.client_str"  # its log lines name no API login (patients)
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "token"]
AXES_HTTP_RESPONSE_CODE = 429
# Surgeons and admins (everyone but patients) must pass a TOTP code or a recovery code after their
# password before any dashboard or admin page (recovery/staff_auth.py). On unless DEBUG.
STAFF_TWO_FACTOR_REQUIRED = env.bool("STAFF_TWO_FACTOR_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Pump recovery")

FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
INCISION_PHOTO_MAX_BYTES = env.int("INCISION_PHOTO_MAX_BYTES", default=8 * 1024 * 1024)
# Checked from the image header before any pixel is decoded (recovery/api/fields.py). 25 megapixels holds
# the 24 MP default of current phone cameras; Pillow's own bomb limit is 89.5 MP (a 358 MB decode).
INCISION_PHOTO_MAX_PIXELS = env.int("INCISION_PHOTO_MAX_PIXELS", default=25_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = INCISION_PHOTO_MAX_BYTES + 1024 * 1024

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt's, loading the patient or surgeon profile in the same query (recovery/api/authentication.py)
        "recovery.api.authentication.ProfileJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in and out (shared/API.md); the incision-check photo upload adds multipart on its own view.
    "DEFAULT_PARSER_CLASSES": ["recovery.api.parsers.JSONParser"],  # size- and depth-bounded
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "recovery.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        # One bucket per purpose (recovery/api/throttling.py): wrong logins from a shared hospital
        # Wi-Fi do not hold back anyone's token refresh, and one user's typos do not lock out another.
        "login_username": env.str("THROTTLE_LOGIN_USERNAME_RATE", default="10/min"),
        "login_ip": env.str("THROTTLE_LOGIN_IP_RATE", default="60/min"),
        "refresh_token": env.str("THROTTLE_REFRESH_TOKEN_RATE", default="10/min"),
        "activation_code": env.str("THROTTLE_ACTIVATION_CODE_RATE", default="10/hour"),
        "activation_ip": env.str("THROTTLE_ACTIVATION_IP_RATE", default="30/min"),
        "logout_ip": env.str("THROTTLE_LOGOUT_IP_RATE", default="60/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "recovery.api.exceptions.exception_handler",
    # How many reverse proxies sit in front of the app: only then is X-Forwarded-For trusted for
    # rate limiting (a client can write that header itself).
    "NUM_PROXIES": NUM_PROXIES,
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a digest of the password hash: a password change revokes every earlier access
    # token at once; refresh tokens are also blacklisted then (recovery/services/sessions.py, recovery/signals.py).
    "CHECK_REVOKE_TOKEN": True,
    "CHECK_USER_IS_ACTIVE": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pump recovery API",
    "DESCRIPTION": "Companion app and surgeon dashboard contract (shared/API.md).",
    "VERSION": "1.0.0",
    "LICENSE": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
    # Paths are relative to wherever the API is served.
    "SERVERS": [{"url": "/", "description": "The server this schema was fetched from."}],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1: a nullable object is `oneOf: [ref, null]`, which generated clients and validators read alike.
    "OAS_VERSION": "3.1.0",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "recovery.api.schema.complete_schema",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TriageLevelEnum": "recovery.models.TriageLevel",
        "PumpKindEnum": "recovery.models.Pump.Kind",
        "PumpDrugEnum": "recovery.models.Pump.Drug",
        "MessageKindEnum": "recovery.models.PatientMessage.Kind",
        "MilestoneStatusEnum": "recovery.models.Milestone.Status",
        "ReportTypeEnum": "recovery.api.serializers.REPORT_TYPES",
    },
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Processes of a worker started without --concurrency (the bulk worker of docker-compose and `make run`): one per
# core this process may run on, and one more. A fan-out batch spends part of its time waiting on PostgreSQL and on
# FCM, and with one process per core the cores were idle a tenth of the time once the dispatch was done (3 processes
# on 2 cores: 8,162 prompts/s against 7,443 with 2 and 7,297 with 4, bench/README.md "Eighth pass").
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=len(os.sched_getaffinity(0)) + 1)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Celery's Django fix-up closes a worker's database connections before and after every task unless this is
# set, and then only once every this many tasks. A worker process keeps its connection by CONN_MAX_AGE and
# health checks instead, as a web process does (backend/celery.py); this only adds a reconnect per 1000 tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a request when Redis is down or hung: the outbox row is already stored
# and the periodic sweep sends it later (DESIGN.md, "How data flows"). Short connect and socket
# timeouts bound the hand-off after commit;
# notifications/handoff.py then skips the broker for a few seconds so later requests do not wait at all.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_REQUEST_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 0, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2,
    "socket_connect_timeout": REDIS_REQUEST_TIMEOUT, "socket_timeout": REDIS_REQUEST_TIMEOUT,
}
# Those timeouts are for processes that answer people (web). A worker is different: a Redis read that takes
# longer than 0.25 s on a busy machine (a 100,000-patient fan-out beside it) must not cost it the ack of the
# task it just ran or its consumer connection; backend/celery.py gives worker processes these instead.
WORKER_BROKER_CONNECTION_TIMEOUT = env.float("WORKER_REDIS_CONNECT_TIMEOUT", default=5.0)
WORKER_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "max_retries": 3, "interval_start": 0, "interval_step": 1, "interval_max": 2,
    "socket_connect_timeout": WORKER_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": env.float("WORKER_REDIS_SOCKET_TIMEOUT", default=10.0),
}
# No publish retry: against a hung Redis each retry waits the socket timeout again. A publish that
# fails (even on a pooled connection a restarted Redis closed) leaves its rows to the sweep.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Two queues (notifications/queues.py): "urgent" for escalations and the care team's messages, served by
# workers that take nothing else; "bulk" for the daily prompts and reminders. A worker started without
# -Q consumes both (tests, a one-process setup); deployments start one of each (docker-compose.yml).
CELERY_TASK_QUEUES = (Queue("urgent"), Queue("bulk"))
CELERY_TASK_DEFAULT_QUEUE = "bulk"  # anything unrouted must not take an urgent worker's time
CELERY_TASK_ROUTES = {
    "notifications.tasks.deliver_urgent_notifications": {"queue": "urgent"},
    "notifications.tasks.deliver_notifications": {"queue": "urgent"},
    "notifications.tasks.sweep_outbox": {"queue": "urgent"},
    "notifications.tasks.sweep_urgent_outbox": {"queue": "urgent"},
    "recovery.tasks.pass_on_overdue_escalations": {"queue": "urgent"},
    # Raises missed pump refills to the care team (escalations): never waits behind the daily fan-out.
    "recovery.tasks.run_refill_safety_net": {"queue": "urgent"},
    "notifications.tasks.deliver_bulk_notifications": {"queue": "bulk"},
    "notifications.tasks.sweep_bulk_outbox": {"queue": "bulk"},
    "recovery.tasks.dispatch_reminders": {"queue": "bulk"},
    "recovery.tasks.dispatch_zone_reminders": {"queue": "bulk"},
    "recovery.tasks.prune_expired_data": {"queue": "bulk"},
}
CELERY_TIMEZONE = "UTC"
# Periodic tasks (recovery/tasks.py, notifications/tasks.py). The DatabaseScheduler copies these entries
# into django_celery_beat's PeriodicTask table when beat starts (updating the task of an entry of the
# same name), so they can be inspected in the admin.
URGENT_SWEEP_SECONDS = env.int("URGENT_SWEEP_SECONDS", default=10)
CELERY_BEAT_SCHEDULE = {
    "dispatch-reminders": {"task": "recovery.tasks.dispatch_reminders", "schedule": 60.0},
    "pass-on-overdue-escalations": {"task": "recovery.tasks.pass_on_overdue_escalations", "schedule": 60.0},
    "sweep-outbox": {"task": "notifications.tasks.sweep_outbox", "schedule": 60.0},
    # Between the full sweeps: urgent rows a failed hand-off left due (notifications.tasks.sweep_urgent_outbox).
    # Whole seconds (django_celery_beat stores intervals so); a sweep not started within its interval expires
    # instead of piling up ahead of the escalation pushes while the urgent workers are down.
    "sweep-urgent-outbox": {"task": "notifications.tasks.sweep_urgent_outbox", "schedule": float(URGENT_SWEEP_SECONDS),
                            # expire_seconds: django_celery_beat's name for it; expires: Celery's own scheduler's
                            "options": {"expire_seconds": URGENT_SWEEP_SECONDS, "expires": URGENT_SWEEP_SECONDS}},
    "prune-expired-data": {"task": "recovery.tasks.prune_expired_data", "schedule": crontab(hour=3, minute=17)},
    "refill-safety-net": {"task": "recovery.tasks.run_refill_safety_net", "schedule": 60.0},
}
# `manage.py run_periodic_jobs` runs each of these once by hand (recovery/periodic.py names the same keys).

# --- Product rules --------------------------------------------------------------------------
ACTIVATION_CODE_TTL = timedelta(days=env.int("ACTIVATION_CODE_TTL_DAYS", default=14))
ESCALATION_ACK_DEADLINES = {
    "emergency": timedelta(minutes=env.int("ESCALATION_EMERGENCY_ACK_MINUTES", default=15)),
    "urgent": timedelta(minutes=env.int("ESCALATION_URGENT_ACK_MINUTES", default=120)),
}
# Usernames of surgeons who receive escalations nobody else acknowledged (after the backup).
ON_CALL_SURGEONS = env.list("ON_CALL_SURGEONS", default=[])
# Reminders due in the patient's night wait for the morning (local time; escalation pushes are never
# held). Empty REMINDER_QUIET_START turns the quiet hours off.
REMINDER_QUIET_START = env.str("REMINDER_QUIET_START", default="21:00")
REMINDER_QUIET_END = env.str("REMINDER_QUIET_END", default="08:00")
# Views of the same page of one patient by one person within this window (fixed slots) are one audit
# row, so a page polled every 15 s does not write a row per poll. 0 keeps every view.
AUDIT_VIEW_MERGE_WINDOW = timedelta(minutes=env.int("AUDIT_VIEW_MERGE_MINUTES", default=10))
# The clinic's zone: every time the dashboard shows staff is in it, labelled (dates of what a patient
# did are in the patient's own zone, labelled with it).
CLINIC_TIME_ZONE = env.str("CLINIC_TIME_ZONE", default="America/New_York")
# Region a phone number typed without +country code is read in (recovery/phones.py), ISO 3166-1.
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="US")
# Who may register push tokens: notifications asks this function (it knows nothing of roles).
PUSH_DEVICE_OWNER_CHECK = "recovery.access.may_own_devices"
# The language the device API answers a user in (a patient's own; None: the default), asked the same way.
PUSH_DEVICE_OWNER_LANGUAGE = "recovery.i18n.device_owner_language"
# Whether a push token registered by one user may move to another (notifications/services/devices.py).
PUSH_DEVICE_TAKEOVER_CHECK = "recovery.access.may_take_over_device"

# --- Push notifications (notifications/fcm.py) ----------------------------------------------
FCM_PROJECT_ID = env.str("FCM_PROJECT_ID", default="pump-recovery-local")
# Path to a Google service-account JSON; empty means the static-token credential used with the
# local FCM stand-in (notifications/fcm_standin.py).
FCM_CREDENTIALS_FILE = env.str("FCM_CREDENTIALS_FILE", default="")
# Base URL of the FCM HTTP v1 API. Empty: Google's. `make run` and the tests point it at the
# local stand-in (python -m notifications.fcm_standin), e.g. http://127.0.0.1:8765.
FCM_ENDPOINT = env.str("FCM_ENDPOINT", default="")
# Back-off factor of the SDK's retries (urllib3) on FCM_ENDPOINT: 0.5 is firebase-admin's own.
FCM_RETRY_BACKOFF_FACTOR = 0.5
# Parallel FCM requests per process (notifications/fcm.py: libcurl transfers on keep-alive connections;
# also the threads of the urllib3 path that sends retries).
FCM_SEND_THREADS = env.int("FCM_SEND_THREADS", default=16)

# --- Logs, errors, metrics (backend/logs.py, backend/sentry.py, backend/metrics.py) ----------
# One JSON line per event with the request id; query strings and push tokens scrubbed.
LOGGING = logging_config(env.str("LOG_LEVEL", default="INFO"), json=env.bool("LOG_JSON", default=True))
configure_structlog()
# The client address is bound by recovery.middleware.RequestOriginMiddleware (trusted proxies only).
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
# One line per request from Django (request_finished: status, request id, user, address) besides gunicorn's
# access line (duration); request_started repeated it (with the user agent) and shows at LOG_LEVEL=DEBUG.
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# The worker logs through LOGGING above (JSON, scrubbed), not Celery's own plain-text root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Optional Sentry: on when SENTRY_DSN is set; never sends request bodies, cookies, query strings or users.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
init_sentry(SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"),
            traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0))
# /metrics answers a request with `Authorization: Bearer <METRICS_TOKEN>`; without a token set, only
# requests from the machine itself (loopback REMOTE_ADDR, e.g. a Prometheus sidecar).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
PROMETHEUS_EXPORT_MIGRATIONS = False

# --- Operations ------------------------------------------------------------------------------
# /api/docs/ and /api/schema/: public in DEBUG, otherwise only for a logged-in staff member.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=DEBUG)
# Sent (or failed for good) outbox rows older than this are deleted by the nightly retention job;
# audit events are never deleted by it.
OUTBOX_RETENTION = timedelta(days=env.int("OUTBOX_RETENTION_DAYS", default=30))
HEALTHZ_BROKER_TIMEOUT = env.float("HEALTHZ_BROKER_TIMEOUT_SECONDS", default=2.0)
