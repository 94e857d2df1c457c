"""libpq options that turn a PostgreSQL server that stops answering into an error within seconds (settings).

No Django import: read by backend/settings.py while the settings are being built.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def hung_server_options(current: Mapping[str, Any], *, tcp_user_timeout_ms: int,
                        statement_timeout_ms: int) -> dict[str, Any]:
    """Connection options added to `current` (the OPTIONS already set, e.g. from DATABASE_URL, win):

    - TCP keepalives and `tcp_user_timeout`: a connection whose server went away without closing it (a
      network partition, a host that died) fails within about `tcp_user_timeout_ms` once a request is sent
      on it, and an idle one is found dead by the keepalive probes;
    - `statement_timeout` when `statement_timeout_ms` is set (gunicorn.conf.py sets it for web processes,
      below gunicorn's worker timeout): a statement waiting on a lock or an overloaded server is cancelled
      and the request answered 503 (backend/middleware.py), with its transaction rolled back. Workers,
      beat and `migrate` set none: a migration or the nightly prune may run longer.

    A server process stopped outright on the same host (SIGSTOP) is not caught: its kernel still
    acknowledges, and gunicorn's worker timeout is then the bound.
    """
    added: dict[str, Any] = {}
    for name, value in (("keepalives", 1), ("keepalives_idle", 30), ("keepalives_interval", 10),
                        ("keepalives_count", 3), ("tcp_user_timeout", tcp_user_timeout_ms)):
        if name not in current and value:
            added[name] = value
    if statement_timeout_ms > 0:
        added.update(server_settings(current, {"statement_timeout": str(statement_timeout_ms)}))
    return added


def server_settings(current: Mapping[str, Any], settings: Mapping[str, str]) -> dict[str, Any]:
    """libpq's `options` with `-c name=value` added for each of `settings` that `current["options"]` (from
    DATABASE_URL, which wins) does not set already; {} if there is nothing to add."""
    existing = str(current.get("options", "")).strip()
    named = set(re.findall(r"(?:-c\s*|--)([\w.]+)=", existing))  # "-c jit=on", "-cjit=on", "--jit=on"
    added = [f"-c {name}={value}" for name, value in settings.items() if name not in named]
    return {"options": " ".join([existing, *added]).strip()} if added else {}
