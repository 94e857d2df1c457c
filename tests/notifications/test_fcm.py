"""The FCM sender on the real firebase-admin SDK, talking to the local stand-in."""
from __future__ import annotations

import json
import urllib.request

import pytest
from django.core.exceptions import ImproperlyConfigured
from firebase_admin import messaging

from notifications import fcm


def push(token: str) -> fcm.PushMessage:
    return fcm.PushMessage(token=token, title="Time for your daily check-in", body="Open the app.",
                           data={"kind": "checkin_prompt", "patient_id": "7"})


def test_sdk_still_keeps_its_send_url_where_the_seam_redirects_it():
    # If a firebase-admin upgrade moves or renames the attribute, this fails before anything
    # could be sent to Google from a test.
    service = messaging._MessagingService(fcm.get_app())
    assert service._fcm_url == messaging._MessagingService.FCM_URL.format(fcm.get_app().project_id)
    assert service._fcm_url.startswith(fcm.GOOGLE_FCM_PREFIX)


def test_seam_points_the_sdk_send_url_at_fcm_endpoint(fcm_standin, settings):
    service = fcm.messaging_service()
    assert service._fcm_url == f"{fcm_standin.url}/v1/projects/{settings.FCM_PROJECT_ID}/messages:send"


def test_sending_without_the_url_attribute_fails_loudly_instead_of_reaching_google(fcm_standin):
    service = messaging._MessagingService(fcm.get_app())
    del service._fcm_url
    with pytest.raises(fcm.FcmSeamBroken):
        fcm._point_service_at_endpoint(service, fcm.get_app())


def test_without_credentials_or_endpoint_nothing_is_sent_to_google(settings):
    settings.FCM_ENDPOINT = ""
    settings.FCM_CREDENTIALS_FILE = ""
    with pytest.raises(ImproperlyConfigured):
        fcm.send_batch([push("token-a")])


def test_message_reaches_the_standin_with_static_bearer_token_and_neutral_notification(fcm_standin):
    [outcome] = fcm.send_batch([push("token-a")])
    [received] = fcm_standin.received()
    assert outcome.ok and outcome.message_id.startswith("projects/")
    assert received.authorization == f"Bearer {fcm.STANDIN_ACCESS_TOKEN}"
    assert received.message["token"] == "token-a"
    assert received.message["notification"] == {"title": "Time for your daily check-in", "body": "Open the app."}
    assert received.message["data"] == {"kind": "checkin_prompt", "patient_id": "7"}


@pytest.mark.parametrize("error_code", ["UNREGISTERED", "INVALID_ARGUMENT"])
def test_token_errors_are_reported_as_dead_tokens(fcm_standin, error_code):
    fcm_standin.fail_token("token-gone", error_code)
    [outcome] = fcm.send_batch([push("token-gone")])
    assert outcome.error_code == error_code
    assert outcome.token_is_dead


def test_invalid_argument_about_the_message_is_logged_as_a_message_bug_not_a_dead_token(fcm_standin, caplog):
    fcm_standin.fail_token("token-fine", "INVALID_MESSAGE")
    [outcome] = fcm.send_batch([push("token-fine")])
    assert outcome.error_code == "INVALID_ARGUMENT"
    assert not outcome.token_is_dead
    assert "malformed" in caplog.text and "message.android.ttl" in caplog.text


@pytest.mark.parametrize(("error_code", "requests_sent"),
                         [("QUOTA_EXCEEDED", 1), ("UNAVAILABLE", 5), ("SENDER_ID_MISMATCH", 1)])
def test_transient_errors_are_not_dead_tokens(fcm_standin, error_code, requests_sent):
    fcm_standin.fail_token("token-busy", error_code)
    [outcome] = fcm.send_batch([push("token-busy")])
    assert not outcome.ok
    assert not outcome.token_is_dead
    assert len(fcm_standin.received()) == requests_sent  # the SDK retries a 503 four times, a 429 never


def test_one_unavailable_answer_is_retried_by_the_sdk_and_then_succeeds(fcm_standin):
    fcm_standin.fail_next(1, "UNAVAILABLE")
    [outcome] = fcm.send_batch([push("token-a")])
    assert outcome.ok
    assert [r.status for r in fcm_standin.received()] == [503, 200]


def test_outcomes_come_back_in_message_order(fcm_standin):
    fcm_standin.fail_token("token-2", "UNREGISTERED")
    outcomes = fcm.send_batch([push("token-1"), push("token-2"), push("token-3")])
    assert [o.ok for o in outcomes] == [True, False, True]


def test_a_batch_larger_than_fcm_allows_is_refused(fcm_standin):
    with pytest.raises(ValueError):
        fcm.send_batch([push(f"t{i}") for i in range(fcm.MAX_BATCH + 1)])
    assert fcm_standin.received() == []


def test_standin_control_endpoint_makes_it_answer_documented_fcm_errors(fcm_standin):
    control = urllib.request.Request(
        f"{fcm_standin.url}/_standin/fail", data=json.dumps({"error": "UNREGISTERED", "token": "t"}).encode(),
        method="POST", headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(control).read()
    send = urllib.request.Request(
        f"{fcm_standin.url}/v1/projects/p/messages:send", data=json.dumps({"message": {"token": "t"}}).encode(),
        method="POST", headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(send)
    error = json.loads(answer.value.read())["error"]
    assert answer.value.code == 404
    assert error["status"] == "NOT_FOUND"
    assert error["details"][0] == {
        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED",
    }


def test_standin_runs_as_its_own_process():
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "notifications.fcm_standin", "--port", str(port)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert "listening on http://127.0.0.1" in process.stdout.readline()
        body = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_standin/received").read())
        assert body == {"received": [], "sent_ok": 0}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_worker_process_builds_its_sender_as_it_starts_and_its_first_push_uses_it(fcm_standin, monkeypatch):
    from celery.signals import worker_process_init

    monkeypatch.setattr(fcm, "_curl_sender", None)
    worker_process_init.send(sender=None)  # what each prefork process of a worker does as it starts
    built = fcm._curl_sender

    assert built is not None and built._url.startswith(fcm_standin.url)
    assert fcm.send_batch([push("token-warm")])[0].ok
    assert fcm._curl_sender is built


def test_a_worker_starts_without_fcm_settings_and_its_first_send_says_what_is_missing(settings, caplog):
    settings.FCM_ENDPOINT = ""
    settings.FCM_CREDENTIALS_FILE = ""

    assert fcm.warm_up() is False

    assert "FCM sender not ready at worker start: ImproperlyConfigured" in caplog.text
    with pytest.raises(ImproperlyConfigured):
        fcm.send_batch([push("token-a")])
