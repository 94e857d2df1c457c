"""The FCM sender, on the real firebase-admin SDK (`messaging.send_each`, at most 500 per call).

One firebase app per process. With `settings.FCM_CREDENTIALS_FILE` empty it uses a static-token
credential meant for the local stand-in (notifications/fcm_standin.py).

The one seam: firebase-admin 7.x hard-codes `https://fcm.googleapis.com/v1/projects/{id}/messages:send`
in `_MessagingService._fcm_url` (an instance attribute set in its __init__). When
`settings.FCM_ENDPOINT` is set, `_point_service_at_endpoint` rewrites that attribute on the cached
service and mounts the same pooled, retrying HTTP adapter the SDK mounts for Google's host (its back-off
factor from `settings.FCM_RETRY_BACKOFF_FACTOR`). If an SDK
upgrade renames the attribute, sending raises `FcmSeamBroken` instead of reaching the internet, and
tests/notifications/test_fcm.py fails.
"""
from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import firebase_admin
import google.oauth2.credentials
import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from firebase_admin import _http_client, credentials, exceptions, messaging

logger = logging.getLogger(__name__)

MAX_BATCH = 500  # FCM's limit per send_each call
APP_NAME = "pump-recovery-push"
# Not a secret: the fixed token the local stand-in accepts (never sent to Google, see messaging_service).
STANDIN_ACCESS_TOKEN = "fcm-standin-static-token"  # noqa: S105
GOOGLE_FCM_PREFIX = "https://fcm.googleapis.com"

# Token errors: the token will never work again, so the device is disabled and nothing retried.
TOKEN_ERROR_CODES = {"UNREGISTERED", "INVALID_ARGUMENT", "SENDER_ID_MISMATCH"}

_app_lock = threading.Lock()
_app_pid: int | None = None


class FcmSeamBroken(RuntimeError):
    """firebase-admin no longer exposes the send URL this module redirects to FCM_ENDPOINT."""


class StaticTokenCredential(credentials.Base):
    """A credential with a fixed bearer token, for the local FCM stand-in (never for Google)."""

    def __init__(self, token: str = STANDIN_ACCESS_TOKEN) -> None:
        self._credential = google.oauth2.credentials.Credentials(token=token)

    def get_credential(self) -> google.oauth2.credentials.Credentials:
        return self._credential


@dataclass(frozen=True)
class PushMessage:
    token: str
    title: str
    body: str
    data: dict[str, str]


@dataclass(frozen=True)
class SendOutcome:
    """What FCM said about one message: a message id, or an error code and whether the token is dead."""

    message_id: str = ""
    error_code: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.message_id)

    @property
    def token_is_dead(self) -> bool:
        return self.error_code in TOKEN_ERROR_CODES


def get_app() -> firebase_admin.App:
    """The process's firebase app, created on first use (again after a fork, e.g. in a prefork worker)."""
    global _app_pid
    with _app_lock:
        if _app_pid != os.getpid():
            try:
                firebase_admin.delete_app(firebase_admin.get_app(APP_NAME))
            except ValueError:
                pass
            if settings.FCM_CREDENTIALS_FILE:
                credential: credentials.Base = credentials.Certificate(settings.FCM_CREDENTIALS_FILE)
            else:
                credential = StaticTokenCredential()
            firebase_admin.initialize_app(
                credential, {"projectId": settings.FCM_PROJECT_ID, "httpTimeout": 30}, name=APP_NAME
            )
            _app_pid = os.getpid()
        return firebase_admin.get_app(APP_NAME)


def send_url(endpoint: str, project_id: str) -> str:
    return f"{endpoint.rstrip('/')}/v1/projects/{project_id}/messages:send"


def _point_service_at_endpoint(service: messaging._MessagingService, app: firebase_admin.App) -> None:
    """Redirect the SDK's send URL to settings.FCM_ENDPOINT (the documented seam, see module docstring)."""
    current = getattr(service, "_fcm_url", None)
    if not isinstance(current, str):
        raise FcmSeamBroken(
            "firebase_admin.messaging._MessagingService has no _fcm_url any more; "
            "update notifications/fcm.py before pointing the SDK at FCM_ENDPOINT."
        )
    endpoint = settings.FCM_ENDPOINT.rstrip("/")
    wanted = send_url(endpoint, app.project_id)
    if current != wanted:
        service._fcm_url = wanted
        retry = _http_client.DEFAULT_RETRY_CONFIG.new(backoff_factor=settings.FCM_RETRY_BACKOFF_FACTOR)
        adapter = requests.adapters.HTTPAdapter(pool_connections=100, pool_maxsize=100, max_retries=retry)
        service._client.session.mount(endpoint, adapter)


def messaging_service() -> messaging._MessagingService:
    """The SDK's messaging service for our app, pointed at FCM_ENDPOINT when one is set."""
    if not settings.FCM_ENDPOINT and not settings.FCM_CREDENTIALS_FILE:
        # The static-token credential only works with the stand-in: never send it to Google.
        raise ImproperlyConfigured("Set FCM_CREDENTIALS_FILE (Google) or FCM_ENDPOINT (the local stand-in).")
    app = get_app()
    service = messaging._get_messaging_service(app)
    if settings.FCM_ENDPOINT:
        _point_service_at_endpoint(service, app)
    elif not getattr(service, "_fcm_url", "").startswith(GOOGLE_FCM_PREFIX):
        raise FcmSeamBroken("FCM_ENDPOINT is empty but the SDK is not pointed at Google.")
    return service


def build_message(push: PushMessage) -> messaging.Message:
    """A notification message with a neutral title/body and string-only data (FCM requires strings).

    The app contract registers FCM registration tokens, which firebase-admin 7.7 still sends as
    `message.token` but flags as deprecated in favour of installation ids (`fid`), a different
    identifier the phone app does not send; the warning is silenced here until the app changes.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Message.token is deprecated", category=DeprecationWarning)
        return _message(push)


def _message(push: PushMessage) -> messaging.Message:
    return messaging.Message(
        token=push.token,
        notification=messaging.Notification(title=push.title, body=push.body),
        data={key: str(value) for key, value in push.data.items()},
        android=messaging.AndroidConfig(priority="high"),
        apns=messaging.APNSConfig(headers={"apns-priority": "10"}),
    )


def error_code_of(exc: Exception | None) -> str:
    """The FCM error code (UNREGISTERED, UNAVAILABLE, ...) of an SDK exception."""
    if isinstance(exc, messaging.UnregisteredError):
        return "UNREGISTERED"
    if isinstance(exc, messaging.SenderIdMismatchError):
        return "SENDER_ID_MISMATCH"
    if isinstance(exc, messaging.QuotaExceededError):
        return "QUOTA_EXCEEDED"
    if isinstance(exc, messaging.ThirdPartyAuthError):
        return "THIRD_PARTY_AUTH_ERROR"
    if isinstance(exc, exceptions.FirebaseError):
        return str(exc.code)  # e.g. INVALID_ARGUMENT, UNAVAILABLE, INTERNAL, UNKNOWN
    return "UNKNOWN"


def send_batch(pushes: Iterable[PushMessage]) -> list[SendOutcome]:
    """Send up to MAX_BATCH messages with one `send_each`; one outcome per message, in order."""
    messages = [build_message(push) for push in pushes]
    if not messages:
        return []
    if len(messages) > MAX_BATCH:
        raise ValueError(f"At most {MAX_BATCH} messages per batch.")
    service = messaging_service()
    try:
        response = service.send_each(messages)
    except exceptions.FirebaseError as exc:  # the whole call failed (e.g. thread pool error)
        logger.warning("FCM send_each failed for a batch of %d: %s", len(messages), exc)
        return [SendOutcome(error_code=error_code_of(exc), error=str(exc)[:500]) for _ in messages]
    return [
        SendOutcome(message_id=result.message_id)
        if result.success
        else SendOutcome(error_code=error_code_of(result.exception), error=str(result.exception)[:500])
        for result in response.responses
    ]
