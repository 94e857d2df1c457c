"""How messages travel to FCM: persistent threads and keep-alive connections, the SDK's error
classification for transport failures, and the stand-in's cheap recording mode."""
from __future__ import annotations

import http.client
import json
import socket

from notifications import fcm
from notifications.fcm_standin import FcmStandIn


def push(token: str) -> fcm.PushMessage:
    return fcm.PushMessage(token=token, title="Time for your daily check-in", body="Open the app.",
                           data={"kind": "checkin_prompt"})


def test_batches_reuse_a_few_keep_alive_connections_instead_of_one_per_message(fcm_standin, settings):
    settings.FCM_SEND_THREADS = 4
    fcm._sender = None
    for batch in range(3):
        outcomes = fcm.send_batch([push(f"token-{batch}-{n}") for n in range(200)])
        assert all(outcome.ok for outcome in outcomes)
    assert fcm_standin.sent_count == 600
    assert fcm_standin.connections_opened <= 4


def test_sender_keeps_its_threads_between_batches(fcm_standin):
    fcm.send_batch([push("token-a")])
    first = fcm.keep_alive_sender()
    fcm.send_batch([push("token-b")])
    assert fcm.keep_alive_sender() is first


def test_unreachable_fcm_is_a_transient_error_not_a_dead_token(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.FCM_ENDPOINT = f"http://127.0.0.1:{port}"  # nothing listens there
    [outcome] = fcm.send_batch([push("token-a")])
    assert outcome.error_code == "UNAVAILABLE"
    assert not outcome.token_is_dead


def test_error_answers_keep_the_sdk_classification_and_message(fcm_standin):
    fcm_standin.fail_token("token-gone", "UNREGISTERED")
    fcm_standin.fail_token("token-bad", "INVALID_ARGUMENT")
    gone, bad, good = fcm.send_batch([push("token-gone"), push("token-bad"), push("token-ok")])
    assert (gone.error_code, bad.error_code) == ("UNREGISTERED", "INVALID_ARGUMENT")
    assert "Requested entity was not found" in gone.error
    assert good.ok


def test_standin_token_recording_counts_each_token_without_keeping_messages():
    standin = FcmStandIn(record="tokens").start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", int(standin.url.rsplit(":", 1)[1]))
        for token in ["a", "b", "a"]:
            connection.request("POST", "/v1/projects/p/messages:send", body=json.dumps({"message": {"token": token}}),
                               headers={"Authorization": "Bearer x", "Content-Type": "application/json"})
            assert connection.getresponse().read()
        connection.request("GET", "/_standin/tokens?prefix=a")
        summary = json.loads(connection.getresponse().read())
    finally:
        standin.stop()
    assert {k: summary[k] for k in ("sent_ok", "distinct_tokens", "max_per_token")} == {
        "sent_ok": 3, "distinct_tokens": 2, "max_per_token": 2}
    assert list(summary["first_accepted_at"]) == ["a"]  # the time "a" was first accepted, for latency
    assert standin.received() == []
    assert standin.connections_opened == 1  # the three sends and the query shared one keep-alive connection


def test_standin_token_summary_starts_again_after_a_reset():
    standin = FcmStandIn(record="tokens").start()
    port = int(standin.url.rsplit(":", 1)[1])

    def send(token: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port)
        connection.request("POST", "/v1/projects/p/messages:send", body=json.dumps({"message": {"token": token}}),
                           headers={"Authorization": "Bearer x", "Content-Type": "application/json"})
        assert connection.getresponse().status == 200

    def summary() -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", port)
        connection.request("GET", "/_standin/tokens")
        return json.loads(connection.getresponse().read())

    try:
        for token in ["a", "a", "a", "b"]:
            send(token)
        assert (summary()["max_per_token"], summary()["distinct_tokens"]) == (3, 2)
        standin.reset()
        send("c")
        assert {k: summary()[k] for k in ("sent_ok", "distinct_tokens", "max_per_token", "first_accepted_at")} == {
            "sent_ok": 1, "distinct_tokens": 1, "max_per_token": 1, "first_accepted_at": {}}
    finally:
        standin.stop()


def test_standin_parses_headers_by_any_case_and_honours_connection_close_and_malformed_requests():
    standin = FcmStandIn(record="none").start()
    port = int(standin.url.rsplit(":", 1)[1])
    body = json.dumps({"message": {"token": "a"}}).encode()
    try:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST /v1/projects/p/messages:send HTTP/1.1\r\nHost: x\r\nAUTHORIZATION: Bearer x\r\n"
                         b"content-length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
            answer = b""
            while chunk := sock.recv(65536):  # the stand-in closes the connection after its answer
                answer += chunk
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /_standin/received HTTP/2.0\r\n\r\n")  # left to the standard library
            malformed = sock.recv(65536)
    finally:
        standin.stop()
    assert answer.startswith(b"HTTP/1.1 200 ") and b'"name": "projects/p/messages/1"' in answer
    assert b"Error code explanation: 505" in malformed  # the standard library answers as before
    assert standin.sent_count == 1
