"""Logging without health data or secrets: one JSON line per event, with the request id.

Query strings can carry health data (the dashboard's patient search `?q=<name>`), and the contract's
`DELETE /api/v1/devices/{token}/` puts a push token in the path. Every log line, ours, Django's,
gunicorn's access log and django-structlog's request events, goes through `scrub_text`, which drops
query strings and replaces a device token in a path with `[token]`.
"""
from __future__ import annotations

import logging
import re
from typing import Any

import structlog

DEVICE_TOKEN_IN_PATH = re.compile(r"(/api/v\d+/devices/)[^/\s?\"']+")
# A query string: from "?" up to the next blank, quote or end (a log line may hold a whole request line).
QUERY_STRING = re.compile(r"\?[^\s\"']*")
SCRUBBED_KEYS = ("event", "request", "path", "url", "referer", "http_referer")


def scrub_text(text: str) -> str:
    """`text` without query strings and with device tokens in API paths replaced."""
    text = DEVICE_TOKEN_IN_PATH.sub(r"\1[token]", text)
    return QUERY_STRING.sub("?[scrubbed]", text)


def scrub_event(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: scrub the event text and the request/path fields."""
    for key in SCRUBBED_KEYS:
        value = event_dict.get(key)
        if isinstance(value, str):
            event_dict[key] = scrub_text(value)
    return event_dict


class ScrubFilter(logging.Filter):
    """Scrubs a standard-library record's message and arguments before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            try:
                record.msg = record.getMessage()
            except (TypeError, ValueError):
                record.msg = str(record.msg)
            record.args = None
        if isinstance(record.msg, str):
            record.msg = scrub_text(record.msg)
        return True


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    scrub_event,
]


def logging_config(level: str, *, json: bool = True) -> dict[str, Any]:
    """The LOGGING dict: every record (stdlib or structlog) leaves as one scrubbed JSON line on stderr."""
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"scrub": {"()": "backend.logs.ScrubFilter"}},
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
                "foreign_pre_chain": SHARED_PROCESSORS,
            },
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["scrub"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own request and runserver loggers propagate to the root handler (scrubbed there).
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


def configure_structlog() -> None:
    """structlog hands its events to the standard library, so the LOGGING handlers render them."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
