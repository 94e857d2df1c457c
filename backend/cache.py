"""The Redis cache with a process-local stand-in for when Redis does not answer.

The cache holds rate-limit counters (login, refresh, activation) and the dashboard's form-submission
claims: nothing that must survive an outage, but requests that must not answer 500 during one. When a
Redis call fails or times out, this backend answers from a local-memory cache of the process for
`RETRY_AFTER` seconds before trying Redis again, so during an outage only one request per process pays
the (short) socket timeout. Rate limits therefore stay in force, per process instead of shared: auth
stays throttled (safe), never unthrottled, and nothing answers 500.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_AFTER = 10.0  # seconds the local cache answers alone after a Redis failure
REDIS_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisCacheWithLocalFallback(RedisCache):
    """django's RedisCache; while Redis is unreachable, a LocMemCache of this process answers instead."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._local = LocMemCache(f"redis-fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def redis_is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not self.redis_is_down:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except REDIS_UNAVAILABLE as exc:
                with self._lock:
                    first = not self.redis_is_down
                    self._down_until = time.monotonic() + RETRY_AFTER
                if first:
                    logger.warning("Redis cache unavailable (%s); using this process's local cache for %ss",
                                   type(exc).__name__, RETRY_AFTER)
        return getattr(self._local, name)(*args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> None:
        return self._call("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> dict:
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> int:
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> list:
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        return self._call("delete_many", *args, **kwargs)

    def clear(self) -> None:
        self._local.clear()
        return self._call("clear")


def with_redis_timeouts(cache: dict[str, Any], timeout: float) -> dict[str, Any]:
    """A CACHES entry: a Redis cache gets this backend and short connect/socket timeouts; others unchanged."""
    if cache.get("BACKEND") != "django.core.cache.backends.redis.RedisCache":
        return cache
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout, **cache.get("OPTIONS", {})}
    return {**cache, "BACKEND": "backend.cache.RedisCacheWithLocalFallback", "OPTIONS": options}

