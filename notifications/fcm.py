"""The FCM sender, on the real firebase-admin SDK: one HTTP v1 request per message, at most 500 per batch.

How a batch is sent (bench/README.md has the numbers): the SDK's `send_each` starts a fresh pool of up
to 500 threads per call, which was most of the sending process's CPU. `send_batch` does per message
exactly what `send_each` does (the SDK's own message encoding, its authorized session with the
credential's token refresh, its retrying keep-alive connection pool, its FCM error classification),
but from persistent threads (`settings.FCM_SEND_THREADS`, one pool per process, rebuilt after a fork)
over a urllib3 keep-alive pool instead of requests (KeepAliveSender). `send_each` and `send_each_async`
stay in the benchmark for comparison.

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

import json
import logging
import os
import threading
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import firebase_admin
import google.auth.transport.urllib3
import google.oauth2.credentials
import requests
import urllib3
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from firebase_admin import _http_client, credentials, exceptions, messaging

from notifications.push_categories import PushCategory, presentation_of

logger = logging.getLogger(__name__)

MAX_BATCH = 500  # FCM's limit per send_each call
APP_NAME = "pump-recovery-push"
# Not a secret: the fixed token the local stand-in accepts (never sent to Google, see messaging_service).
STANDIN_ACCESS_TOKEN = "fcm-standin-static-token"  # noqa: S105
GOOGLE_FCM_PREFIX = "https://fcm.googleapis.com"

# The registration token is gone for good (app uninstalled, token expired): the device is disabled.
# INVALID_ARGUMENT disables it only when FCM's details say the token is what is invalid (see
# `token_is_invalid`); SENDER_ID_MISMATCH is our configuration (wrong project), not the phone's.
UNREGISTERED = "UNREGISTERED"
INVALID_ARGUMENT = "INVALID_ARGUMENT"

_app_lock = threading.Lock()
_app_pid: int | None = None
_sender: KeepAliveSender | None = None


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
    category: str = PushCategory.MESSAGE  # notifications.push_categories: channel, priority, collapsing
    expires_at: datetime | None = None  # sent as the TTL left; None: FCM's maximum (4 weeks)


@dataclass(frozen=True)
class SendOutcome:
    """What FCM said about one message: a message id, or an error code and whether the token is dead."""

    message_id: str = ""
    error_code: str = ""
    error: str = ""
    token_invalid: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.message_id)

    @property
    def token_is_dead(self) -> bool:
        return self.token_invalid


def get_app() -> firebase_admin.App:
    """The process's firebase app, created on first use (again after a fork, e.g. in a prefork worker)."""
    global _app_pid
    with _app_lock:
        if _app_pid != os.getpid():
            try:
                firebase_admin.delete_app(firebase_admin.get_app(APP_NAME))
            except ValueError:
                pass
            global _sender
            _sender = None  # its threads did not survive the fork
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
    """The message JSON of one push, presented as its category says (notifications.push_categories)."""
    look = presentation_of(push.category)
    kind = str(push.data.get("kind", ""))
    ttl = None
    if push.expires_at is not None:
        ttl = max(push.expires_at - datetime.now(tz=UTC), timedelta(seconds=1))
    collapse_key = kind if look.collapse and kind else None
    apns_headers = {"apns-priority": look.apns_priority, "apns-push-type": "alert"}
    if push.expires_at is not None:
        apns_headers["apns-expiration"] = str(int(push.expires_at.timestamp()))
    if collapse_key:
        apns_headers["apns-collapse-id"] = collapse_key
    return messaging.Message(
        token=push.token,
        notification=messaging.Notification(title=push.title, body=push.body),
        data={key: str(value) for key, value in push.data.items()},
        android=messaging.AndroidConfig(
            priority=look.android_priority, ttl=ttl, collapse_key=collapse_key,
            notification=messaging.AndroidNotification(channel_id=look.android_channel_id),
        ),
        apns=messaging.APNSConfig(
            headers=apns_headers,
            payload=messaging.APNSPayload(aps=messaging.Aps(
                sound="default", custom_data={"interruption-level": look.interruption_level},
            )),
        ),
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


class KeepAliveSender:
    """Sends each message as its own FCM v1 request, as `_MessagingService.send_each` does, from
    persistent threads over keep-alive connections.

    Kept from the SDK: the message JSON (`_message_data`, i.e. its MessageEncoder), the URL and headers,
    the credential (google-auth's AuthorizedHttp applies its token, refreshes it before expiry and on a
    401), the retry policy (`_http_client.DEFAULT_RETRY_CONFIG`: 500/503 retried with backoff, the
    back-off factor from settings.FCM_RETRY_BACKOFF_FACTOR as for the SDK's adapter) and the
    error classification (`_handle_fcm_error`, given the same requests exception the SDK would raise).
    Replaced: requests' per-call session machinery (environment proxy lookups, hooks, cookie merging:
    about half the CPU of a send) by a urllib3 pool, and 500 new threads per batch by a fixed pool.
    """

    def __init__(self, service: messaging._MessagingService, threads: int) -> None:
        self._service = service
        self._url = service._fcm_url
        self._headers = {"Content-Type": "application/json", **service._fcm_headers, **_http_client.METRICS_HEADERS}
        self._timeout = service._client.timeout
        retry = _http_client.DEFAULT_RETRY_CONFIG.new(backoff_factor=settings.FCM_RETRY_BACKOFF_FACTOR)
        pool = urllib3.PoolManager(maxsize=threads, block=False, retries=retry)
        self._http = google.auth.transport.urllib3.AuthorizedHttp(service._credential, http=pool)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fcm-send")

    def _send_one(self, data: dict) -> messaging.SendResponse:
        try:
            response = self._http.request("POST", self._url, body=json.dumps(data, allow_nan=False).encode(),
                                          headers=self._headers, timeout=self._timeout)
        except urllib3.exceptions.HTTPError as exc:
            error = _as_requests_error(exc)
            return messaging.SendResponse(resp=None, exception=self._service._handle_fcm_error(error))
        if 200 <= response.status < 300:
            return messaging.SendResponse(json.loads(response.data), exception=None)
        error = _as_requests_error(response)
        return messaging.SendResponse(resp=None, exception=self._service._handle_fcm_error(error))

    def send_each(self, messages: list[messaging.Message]) -> messaging.BatchResponse:
        payloads = [self._service._message_data(message, False) for message in messages]
        try:
            return messaging.BatchResponse(list(self._executor.map(self._send_one, payloads)))
        except Exception as error:  # as send_each: anything but a per-message HTTP error fails the call
            raise exceptions.UnknownError(message=f"Unknown error while making remote service calls: {error}",
                                          cause=error) from error

    def close(self) -> None:
        self._executor.shutdown(wait=False)
        self._http.http.clear()


def _as_requests_error(failure: urllib3.BaseHTTPResponse | urllib3.exceptions.HTTPError) -> requests.RequestException:
    """The requests exception the SDK's own transport would raise for this answer or transport failure,
    so that the SDK classifies it (firebase_admin._utils.handle_platform_error_from_requests)."""
    if isinstance(failure, urllib3.exceptions.HTTPError):
        if isinstance(failure, (urllib3.exceptions.TimeoutError, urllib3.exceptions.ConnectTimeoutError)):
            return requests.exceptions.Timeout(str(failure))
        return requests.exceptions.ConnectionError(str(failure))
    response = requests.Response()
    response.status_code = failure.status
    response._content = failure.data
    response.headers.update(failure.headers)
    response.encoding = "utf-8"
    return requests.exceptions.HTTPError(f"{failure.status} error from FCM", response=response)


def keep_alive_sender() -> KeepAliveSender:
    """This process's sender on the (endpoint-adjusted) messaging service, created on first use."""
    global _sender
    service = messaging_service()
    with _app_lock:
        if _sender is None or _sender._service is not service or _sender._url != service._fcm_url:
            if _sender is not None:
                _sender.close()
            _sender = KeepAliveSender(service, settings.FCM_SEND_THREADS)
        return _sender


def error_details(exc: Exception | None) -> dict:
    """The `error` object of FCM's JSON answer behind an SDK exception ({} if there is none)."""
    response = getattr(exc, "http_response", None)
    if response is None:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def token_is_invalid(error_code: str, error: dict) -> bool:
    """Whether FCM says the registration token itself will never work: UNREGISTERED, or an
    INVALID_ARGUMENT whose details name the token (a BadRequest field violation on `message.token`,
    or FCM's message "The registration token is not a valid FCM registration token").

    Any other INVALID_ARGUMENT is a fault in the message we built; the device is fine.
    """
    if error_code == UNREGISTERED:
        return True
    if error_code != INVALID_ARGUMENT:
        return False
    for detail in error.get("details") or []:
        if not isinstance(detail, dict):
            continue
        for violation in detail.get("fieldViolations") or []:
            if isinstance(violation, dict) and violation.get("field") in ("message.token", "token"):
                return True
    return "registration token" in str(error.get("message", "")).lower()


def outcome_of_error(exc: Exception | None) -> SendOutcome:
    """Classify a failed send as FCM documents its errors; a message bug is logged, not blamed on the token."""
    code = error_code_of(exc)
    error = error_details(exc)
    token_invalid = token_is_invalid(code, error)
    if code == INVALID_ARGUMENT and not token_invalid:
        logger.error("FCM rejected a message as malformed (a bug in the message, not a dead token): %s",
                     str(error.get("message") or exc)[:300])
    elif code == "SENDER_ID_MISMATCH":
        logger.error("FCM answered SENDER_ID_MISMATCH: check FCM_PROJECT_ID and FCM_CREDENTIALS_FILE")
    return SendOutcome(error_code=code, error=str(exc)[:500], token_invalid=token_invalid)


def send_batch(pushes: Iterable[PushMessage]) -> list[SendOutcome]:
    """Send up to MAX_BATCH messages, one request each on the keep-alive sender; one outcome per
    message, in order."""
    messages = [build_message(push) for push in pushes]
    if not messages:
        return []
    if len(messages) > MAX_BATCH:
        raise ValueError(f"At most {MAX_BATCH} messages per batch.")
    sender = keep_alive_sender()
    try:
        response = sender.send_each(messages)
    except exceptions.FirebaseError as exc:  # the whole call failed (e.g. the credential refresh)
        logger.warning("FCM send failed for a batch of %d: %s", len(messages), exc)
        return [SendOutcome(error_code=error_code_of(exc), error=str(exc)[:500]) for _ in messages]
    return [
        SendOutcome(message_id=result.message_id)
        if result.success
        else outcome_of_error(result.exception)
        for result in response.responses
    ]
