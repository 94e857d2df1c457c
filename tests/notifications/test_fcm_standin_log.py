"""`make run` starts the FCM stand-in with --log so a newcomer sees each push arrive in
.run/fcm-standin.log; the line names the push's kind and the token's tail, never the whole token or data."""
from __future__ import annotations

import json
import select
import subprocess
import sys
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def read_line(process: subprocess.Popen, timeout: float = 30) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "the stand-in printed nothing"
    return process.stdout.readline().strip()


def test_the_standin_logs_each_answered_push_with_its_kind_and_the_token_tail_only():
    process = subprocess.Popen(
        [sys.executable, "-m", "notifications.fcm_standin", "--port", "0", "--log"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        url = read_line(process).rsplit(" ", 1)[-1]
        message = {"token": "device-token-secret-abc123", "data": {"kind": "escalation", "escalation_id": "42"}}
        request = urllib.request.Request(  # noqa: S310 - the stand-in on 127.0.0.1
            f"{url}/v1/projects/demo/messages:send", data=json.dumps({"message": message}).encode(),
            headers={"Authorization": "Bearer local", "Content-Type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            assert answer.status == 200
        line = read_line(process)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert line == "200 push to device ...abc123 (escalation)"
