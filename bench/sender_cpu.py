"""Benchmark (not a test): CPU per message of each send path, in one process, no database.

The fan-out is CPU-bound on this machine, so what a send path costs per message decides how many
prompts per second two cores hand to FCM. For each path this sends the same `--messages` messages in
batches of 500 to the FCM stand-in as its own process (`--record none`: it only counts) and prints
messages/s, this process's CPU per message (`time.process_time`, all its threads) and the stand-in's
(from /proc). One untimed batch first, so that connections are open.

    .venv/bin/python bench/sender_cpu.py [--messages 20000] [--parallel 16] [--send-each]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.conf import settings  # noqa: E402
from firebase_admin import messaging  # noqa: E402

from bench.fanout import SdkSessionThreads, raw_messages, start_standin  # noqa: E402
from notifications import fcm  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU of another process so far (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def measure(name: str, send: Callable[[list[messaging.Message]], messaging.BatchResponse],
            batches: list[list[messaging.Message]], standin_pid: int) -> None:
    send(batches[0])  # untimed: connections
    count = sum(len(batch) for batch in batches)
    wall, cpu, standin_cpu = time.perf_counter(), time.process_time(), cpu_seconds_of(standin_pid)
    for batch in batches:
        response = send(batch)
        assert response.failure_count == 0, [r.exception for r in response.responses if r.exception][:3]
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    standin_cpu = cpu_seconds_of(standin_pid) - standin_cpu
    print(f"{name:44s} {count / wall:7,.0f} messages/s   sender {1000 * cpu / count:.3f} ms CPU/message   "
          f"stand-in {1000 * standin_cpu / count:.3f} ms CPU/message", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--parallel", type=int, default=settings.FCM_SEND_THREADS,
                        help="FCM_SEND_THREADS: parallel transfers (pycurl) and threads (the others)")
    parser.add_argument("--send-each", action="store_true", help="also firebase-admin send_each (500 threads per call)")
    parser.add_argument("--only", default="", help="only the paths whose name contains this")
    args = parser.parse_args()
    settings.FCM_SEND_THREADS = args.parallel
    process, url = start_standin(record="none")
    settings.FCM_ENDPOINT = url
    print(f"load average at start: {os.getloadavg()[0]:.2f}, {args.messages} messages per path, "
          f"{args.parallel} parallel", flush=True)
    try:
        app = fcm.get_app()
        fcm.messaging_service()  # apply the FCM_ENDPOINT seam
        batches = raw_messages(args.messages)
        paths: dict[str, Callable[[list[messaging.Message]], messaging.BatchResponse]] = {
            "pooled keep-alive sender, pycurl (product)": fcm.curl_sender().send_each,
            "keep-alive sender, urllib3 threads": fcm.keep_alive_sender().send_each,
            f"SDK session, {args.parallel} threads": SdkSessionThreads(args.parallel).send,
        }
        if args.send_each:
            paths["send_each"] = lambda batch: messaging.send_each(batch, app=app)
        for name, send in paths.items():
            if args.only in name:
                measure(name, send, batches, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
