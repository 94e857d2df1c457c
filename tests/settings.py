"""The production settings with what a test run on plain http needs changed, and nothing more."""
import tempfile
from pathlib import Path

from backend.settings import *  # noqa: F401,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Hashing strength is not under test; a fast hasher keeps the suite quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The SDK still retries 503s against the FCM stand-in, without sleeping 0.5, 1, 2 and 4 s in between.
FCM_RETRY_BACKOFF_FACTOR = 0
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="pump-test-media-"))
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="pump-test-static-"))
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
# Staff two-factor is on in production (STAFF_TWO_FACTOR_REQUIRED defaults to "not DEBUG"); the
# dashboard and admin tests log in with force_login, so the suite turns it off, and the tests of
# the second factor (tests/test_staff_login.py) turn it back on.
STAFF_TWO_FACTOR_REQUIRED = False
# The schema and Swagger UI tests read /api/docs/ anonymously; tests/test_operations.py checks that
# production settings put them behind a staff login.
API_DOCS_PUBLIC = True
