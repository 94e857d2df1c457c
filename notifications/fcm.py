"""The FCM sender, on the real firebase-admin SDK: one HTTP v1 request per message, at most 500 per batch.

How a batch is sent (bench/README.md has the numbers): the SDK's `send_each` starts a fresh pool of up
to 500 threads per call and sends through requests, which was most of the sending process's CPU.
`send_batch` does per message exactly what `send_each` does (the SDK's own message encoding, done once
per distinct content with each token put in: `encode_bodies`; the URL and headers, the credential's
token and its refresh, the SDK's retry policy, its FCM error classification), on libcurl (CurlSender):
one multi handle per process (rebuilt after a fork) drives up to `settings.FCM_SEND_THREADS` transfers
at once from the calling thread over reused keep-alive connections, HTTP/2-multiplexed to Google.
A message whose first attempt needs another one (500/503, a transport failure, a 401) goes on to the
urllib3 path (KeepAliveSender: persistent threads, urllib3 keep-alive pool, google-auth's
AuthorizedHttp), which applies the rest of the SDK's retry policy. KeepAliveSender, `send_each` and
`send_each_async` stay in the benchmark for comparison.

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
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial

import firebase_admin
import google.auth.transport.urllib3
import google.oauth2.credentials
import pycurl
import requests
import urllib3
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from firebase_admin import _http_client, credentials, exceptions, messaging
from urllib3.util.retry import Retry

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
_curl_sender: CurlSender | None = None
# A forked child never closes what it inherited: libcurl would close (and for TLS, shut down) the
# parent's connections on the shared sockets.
_inherited_after_fork: list[CurlSender] = []


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
            global _sender, _curl_sender
            _sender = None  # its threads did not survive the fork
            if _curl_sender is not None and _curl_sender._pid != os.getpid():
                _inherited_after_fork.append(_curl_sender)
            _curl_sender = None
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


def build_message(push: PushMessage, *, body_data: dict[str, str] | None = None) -> messaging.Message:
    """A notification message with a neutral title/body and string-only data (FCM requires strings),
    presented as its category and its data's kind say (notifications.push_categories); `body_data` goes in
    the message's data instead of the push's own (encode_bodies' templates).

    The app contract registers FCM registration tokens, which firebase-admin 7.7 still sends as
    `message.token` but flags as deprecated in favour of installation ids (`fid`), a different
    identifier the phone app does not send; the warning is silenced here until the app changes.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Message.token is deprecated", category=DeprecationWarning)
        data = {key: str(value) for key, value in push.data.items()} if body_data is None else body_data
        return _message(push, data)


def _message(push: PushMessage, data: dict[str, str]) -> messaging.Message:
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
        data=data,
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


def encoded_body(service: messaging._MessagingService, message: messaging.Message) -> bytes:
    """The request body the SDK's send_each sends for `message` (requests' `json=`: json.dumps, no NaN, UTF-8)."""
    return json.dumps(service._message_data(message, False), allow_nan=False).encode()


# What a template holds where each message's token and data go: never a valid FCM token (space, brackets), and
# nothing JSON escapes. A text of the message could still hold the quoted form (a title `x"<registration token>`):
# a template is only used when each placeholder occurs exactly once (_BodyTemplate.cut).
TOKEN_PLACEHOLDER = "<registration token>"  # noqa: S105 - not a secret
DATA_PLACEHOLDER = {"<data placeholder>": "<data placeholder>"}
_TOKEN_HOLE = json.dumps(TOKEN_PLACEHOLDER).encode()
_DATA_HOLE = json.dumps(DATA_PLACEHOLDER).encode()


class _BodyTemplate:
    """One encoded message body cut where the token (and the data) go, to be filled per message."""

    def __init__(self, pieces: list[bytes], holes: list[bytes]) -> None:
        self.pieces = pieces  # one more than holes: the text before, between and after them
        self.holes = holes

    @classmethod
    def cut(cls, encoded: bytes, holes: tuple[bytes, ...]) -> _BodyTemplate | None:
        """None when a hole does not occur exactly once (the message's own text holds a placeholder)."""
        if any(encoded.count(hole) != 1 for hole in holes):
            return None
        pieces, ordered, start = [], [], 0
        for at, hole in sorted((encoded.index(hole), hole) for hole in holes):
            pieces.append(encoded[start:at])
            ordered.append(hole)
            start = at + len(hole)
        pieces.append(encoded[start:])
        return cls(pieces, ordered)

    def fill(self, values: dict[bytes, bytes]) -> bytes:
        parts = [self.pieces[0]]
        for hole, piece in zip(self.holes, self.pieces[1:], strict=True):
            parts += (values[hole], piece)
        return b"".join(parts)


def encode_bodies(pushes: Iterable[PushMessage], service: messaging._MessagingService) -> list[bytes]:
    """The request bodies of `pushes`, byte for byte as `encoded_body(service, build_message(push))`: the
    message is built and encoded once per distinct title, body, category, expiry and data kind (it sets the
    collapse key), and each push's token and data go in as json.dumps writes them in the SDK's body. A fan-out
    batch is 500 reminders differing only in those two; per message this was a third of the bulk worker's CPU.

    A reminder's TTL is computed once per content and call instead of per message microseconds apart. A push
    whose token or data keys the SDK refuses takes the SDK's own path, which raises its ValueError.
    """
    templates: dict[tuple, _BodyTemplate | None] = {}
    bodies = []
    for push in pushes:
        data = {key: str(value) for key, value in push.data.items()}  # as build_message makes them strings
        if not (isinstance(push.token, str) and push.token and all(isinstance(key, str) for key in data)):
            bodies.append(encoded_body(service, build_message(push)))  # the SDK's ValueError
            continue
        content = (push.title, push.body, push.category, push.expires_at, data.get("kind", ""), bool(data))
        if content not in templates:
            holes = (_TOKEN_HOLE, _DATA_HOLE) if data else (_TOKEN_HOLE,)
            sample = build_message(replace(push, token=TOKEN_PLACEHOLDER), body_data=DATA_PLACEHOLDER if data else {})
            templates[content] = _BodyTemplate.cut(encoded_body(service, sample), holes)
        template = templates[content]
        if template is None:
            bodies.append(encoded_body(service, build_message(push)))
        else:
            bodies.append(template.fill({_TOKEN_HOLE: json.dumps(push.token).encode(),
                                         _DATA_HOLE: json.dumps(data).encode()}))
    return bodies


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
        return self._send_body(json.dumps(data, allow_nan=False).encode())

    def _send_body(self, body: bytes, **urlopen: object) -> messaging.SendResponse:
        try:
            response = self._http.urlopen("POST", self._url, body=body, headers=self._headers,
                                          timeout=self._timeout, **urlopen)
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
            raise _unknown_error(error) from error

    def resend(self, items: list[Resend]) -> list[messaging.SendResponse]:
        """Further attempts of messages whose first attempt went elsewhere (CurlSender), in parallel."""
        return list(self._executor.map(self._resend_one, items))

    def _resend_one(self, item: Resend) -> messaging.SendResponse:
        """One message's further attempts; a failure outside HTTP (e.g. the token refresh) fails this message
        only, never the batch whose other messages were delivered."""
        try:
            if item.wait is not None:
                item.wait()
            if item.refreshed:  # AuthorizedHttp refreshes at most twice per request; one is spent
                return self._send_body(item.body, retries=item.retries, _credential_refresh_attempt=1)
            return self._send_body(item.body, retries=item.retries)
        except Exception as error:  # noqa: BLE001 - see the docstring
            return _unknown_failure(error)

    def close(self) -> None:
        self._executor.shutdown(wait=False)
        self._http.http.clear()


@dataclass(frozen=True)
class Resend:
    """A message to send again on the urllib3 path, with what is left of its retry policy."""

    body: bytes
    retries: Retry
    wait: Callable[[], None] | None = None  # Retry-After or back-off, as urllib3 waits between attempts
    refreshed: bool = False  # a 401 answer has already refreshed the token once


# One attempt's result: the body of a 2xx answer (nothing else of it is read), another answer, or a
# transport failure, as urllib3 would have given them.
Attempt = bytes | urllib3.HTTPResponse | urllib3.exceptions.HTTPError


class CurlSender:
    """Sends each message as its own FCM v1 request, as `_MessagingService.send_each` does, on libcurl
    (pycurl): one multi handle per process drives up to `parallel` transfers at once from the calling
    thread, on reused easy handles and their keep-alive connections (HTTP/2 multiplexed on one
    connection where the server speaks it, as Google's does; parallel HTTP/1.1 connections to the
    stand-in). One batch at a time per process (a lock): a multi handle is not for several threads.

    Kept from the SDK, exactly:
    - the message JSON: `_message_data(message, False)` encoded as requests encodes `json=`
      (json.dumps, allow_nan=False, UTF-8), the URL (`_fcm_url`), the headers (`_fcm_headers`,
      `_http_client.METRICS_HEADERS`, Content-Type) and the SDK's `httpTimeout` (`_client.timeout`,
      for connecting and for the whole exchange: libcurl has no per-read timeout);
    - the credential: google-auth's `before_request` once per batch applies the token and refreshes it
      first when it is expired or about to be. A 401 answer refreshes the token (once per batch, not
      once per answer as AuthorizedHttp would) and resends those messages on the urllib3 path, which
      counts that refresh, so each such message gets at most the SDK's 2 refreshes and 3 attempts;
    - the retry policy (`_http_client.DEFAULT_RETRY_CONFIG`, back-off factor as for the SDK's adapter):
      a first answer the policy retries (500/503, or 413/429/503 with Retry-After) or a transport
      failure is charged to a copy of that policy (`Retry.increment`, as urllib3 does after an attempt),
      waited for as urllib3 would (Retry-After, else back-off) and resent on the urllib3 keep-alive path
      (KeepAliveSender, its threads) with what is left of the policy. So a message gets exactly the
      SDK's attempts: at most 5 for 500/503 (1 here + 4), 2 for a failed connection or read (1 + 1).
      libcurl may, like any keep-alive client, resend a request at once on a fresh connection when a
      reused one turns out closed before any answer (no retry budget is spent: nothing was answered);
    - the error classification: `_handle_fcm_error` given the requests exception the SDK's transport
      would raise (`_as_requests_error`); per-message outcomes in message order.
    Anything else failing (e.g. the token refresh) fails the whole call with UnknownError, as
    `send_each` does. No proxy (as the urllib3 path); TLS verified against certifi's bundle (as requests).
    """

    def __init__(self, service: messaging._MessagingService, parallel: int,
                 fallback: Callable[[], KeepAliveSender]) -> None:
        self._service = service
        self._url: str = service._fcm_url
        self.parallel = parallel
        self._pid = os.getpid()
        self._fallback = fallback
        self._credential = service._credential
        self._auth_request = google.auth.transport.urllib3.Request(urllib3.PoolManager(num_pools=1, maxsize=1))
        self._headers = {"Content-Type": "application/json", **service._fcm_headers, **_http_client.METRICS_HEADERS}
        self._retry = _http_client.DEFAULT_RETRY_CONFIG.new(backoff_factor=settings.FCM_RETRY_BACKOFF_FACTOR)
        self._lock = threading.Lock()
        self._multi = pycurl.CurlMulti()
        self._multi.setopt(pycurl.M_PIPELINING, pycurl.PIPE_MULTIPLEX)
        self._multi.setopt(pycurl.M_MAX_HOST_CONNECTIONS, parallel)
        self._multi.setopt(pycurl.M_MAXCONNECTS, parallel)
        timeout_ms = int(service._client.timeout * 1000) if service._client.timeout else 0
        self._handles = [self._easy_handle(timeout_ms) for _ in range(parallel)]
        self._header_lines: list[str] = []

    def _easy_handle(self, timeout_ms: int) -> pycurl.Curl:
        handle = pycurl.Curl()
        handle.setopt(pycurl.URL, self._url)
        handle.setopt(pycurl.POST, 1)
        handle.setopt(pycurl.NOSIGNAL, 1)
        handle.setopt(pycurl.PROXY, "")
        handle.setopt(pycurl.CAINFO, requests.utils.DEFAULT_CA_BUNDLE_PATH)
        handle.setopt(pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_2TLS)
        handle.setopt(pycurl.PIPEWAIT, 1)  # wait to multiplex on a connection being opened, not open another
        handle.setopt(pycurl.CONNECTTIMEOUT_MS, timeout_ms)
        handle.setopt(pycurl.TIMEOUT_MS, timeout_ms)
        handle.body_chunks = []
        handle.header_chunks = []
        handle.setopt(pycurl.WRITEFUNCTION, handle.body_chunks.append)
        handle.setopt(pycurl.HEADERFUNCTION, handle.header_chunks.append)
        handle.index = -1
        return handle

    def send_each(self, messages: list[messaging.Message]) -> messaging.BatchResponse:
        return self.send_bodies([encoded_body(self._service, message) for message in messages])

    def send_bodies(self, bodies: list[bytes]) -> messaging.BatchResponse:
        """Send request bodies already encoded as send_each encodes them (`encoded_body`, `encode_bodies`)."""
        try:
            with self._lock:
                return messaging.BatchResponse(self._send(bodies))
        except Exception as error:  # as send_each: anything but a per-message HTTP error fails the call
            raise _unknown_error(error) from error

    def _send(self, bodies: list[bytes]) -> list[messaging.SendResponse]:
        headers = dict(self._headers)
        self._credential.before_request(self._auth_request, "POST", self._url, headers)
        self._use_headers(headers)
        attempts = self._transfer(bodies)
        results: list[messaging.SendResponse | None] = [None] * len(bodies)
        resend: list[tuple[int, Resend]] = []
        unauthorized: list[int] = []
        for index, attempt in enumerate(attempts):
            if isinstance(attempt, bytes):
                results[index] = messaging.SendResponse(json.loads(attempt), exception=None)
            elif isinstance(attempt, urllib3.exceptions.HTTPError):
                try:
                    retries = self._retry.increment("POST", self._url, error=attempt)
                except urllib3.exceptions.HTTPError as exhausted:  # what urllib3 would raise: no attempt left
                    results[index] = self._failed(exhausted)
                else:
                    resend.append((index, Resend(bodies[index], retries, wait=retries.sleep)))
            elif attempt.status == 401:
                unauthorized.append(index)
            elif self._retry.is_retry("POST", attempt.status, bool(attempt.headers.get("Retry-After"))):
                try:
                    retries = self._retry.increment("POST", self._url, response=attempt)
                except urllib3.exceptions.MaxRetryError:  # urllib3 returns the last answer (raise_on_status off)
                    results[index] = self._failed(attempt)
                else:
                    resend.append((index, Resend(bodies[index], retries, wait=partial(retries.sleep, attempt))))
            else:
                results[index] = self._failed(attempt)
        if unauthorized:
            try:
                self._credential.refresh(self._auth_request)  # AuthorizedHttp's first refresh, once for the batch
            except Exception as error:  # noqa: BLE001 - the token endpoint failed: only these messages fail,
                for index in unauthorized:  # the batch's delivered ones keep their outcome (never sent twice)
                    results[index] = _unknown_failure(error)
            else:
                resend.extend((index, Resend(bodies[index], self._retry, refreshed=True)) for index in unauthorized)
        if resend:
            answers = self._fallback().resend([item for _, item in resend])
            for (index, _), answer in zip(resend, answers, strict=True):
                results[index] = answer
        return [result for result in results if result is not None]

    def _failed(self, failure: urllib3.BaseHTTPResponse | urllib3.exceptions.HTTPError) -> messaging.SendResponse:
        return messaging.SendResponse(resp=None, exception=self._service._handle_fcm_error(_as_requests_error(failure)))

    def _use_headers(self, headers: dict[str, str]) -> None:
        lines = [f"{name}: {value}" for name, value in headers.items()]
        lines.append("Expect:")  # no 100-continue round trip
        if lines != self._header_lines:
            for handle in self._handles:
                handle.setopt(pycurl.HTTPHEADER, lines)
            self._header_lines = lines

    def _transfer(self, bodies: list[bytes]) -> list[Attempt]:
        """One attempt per body, up to `parallel` at a time; the answer or transport failure of each."""
        multi = self._multi
        results: list[Attempt | None] = [None] * len(bodies)
        pending = iter(enumerate(bodies))
        active: set[pycurl.Curl] = set()

        def start_next(handle: pycurl.Curl) -> bool:
            item = next(pending, None)
            if item is None:
                return False
            handle.index, body = item
            handle.body_chunks.clear()  # a batch that failed half-way may have left a partial answer
            handle.header_chunks.clear()
            handle.setopt(pycurl.POSTFIELDS, body)
            multi.add_handle(handle)
            active.add(handle)
            return True

        def finished(handle: pycurl.Curl, result: Attempt) -> bool:
            multi.remove_handle(handle)
            active.discard(handle)
            results[handle.index] = result
            return start_next(handle)

        try:
            for handle in self._handles:
                if not start_next(handle):
                    break
            while active:
                multi.perform()
                started = False
                while True:
                    queued, done, failed = multi.info_read()
                    for handle in done:
                        started = finished(handle, _curl_response(handle)) or started
                    for handle, errno, message in failed:
                        started = finished(handle, _curl_error(handle, errno, message, self._url)) or started
                    if not queued:
                        break
                if active and not started:  # wait for a socket (a new transfer is started by perform)
                    wait_ms = multi.timeout()
                    multi.select(1.0 if wait_ms < 0 else min(wait_ms / 1000, 1.0))
        finally:
            for handle in active:  # an exception above: leave the multi handle clean for the next batch
                multi.remove_handle(handle)
        missing = [index for index, result in enumerate(results) if result is None]
        if missing:
            raise RuntimeError(f"libcurl gave no result for {len(missing)} of {len(bodies)} messages")
        return [result for result in results if result is not None]

    def close(self) -> None:
        for handle in self._handles:
            handle.close()
        self._multi.close()


def _curl_response(handle: pycurl.Curl) -> bytes | urllib3.HTTPResponse:
    """The answer of a finished transfer: a 2xx answer's body, or the answer as urllib3 would have given it
    (status, headers of the last header block, body) for the SDK's error handling and the retry policy."""
    status = handle.getinfo(pycurl.RESPONSE_CODE)
    body = b"".join(handle.body_chunks)
    handle.body_chunks.clear()
    if 200 <= status < 300:
        handle.header_chunks.clear()
        return body
    headers = urllib3.HTTPHeaderDict()
    for line in b"".join(handle.header_chunks).decode("latin-1").split("\r\n"):
        if line.startswith("HTTP/"):  # an interim answer (100 Continue) comes first: keep the last block
            headers = urllib3.HTTPHeaderDict()
        elif ":" in line:
            name, value = line.split(":", 1)
            headers.add(name.strip(), value.strip())
    handle.header_chunks.clear()
    return urllib3.HTTPResponse(body=body, headers=headers, status=status, preload_content=False)


def _curl_error(handle: pycurl.Curl, errno: int, message: str, url: str) -> urllib3.exceptions.HTTPError:
    """A transport failure as the urllib3 exception of the same kind: a failed connection counts against
    the policy's `connect` retries, a failed or timed-out read against its `read` retries."""
    handle.body_chunks.clear()
    handle.header_chunks.clear()
    text = f"{message} (libcurl error {errno})"
    connected = bool(handle.getinfo(pycurl.CONNECT_TIME))
    if errno in (pycurl.E_COULDNT_CONNECT, pycurl.E_COULDNT_RESOLVE_HOST, pycurl.E_COULDNT_RESOLVE_PROXY):
        return urllib3.exceptions.NewConnectionError(None, text)  # type: ignore[arg-type]
    if errno == pycurl.E_OPERATION_TIMEDOUT:
        if not connected:
            return urllib3.exceptions.ConnectTimeoutError(text)
        return urllib3.exceptions.ReadTimeoutError(None, url, text)  # type: ignore[arg-type]
    if errno == pycurl.E_SSL_CONNECT_ERROR:
        return urllib3.exceptions.SSLError(text)
    return urllib3.exceptions.ProtocolError(text)


def _unknown_error(error: Exception) -> exceptions.UnknownError:
    """What send_each raises when its call fails outside HTTP (the SDK's wording)."""
    return exceptions.UnknownError(message=f"Unknown error while making remote service calls: {error}", cause=error)


def _unknown_failure(error: Exception) -> messaging.SendResponse:
    """One message failed outside HTTP, as send_each reports a failed call (UNKNOWN: retried later)."""
    return messaging.SendResponse(resp=None, exception=_unknown_error(error))


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


def curl_sender() -> CurlSender:
    """This process's pycurl sender on the (endpoint-adjusted) messaging service, created on first use
    (again after a fork: get_app drops the parent's)."""
    global _curl_sender
    service = messaging_service()
    with _app_lock:
        current = _curl_sender
        if (current is None or current._service is not service or current._url != service._fcm_url
                or current.parallel != settings.FCM_SEND_THREADS):
            if current is not None:
                with current._lock:  # not under a batch another thread is sending
                    current.close()
            current = _curl_sender = CurlSender(service, settings.FCM_SEND_THREADS, fallback=keep_alive_sender)
        return current


def warm_up() -> bool:
    """Build this process's sender now (a worker process at its start): the firebase app, the SDK's service
    with its SSL context and the pycurl handles took 0.1 s of CPU, paid otherwise by the process's first
    push, an emergency's on an urgent worker just (re)started. A misconfiguration is only logged here:
    the first send raises it where it is handled. Returns whether the sender is ready."""
    try:
        curl_sender()
    except Exception as error:  # noqa: BLE001 - reported by the first send, not by the worker's start
        logger.warning("FCM sender not ready at worker start: %s", type(error).__name__)
        return False
    return True


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
    """Send up to MAX_BATCH messages, one request each on the pycurl sender (CurlSender); one outcome
    per message, in order."""
    batch = list(pushes)
    if not batch:
        return []
    if len(batch) > MAX_BATCH:
        raise ValueError(f"At most {MAX_BATCH} messages per batch.")
    sender = curl_sender()
    bodies = encode_bodies(batch, sender._service)
    try:
        response = sender.send_bodies(bodies)
    except exceptions.FirebaseError as exc:  # the whole call failed (e.g. the credential refresh)
        logger.warning("FCM send failed for a batch of %d: %s", len(bodies), exc)
        return [SendOutcome(error_code=error_code_of(exc), error=str(exc)[:500]) for _ in bodies]
    return [
        SendOutcome(message_id=result.message_id)
        if result.success
        else outcome_of_error(result.exception)
        for result in response.responses
    ]
