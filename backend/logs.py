"""Logging without health data or secrets: one JSON line per event, with the request id.

Query strings can carry health data (the dashboard's patient search `?q=<name>`), and the contract's
`DELETE /api/v1/devices/{token}/` puts a push token in the path. Every log line, ours, Django's,
gunicorn's access log and django-structlog's request events, goes through `scrub_text`, which drops
query strings and replaces a device token in a path with `[token]`.
"""
from __future__ import annotations

import logging
import re
import sys
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


# Where the database errors come from: their messages can quote stored values (PostgreSQL's DETAIL "Failing
# row contains (...)" of a check constraint, "invalid input syntax ...: <value>"), so no log line repeats them.
DATABASE_ERROR_MODULES = ("django.db", "psycopg")
WITHHELD = "message withheld: a database error's text can quote stored values"


def is_database_error(error: BaseException) -> bool:
    return type(error).__module__.startswith(DATABASE_ERROR_MODULES)


def database_error_chain(exc_info: Any) -> list[BaseException]:
    """The links of `exc_info`'s exception chain (the exception, its cause or context, ...) when one of them is a
    database error; [] when none is (or `exc_info` is no exception tuple)."""
    if not isinstance(exc_info, tuple) or len(exc_info) != 3 or not isinstance(exc_info[1], BaseException):
        return []
    links: list[BaseException] = []
    current: BaseException | None = exc_info[1]
    while current is not None and current not in links:
        links.append(current)
        current = current.__cause__ or current.__context__
    return links if any(is_database_error(link) for link in links) else []


def database_error_texts(exc_info: Any) -> list[str]:
    """The str() and repr() of each link of `exc_info`'s chain, if the chain holds a database error, longest
    first (so that a text quoting another is replaced whole)."""
    texts = {text for link in database_error_chain(exc_info) for text in (str(link), repr(link)) if len(text) > 3}
    return sorted(texts, key=len, reverse=True)


class WithheldDatabaseError(Exception):
    """Stands in, in a log record, for an exception chain holding a database error: names and SQLSTATE kept,
    messages dropped; the traceback is the original's."""


def without_database_messages(exc_info: Any) -> Any:
    """`exc_info` (a tuple) as is, or, when its chain holds a database error, with every message withheld."""
    links = database_error_chain(exc_info)
    if not links:
        return exc_info
    names = " <- ".join(
        type(link).__name__ + (f" (SQLSTATE {state})" if (state := getattr(link, "sqlstate", None)) else "")
        for link in links
    )
    stand_in = WithheldDatabaseError(f"{names}; {WITHHELD}")
    stand_in.__suppress_context__ = True
    return (WithheldDatabaseError, stand_in.with_traceback(exc_info[2]), exc_info[2])


class ScrubFilter(logging.Filter):
    """Scrubs a standard-library record's message and arguments before any handler formats it, and withholds
    the text of a database error it carries (without_database_messages)."""

    def filter(self, record: logging.LogRecord) -> bool:
        quoted: list[str] = []  # a database error's text, as a message may quote it too (Celery's task failure)
        if record.exc_info:
            quoted = database_error_texts(record.exc_info)
            record.exc_info = without_database_messages(record.exc_info)
            record.exc_text = None
        if isinstance(record.msg, dict) and record.msg.get("exc_info"):  # a structlog event
            exc_info = record.msg["exc_info"]
            if exc_info is True:
                exc_info = sys.exc_info()
            elif isinstance(exc_info, BaseException):
                exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
            record.msg["exc_info"] = without_database_messages(exc_info)
        if record.args:
            try:
                record.msg = record.getMessage()
            except (TypeError, ValueError):
                record.msg = str(record.msg)
            record.args = None
        if isinstance(record.msg, str):
            for text in quoted:
                record.msg = record.msg.replace(text, f"[{WITHHELD}]")
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
