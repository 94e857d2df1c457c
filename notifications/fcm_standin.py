"""A local stand-in for the FCM HTTP v1 API, for tests, benchmarks and `make run`.

It answers `POST /v1/projects/{project}/messages:send` the way FCM documents it
(https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send and the
FcmError/ErrorCode reference): `{"name": "projects/{project}/messages/{id}"}` on success, and
`{"error": {"code", "message", "status", "details": [{"@type": ".../google.firebase.fcm.v1.FcmError",
"errorCode": ...}]}}` on errors. It records what it receives and can be told to fail:

  in-process:  standin = FcmStandIn().start(); standin.fail_next(2, "UNAVAILABLE");
               standin.fail_token(token, "UNREGISTERED"); standin.sent_messages(); standin.stop()
               standin.reject_access_token("old") (401 UNAUTHENTICATED for "Bearer old": an expired token)
               ("INVALID_ARGUMENT" blames the token, "INVALID_MESSAGE" a field of the message)
  as a process: python -m notifications.fcm_standin --port 8765 [--record all|tokens|none] [--log]
               POST /_standin/fail {"error": "UNAVAILABLE", "count": 2} or {"error": ..., "token": ...}
               or {"error": "UNAVAILABLE", "down": true} (every send fails until "down": false)
               GET /_standin/received ; GET /_standin/tokens[?prefix=p] ; POST /_standin/reset
Only binds to 127.0.0.1. With --log (`make run`) it prints one line per push it answers: the status, the
device token's last 6 characters and the push's `kind` (never the rest of the token or of the data).

Recording modes: "all" keeps every request (tests read them back); "tokens" only counts accepted
messages per token and the time each token was first accepted (/_standin/tokens?prefix= lists those
times for tokens with that prefix: push latency), cheap enough for a 100,000-message benchmark that
checks each token got exactly one; "none" only counts. It must not be the bottleneck of a benchmark
nor drop a sender's connection: a deep listen backlog (hundreds of parallel connections connect at
once), Nagle off and each answer written with one send (headers and body in two writes cost a
delayed-ACK round trip, ~40 ms, on a reused keep-alive connection).
"""
from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal, TextIO
from urllib.parse import parse_qs, urlsplit

# FCM ErrorCode -> (HTTP status, google.rpc status) as FCM answers them.
ERRORS: dict[str, tuple[int, str, str]] = {
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED", "Quota exceeded for sending messages."),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
    # Also INVALID_ARGUMENT, but about the message, not the token (e.g. a malformed field): FCM names
    # the offending field in a BadRequest detail. The sender must not disable the device for it.
    "INVALID_MESSAGE": (400, "INVALID_ARGUMENT", "Invalid value at 'message.android.ttl' "
                        "(type.googleapis.com/google.protobuf.Duration), Field 'ttl', Illegal duration format"),
}
# Which field each INVALID_ARGUMENT flavour blames, and the FCM ErrorCode each stand-in error carries.
FIELD_VIOLATION = {"INVALID_ARGUMENT": "message.token", "INVALID_MESSAGE": "message.android.ttl"}
FCM_ERROR_CODE = {"INVALID_MESSAGE": "INVALID_ARGUMENT"}
SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")
RecordMode = Literal["all", "tokens", "none"]
RECORD_MODES: tuple[RecordMode, ...] = ("all", "tokens", "none")


@dataclass
class Received:
    """One request the stand-in answered: the message body as sent, and the HTTP status given."""

    project: str
    message: dict
    status: int
    authorization: str


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    received: list[Received] = field(default_factory=list)
    fail_next: list[str] = field(default_factory=list)
    fail_tokens: dict[str, str] = field(default_factory=dict)
    rejected_access_tokens: set[str] = field(default_factory=set)  # answered 401, as Google does an expired one
    down: str = ""  # while set, every send answers this error (an FCM outage), until `come_back`
    record: RecordMode = "all"
    count_ok: int = 0
    connections: int = 0
    accepted_tokens: Counter = field(default_factory=Counter)
    max_per_token: int = 0  # the highest count in accepted_tokens, kept as they are counted ("tokens" mode)
    first_accepted_at: dict[str, float] = field(default_factory=dict)  # token -> time.time(), "tokens" mode
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    # While `open_gate` is clear, send requests wait unanswered (a slow FCM, or a sender killed mid-call);
    # `held` counts them, and those released with `drop_held` are closed without being accepted.
    open_gate: threading.Event = field(default_factory=lambda: _set_event())
    held: int = 0
    drop_held: bool = False
    log: TextIO | None = None  # where to print one line per answered push (--log)

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.fail_next.clear()
            self.fail_tokens.clear()
            self.rejected_access_tokens.clear()
            self.accepted_tokens.clear()
            self.max_per_token = 0
            self.first_accepted_at.clear()
            self.down = ""
            self.count_ok = 0
            self.connections = 0


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


def error_body(error_code: str) -> tuple[int, dict]:
    status, rpc_status, message = ERRORS[error_code]
    details: list[dict[str, object]] = [
        {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
         "errorCode": FCM_ERROR_CODE.get(error_code, error_code)}
    ]
    if error_code in FIELD_VIOLATION:
        details.append({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": FIELD_VIOLATION[error_code], "description": message}],
        })
    return status, {"error": {"code": status, "message": message, "status": rpc_status, "details": details}}


MAX_HEADER_LINE = 65536  # http.client's limits
MAX_HEADERS = 100


class _Headers(dict[str, str]):
    """Request headers by lower-case name (the first of a repeated one, as email.message.Message.get)."""

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(name.lower(), default)


class _Handler(BaseHTTPRequestHandler):
    server_version = "fcm-standin/1"
    protocol_version = "HTTP/1.1"  # keep-alive, as Google's front end does
    disable_nagle_algorithm = True

    @property
    def state(self) -> _State:
        return self.server.state  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        with self.state.lock:
            self.state.connections += 1

    def parse_request(self) -> bool:
        """The standard library's request parsing, with the headers of a well-formed HTTP/1.x request
        read into a plain case-insensitive mapping instead of an email.message.Message: the email
        package's parser and its header lookups were about a third of the stand-in's CPU per request,
        which a 100,000-message benchmark shares with the sender it measures. Anything else (HTTP/0.9,
        odd request lines) goes to the standard library's parser and its error answers."""
        raw_requestline: bytes = self.raw_requestline  # type: ignore[attr-defined]  # set by handle_one_request
        words = str(raw_requestline, "iso-8859-1").rstrip("\r\n").split()
        if len(words) != 3 or words[2] not in ("HTTP/1.0", "HTTP/1.1"):
            return super().parse_request()
        self.requestline = " ".join(words)
        self.command, self.path, self.request_version = words
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")  # as the standard library does (gh-87389)
        headers = _Headers()
        while True:
            line = self.rfile.readline(MAX_HEADER_LINE + 1)
            if len(line) > MAX_HEADER_LINE:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            if len(headers) >= MAX_HEADERS:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
                return False
            name, _, value = line.decode("iso-8859-1").partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        self.headers = headers  # type: ignore[assignment]  # read only through .get below and in _send
        connection = (headers.get("connection") or "").lower()
        self.close_connection = connection == "close" or (self.request_version == "HTTP/1.0"
                                                          and connection != "keep-alive")
        if (headers.get("expect") or "").lower() == "100-continue" and self.request_version == "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests and benchmarks read state instead
        pass

    def _read_json(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw or b"{}")

    def _answer(self, status: int, body: dict) -> None:
        """Status line, headers and body in one write (see the module docstring)."""
        payload = json.dumps(body).encode()
        connection = "close\r\n" if self.close_connection else "keep-alive\r\n"
        head = (
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\n"
            f"Server: {self.server_version}\r\nDate: {formatdate(usegmt=True)}\r\n"
            "Content-Type: application/json; charset=UTF-8\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: {connection}\r\n"
        )
        self.wfile.write(head.encode("latin-1") + payload)

    def do_GET(self) -> None:
        if self.path == "/_standin/received":
            with self.state.lock:
                items = [r.__dict__ for r in self.state.received]
            return self._answer(200, {"received": items, "sent_ok": self.state.count_ok})
        if self.path.startswith("/_standin/tokens"):
            # Polled during a fan-out of 100,000 pushes: without a prefix, constant time under the lock (copying
            # every count to find the highest held up each send a few milliseconds, four times a second).
            prefix = parse_qs(urlsplit(self.path).query).get("prefix", [""])[0]
            with self.state.lock:
                distinct, most, sent_ok = len(self.state.accepted_tokens), self.state.max_per_token, self.state.count_ok
                arrivals = {token: at for token, at in self.state.first_accepted_at.items()
                            if token.startswith(prefix)} if prefix else {}
            return self._answer(200, {"sent_ok": sent_ok, "distinct_tokens": distinct, "max_per_token": most,
                                      "first_accepted_at": arrivals})
        self._answer(404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}})

    def do_POST(self) -> None:
        try:
            body = self._read_json()
        except ValueError:
            status, error = 400, {"error": {"code": 400, "message": "Invalid JSON payload received.",
                                            "status": "INVALID_ARGUMENT"}}
            return self._answer(status, error)
        if self.path == "/_standin/fail":
            return self._control_fail(body)
        if self.path == "/_standin/reset":
            self.state.reset()
            return self._answer(200, {})
        match = SEND_PATH.match(self.path)
        if not match:
            return self._answer(404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}})
        self._send(match["project"], body)

    def _control_fail(self, body: dict) -> None:
        code = body.get("error", "")
        if code not in ERRORS:
            return self._answer(400, {"error": f"error must be one of {sorted(ERRORS)}"})
        with self.state.lock:
            if "down" in body:
                self.state.down = code if body["down"] else ""
            elif body.get("token"):
                self.state.fail_tokens[body["token"]] = code
            else:
                self.state.fail_next.extend([code] * int(body.get("count", 1)))
        self._answer(200, {})

    def _send(self, project: str, body: dict) -> None:
        if not self.state.open_gate.is_set():
            with self.state.lock:
                self.state.held += 1
            self.state.open_gate.wait()
            if self.state.drop_held:
                self.close_connection = True
                return
        message = body.get("message") if isinstance(body.get("message"), dict) else None
        auth = self.headers.get("Authorization", "")
        answer: dict[str, object]
        with self.state.lock:
            if not auth.startswith("Bearer ") or auth[len("Bearer "):] in self.state.rejected_access_tokens:
                status, answer = 401, {"error": {"code": 401, "message": "Request is missing required "
                                                 "authentication credential.", "status": "UNAUTHENTICATED"}}
            elif message is None or not message.get("token"):
                status, answer = error_body("INVALID_ARGUMENT")
            elif self.state.down:
                status, answer = error_body(self.state.down)
            elif self.state.fail_next:
                status, answer = error_body(self.state.fail_next.pop(0))
            elif message["token"] in self.state.fail_tokens:
                status, answer = error_body(self.state.fail_tokens[message["token"]])
            else:
                status, answer = 200, {"name": f"projects/{project}/messages/{next(self.state.ids)}"}
                self.state.count_ok += 1
                if self.state.record == "tokens":
                    count = self.state.accepted_tokens[message["token"]] + 1
                    self.state.accepted_tokens[message["token"]] = count
                    self.state.max_per_token = max(self.state.max_per_token, count)
                    self.state.first_accepted_at.setdefault(message["token"], time.time())
            if self.state.record == "all":
                self.state.received.append(Received(project, message or {}, status, auth))
        if self.state.log is not None:
            print(log_line(status, message), file=self.state.log, flush=True)
        self._answer(status, answer)


def log_line(status: int, message: dict | None) -> str:
    """One answered push for the log: status, the token's last 6 characters and the data's `kind`."""
    message = message or {}
    token = str(message.get("token") or "")
    data = message.get("data")
    kind = data.get("kind", "no kind") if isinstance(data, dict) else "no kind"
    return f"{status} push to device ...{token[-6:]} ({kind})"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: with hundreds of senders connecting at once the kernel
    # reset some connections, and their messages failed.
    request_queue_size = 4096


class FcmStandIn:
    """The stand-in server, started in a background thread (tests) or in the foreground (`python -m`)."""

    def __init__(self, port: int = 0, record: RecordMode = "all", log: TextIO | None = None) -> None:
        if record not in RECORD_MODES:
            raise ValueError(f"record must be one of {RECORD_MODES}")
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.state = _State(record=record, log=log)  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> _State:
        return self._server.state  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FcmStandIn:
        # A short poll interval: stop() waits for the serving loop to notice, 0.5 s by default.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fcm-standin", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, count: int, error_code: str) -> None:
        """Answer the next `count` send requests with FCM error `error_code` (e.g. UNAVAILABLE)."""
        if error_code not in ERRORS:
            raise ValueError(f"Unknown FCM error code {error_code!r}")
        with self.state.lock:
            self.state.fail_next.extend([error_code] * count)

    def fail_token(self, token: str, error_code: str) -> None:
        """Answer every send to `token` with FCM error `error_code` (e.g. UNREGISTERED)."""
        if error_code not in ERRORS:
            raise ValueError(f"Unknown FCM error code {error_code!r}")
        with self.state.lock:
            self.state.fail_tokens[token] = error_code

    def reject_access_token(self, access_token: str) -> None:
        """Answer 401 UNAUTHENTICATED to requests bearing this OAuth access token (expired or revoked)."""
        with self.state.lock:
            self.state.rejected_access_tokens.add(access_token)

    def go_down(self, error_code: str = "UNAVAILABLE") -> None:
        """An FCM outage: every send answers `error_code` until `come_back`."""
        if error_code not in ERRORS:
            raise ValueError(error_code)
        with self.state.lock:
            self.state.down = error_code

    def come_back(self) -> None:
        with self.state.lock:
            self.state.down = ""

    def hold(self) -> None:
        """Keep send requests waiting, unanswered and not accepted, until `release`."""
        self.state.drop_held = False
        self.state.open_gate.clear()

    def release(self, drop: bool = False) -> None:
        """Let held requests through, or with `drop` close them unanswered (their sender is gone)."""
        self.state.drop_held = drop
        self.state.open_gate.set()

    @property
    def held_count(self) -> int:
        return self.state.held

    def received(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.received)

    def sent_messages(self) -> list[dict]:
        """The messages it accepted (answered 200), in arrival order."""
        return [r.message for r in self.received() if r.status == 200]

    @property
    def sent_count(self) -> int:
        return self.state.count_ok

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted so far (keep-alive senders open few)."""
        return self.state.connections

    def accepted_per_token(self) -> Counter:
        """Accepted messages per token (recording mode "tokens")."""
        with self.state.lock:
            return Counter(self.state.accepted_tokens)

    def reset(self) -> None:
        self.state.reset()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local FCM HTTP v1 stand-in (127.0.0.1 only).")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--record", choices=RECORD_MODES, default="all",
                        help="all: keep every request; tokens: count accepted messages per token; none: count only")
    parser.add_argument("--no-record", dest="record", action="store_const", const="none", help="same as --record none")
    parser.add_argument("--log", action="store_true",
                        help="print one line per answered push (status, token's last 6 characters, kind)")
    args = parser.parse_args()
    standin = FcmStandIn(port=args.port, record=args.record, log=sys.stdout if args.log else None)
    print(f"FCM stand-in listening on {standin.url}", flush=True)
    try:
        standin.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
