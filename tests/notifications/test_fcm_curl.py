"""The product's send path (notifications.fcm.CurlSender, libcurl) keeps FCM v1 semantics as the SDK's
`send_each` has them: the same JSON, the credential's token and its refresh, the retry policy, and one
outcome per message in order. Real stand-in, real firebase-admin and google-auth credential objects."""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import google.auth.exceptions
import google.auth.transport
import google.oauth2.credentials
import pytest
import time_machine
from firebase_admin import messaging

from notifications import fcm
from notifications.push_categories import PushCategory


def push(token: str, **extra: object) -> fcm.PushMessage:
    return fcm.PushMessage(token=token, title="Time for your daily check-in", body="Open the app.",
                           data={"kind": "checkin_prompt", "patient_id": "7"}, **extra)  # type: ignore[arg-type]


def varied_pushes(expires: datetime) -> list[fcm.PushMessage]:
    """Pushes sharing content or not: data orders, categories, expiries, text and tokens JSON must escape,
    and text holding the placeholder a template puts the token in."""
    daily = fcm.PushMessage(token="token-0", title="Time for your daily check-in", body="Open the app.",
                            data={"kind": "checkin_reminder", "date": "2026-11-25"},
                            category=PushCategory.REMINDER, expires_at=expires)
    return [
        daily, replace(daily, token="token-1"), replace(daily, token="token-2"),
        replace(daily, token="token-reordered", data={"date": "2026-11-25", "kind": "checkin_reminder"}),
        replace(daily, token="token-later", expires_at=expires + timedelta(hours=1)),
        replace(daily, token="token-no-expiry", expires_at=None),
        replace(daily, token="token-3"),
        *(replace(daily, token=f"token-patient-{n}", data={"kind": "checkin_reminder", "patient_id": str(n)})
          for n in range(3)),
        replace(daily, token="token-int-data", data={"kind": "checkin_reminder", "patient_id": 12}),  # type: ignore[dict-item]
        replace(daily, token="token-no-data", data={}),
        replace(daily, token="token-no-data-2", data={}),
        replace(daily, token="token-data-escapes", data={"kind": 'a"b\\c\nd', "ö": "“x”"}),
        replace(daily, token="token-data-placeholder", data=fcm.DATA_PLACEHOLDER),
        replace(daily, token="token-title-data-placeholder", title=json.dumps(fcm.DATA_PLACEHOLDER)),
        replace(daily, token="token-title-quoted-placeholder", title=f'x"{fcm.TOKEN_PLACEHOLDER}'),
        fcm.PushMessage(token="token-e", title="Call us", body="Now.", data={"kind": "escalation"},
                        category=PushCategory.EMERGENCY),
        fcm.PushMessage(token="token-u", title="Call us", body="Now.", data={"kind": "escalation"},
                        category=PushCategory.URGENT),
        fcm.PushMessage(token="token-m", title="Call us", body="Now.", data={"kind": "escalation"}),
        fcm.PushMessage(token='tök"en\\with\nescapes\x01/', title='Ünïcode “quotes” "plain" back\\slash',
                        body="line\nbreak", data={"kind": "x", "n": "1"}),
        fcm.PushMessage(token="token-title", title=fcm.TOKEN_PLACEHOLDER, body="b", data={"kind": "x"}),
        fcm.PushMessage(token="token-title-2", title=fcm.TOKEN_PLACEHOLDER, body="b", data={"kind": "x"}),
        fcm.PushMessage(token="token-data", title="t", body="b", data={"kind": fcm.TOKEN_PLACEHOLDER}),
        fcm.PushMessage(token=fcm.TOKEN_PLACEHOLDER, title="t", body="b", data={"kind": "x"}),
    ]


def sdk_body(push: fcm.PushMessage) -> bytes:
    """The body CurlSender.send_each sends for this push's message, as the SDK's send_each encodes it."""
    service = messaging._MessagingService(fcm.get_app())
    return json.dumps(service._message_data(fcm.build_message(push), False), allow_nan=False).encode()


def test_encode_bodies_gives_each_push_the_sdks_body_byte_for_byte():
    with time_machine.travel(datetime(2026, 11, 25, 8, tzinfo=UTC), tick=False):  # the same TTL both ways
        pushes = varied_pushes(expires=datetime.now(tz=UTC) + timedelta(hours=12, seconds=0.25))
        bodies = fcm.encode_bodies(pushes, messaging._MessagingService(fcm.get_app()))
        assert bodies == [sdk_body(p) for p in pushes]


def test_encode_bodies_builds_one_message_per_distinct_content(monkeypatch):
    built: list[str] = []
    build = fcm.build_message

    def counting(push: fcm.PushMessage, **options: dict[str, str]) -> messaging.Message:
        built.append(push.token)
        return build(push, **options)

    monkeypatch.setattr(fcm, "build_message", counting)
    pushes = [replace(push(f"token-{n}", category=PushCategory.REMINDER), data={"kind": "r", "patient_id": str(n)})
              for n in range(500)] + [push("token-other")]
    bodies = fcm.encode_bodies(pushes, messaging._MessagingService(fcm.get_app()))
    assert len(built) == 2
    assert [json.loads(b)["message"]["token"] for b in bodies] == [p.token for p in pushes]
    assert [json.loads(b)["message"]["data"] for b in bodies] == [p.data for p in pushes]


def test_encode_bodies_refuses_data_the_sdk_refuses():
    with pytest.raises(ValueError, match="Message.data must not contain non-string keys"):
        fcm.encode_bodies([push("token-a"), replace(push("token-b"), data={1: "x"})],  # type: ignore[dict-item]
                          messaging._MessagingService(fcm.get_app()))


def test_encode_bodies_refuses_an_empty_token_as_the_sdk_does():
    with pytest.raises(ValueError, match="Message.token must be a non-empty string"):
        fcm.encode_bodies([push("token-a"), push("")], messaging._MessagingService(fcm.get_app()))


def test_send_batch_delivers_each_push_with_its_token_and_content(fcm_standin):
    pushes = varied_pushes(expires=datetime.now(tz=UTC) + timedelta(hours=12))
    expected = {p.token: json.loads(sdk_body(p))["message"] for p in pushes}
    outcomes = fcm.send_batch(pushes)
    assert all(o.ok for o in outcomes)
    received = fcm_standin.sent_messages()
    assert sorted(m["token"] for m in received) == sorted(p.token for p in pushes)
    for message in received:
        wanted = expected[message["token"]]
        ttl, wanted_ttl = message["android"].pop("ttl", None), wanted["android"].pop("ttl", None)
        assert (ttl is None) == (wanted_ttl is None)
        if ttl is not None:
            assert abs(float(ttl.rstrip("s")) - float(wanted_ttl.rstrip("s"))) < 5
        assert message == wanted
        assert list(message.get("data", {})) == list(wanted.get("data", {}))  # the data's order as given


class RefreshCountingCredential(google.oauth2.credentials.Credentials):
    """A google-auth credential whose refresh counts its calls and yields a new token each time."""

    def __init__(self) -> None:
        super().__init__(token=fcm.STANDIN_ACCESS_TOKEN)
        self.refreshes = 0

    def refresh(self, request: google.auth.transport.Request) -> None:
        self.refreshes += 1
        self.token = f"fresh-token-{self.refreshes}"
        self.expiry = None


@pytest.fixture
def app_on(monkeypatch, fcm_standin) -> Iterator[Callable[[google.oauth2.credentials.Credentials], None]]:
    """Rebuilds the firebase app of this process on a given google-auth credential (and again after the test)."""

    def use(credential: google.oauth2.credentials.Credentials) -> None:
        class StandInCredential(fcm.StaticTokenCredential):
            def __init__(self) -> None:
                self._credential = credential

        monkeypatch.setattr(fcm, "StaticTokenCredential", StandInCredential)
        fcm._app_pid = None

    yield use
    fcm._app_pid = None


@pytest.fixture
def counting_credential(app_on) -> RefreshCountingCredential:
    """The firebase app of this process on a refresh-counting credential."""
    credential = RefreshCountingCredential()
    app_on(credential)
    return credential


def test_send_batch_goes_through_libcurl_without_the_urllib3_path_when_nothing_needs_a_retry(fcm_standin,
                                                                                             settings):
    settings.FCM_SEND_THREADS = 4
    fcm._sender = None
    for batch in range(2):
        assert all(o.ok for o in fcm.send_batch([push(f"token-{batch}-{n}") for n in range(100)]))
    assert fcm._sender is None  # the urllib3 sender was never needed
    assert fcm.curl_sender().parallel == 4
    assert fcm_standin.sent_count == 200
    assert fcm_standin.connections_opened <= 4


def test_the_standin_receives_the_same_json_as_from_the_sdks_send_each(fcm_standin):
    expires = datetime.now(tz=UTC) + timedelta(hours=20)
    messages = [fcm.build_message(p) for p in [
        push("token-a", category=PushCategory.REMINDER, expires_at=expires),
        push("token-b", category=PushCategory.EMERGENCY),
        fcm.PushMessage(token="token-c", title="Ünïcode “quotes”", body="line\nbreak", data={"kind": "x", "n": "1"},
                        category=PushCategory.MESSAGE),
    ]]
    fcm.messaging_service()  # the SDK's send URL pointed at the stand-in (never Google) before send_each
    ours = fcm.curl_sender().send_each(messages)
    by_curl = fcm_standin.received()
    fcm_standin.reset()
    theirs = messaging.send_each(messages, app=fcm.get_app())
    by_sdk = fcm_standin.received()
    assert ours.success_count == theirs.success_count == 3
    assert len(by_curl) == 3
    assert (sorted(by_curl, key=lambda r: r.message["token"])
            == sorted(by_sdk, key=lambda r: r.message["token"]))  # message JSON, project, status, bearer token


def test_outcomes_of_a_mixed_batch_come_back_in_message_order_with_the_sdk_classification(fcm_standin):
    expected = []
    for n in range(60):
        error = {1: "UNREGISTERED", 3: "INVALID_ARGUMENT"}.get(n % 5, "") or ("INVALID_MESSAGE" if n % 7 == 0 else "")
        if error:
            fcm_standin.fail_token(f"token-{n}", error)
        expected.append(error)
    outcomes = fcm.send_batch([push(f"token-{n}") for n in range(60)])
    assert [o.error_code for o in outcomes] == [
        {"INVALID_MESSAGE": "INVALID_ARGUMENT"}.get(error, error) for error in expected]
    assert [o.token_is_dead for o in outcomes] == [error in ("UNREGISTERED", "INVALID_ARGUMENT") for error in expected]
    assert [o.ok for o in outcomes] == [not error for error in expected]
    assert len({o.message_id for o in outcomes if o.ok}) == expected.count("")


@pytest.mark.parametrize("error_code", ["UNAVAILABLE", "INTERNAL"])
def test_a_503_or_500_first_answer_is_retried_and_the_batch_succeeds(fcm_standin, error_code):
    fcm_standin.fail_next(3, error_code)
    outcomes = fcm.send_batch([push(f"token-{n}") for n in range(10)])
    assert all(o.ok for o in outcomes)
    statuses = [r.status for r in fcm_standin.received()]
    assert sorted(statuses) == [200] * 10 + [503 if error_code == "UNAVAILABLE" else 500] * 3


def test_a_401_refreshes_the_token_once_and_resends_those_messages(fcm_standin, counting_credential):
    fcm_standin.reject_access_token(fcm.STANDIN_ACCESS_TOKEN)  # as Google answers an expired token
    outcomes = fcm.send_batch([push(f"token-{n}") for n in range(3)])
    assert all(o.ok for o in outcomes)
    assert counting_credential.refreshes == 1
    assert sorted((r.status, r.authorization) for r in fcm_standin.received()) == (
        [(200, "Bearer fresh-token-1")] * 3 + [(401, f"Bearer {fcm.STANDIN_ACCESS_TOKEN}")] * 3)


class TokenEndpointDownAfterTheBatchStarts(google.oauth2.credentials.Credentials):
    """Applies its token for the batch, then cannot get one any more (Google's token endpoint unreachable)."""

    def __init__(self) -> None:
        super().__init__(token=fcm.STANDIN_ACCESS_TOKEN)
        self.uses = 0

    def before_request(self, request: google.auth.transport.Request, method: str, url: str, headers: dict) -> None:
        self.uses += 1
        if self.uses > 1:
            raise google.auth.exceptions.RefreshError("token endpoint unreachable")
        super().before_request(request, method, url, headers)


def test_a_resend_that_cannot_get_a_token_fails_only_its_own_messages(fcm_standin, app_on):
    """The batch's delivered messages keep their outcome: failing them all would send them twice."""
    app_on(TokenEndpointDownAfterTheBatchStarts())
    fcm_standin.fail_next(2, "UNAVAILABLE")
    outcomes = fcm.send_batch([push(f"token-{n}") for n in range(10)])
    assert sum(o.ok for o in outcomes) == 8
    assert sorted(o.error_code for o in outcomes if not o.ok) == ["UNKNOWN", "UNKNOWN"]
    assert len(fcm_standin.sent_messages()) == 8


def test_an_expired_token_is_refreshed_before_the_batch_is_sent(fcm_standin, counting_credential):
    counting_credential.expiry = datetime.now(tz=UTC).replace(tzinfo=None) - timedelta(minutes=1)  # naive UTC
    assert all(o.ok for o in fcm.send_batch([push("token-a"), push("token-b")]))
    assert counting_credential.refreshes == 1
    assert [(r.status, r.authorization) for r in fcm_standin.received()] == [(200, "Bearer fresh-token-1")] * 2


def test_a_token_refused_after_every_refresh_gets_as_many_attempts_and_refreshes_as_with_the_sdk(
        fcm_standin, counting_credential):
    for token in [fcm.STANDIN_ACCESS_TOKEN, *(f"fresh-token-{n}" for n in range(1, 10))]:
        fcm_standin.reject_access_token(token)
    fcm.messaging_service()  # the SDK's send URL pointed at the stand-in (never Google) before send_each
    [sdk] = messaging.send_each([fcm.build_message(push("token-a"))], app=fcm.get_app()).responses
    sdk_refreshes, sdk_requests = counting_credential.refreshes, len(fcm_standin.received())
    fcm_standin.reset()
    for token in [fcm.STANDIN_ACCESS_TOKEN, *(f"fresh-token-{n}" for n in range(1, 10))]:
        fcm_standin.reject_access_token(token)
    [outcome] = fcm.send_batch([push("token-a")])
    assert (sdk_refreshes, sdk_requests) == (2, 3)
    assert (counting_credential.refreshes - sdk_refreshes, len(fcm_standin.received())) == (2, 3)
    assert outcome.error_code == fcm.error_code_of(sdk.exception) == "UNAUTHENTICATED"


def test_a_refused_connection_is_an_unavailable_outcome_for_every_message_not_an_exception(settings):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.FCM_ENDPOINT = f"http://127.0.0.1:{port}"  # nothing listens there
    outcomes = fcm.send_batch([push(f"token-{n}") for n in range(5)])
    assert [(o.error_code, o.token_is_dead) for o in outcomes] == [("UNAVAILABLE", False)] * 5


def test_a_forked_child_builds_its_own_multi_handle_and_leaves_the_parents_alone(fcm_standin):
    assert fcm.send_batch([push("token-parent")])[0].ok
    parent_sender = fcm.curl_sender()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running pytest's teardown
        try:
            ok = fcm.send_batch([push("token-child")])[0].ok
            sender = fcm.curl_sender()
            report = {"ok": ok, "own_sender": sender is not parent_sender and sender._pid == os.getpid()}
            os.write(write_end, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end) as answer:
        assert json.loads(answer.read() or "{}") == {"ok": True, "own_sender": True}
    assert fcm.curl_sender() is parent_sender
    assert fcm.send_batch([push("token-parent-again")])[0].ok  # its connections still work
    assert sorted(m["token"] for m in fcm_standin.sent_messages()) == [
        "token-child", "token-parent", "token-parent-again"]


def test_a_connection_closed_without_an_answer_gets_as_many_attempts_as_with_the_sdk(settings):
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[int] = []

    def hang_up() -> None:  # reads the request, answers nothing, closes
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            accepted.append(1)
            connection.recv(65536)
            connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    settings.FCM_ENDPOINT = f"http://127.0.0.1:{server.getsockname()[1]}"
    try:
        [outcome] = fcm.send_batch([push("token-a")])
        ours = len(accepted)
        accepted.clear()
        fcm.messaging_service()  # the SDK's send URL pointed at this socket (never Google) before send_each
        [sdk] = messaging.send_each([fcm.build_message(push("token-a"))], app=fcm.get_app()).responses
    finally:
        server.close()
    assert (ours, outcome.error_code) == (len(accepted), fcm.error_code_of(sdk.exception)) == (2, "UNAVAILABLE")
    assert not outcome.token_is_dead
