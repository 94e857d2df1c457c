"""Which language a patient-facing text is written in.

Staff pages stay in English whatever the browser asks for; a patient's texts (advice, pushes, plan,
education, messages) are written in the patient's own `language`, chosen at activation from the
phone's Accept-Language and changed with PATCH /api/v1/me/.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from recovery import access

SUPPORTED = tuple(code for code, _name in settings.LANGUAGES)


def supported_language(code: str | None) -> str:
    """`code` (or its base language, "es-MX" -> "es") if supported, else the default language."""
    if code:
        base = code.lower().split("-")[0]
        if base in SUPPORTED:
            return base
    return settings.LANGUAGE_CODE


def language_from_accept_header(header: str) -> str:
    """The first supported language of an Accept-Language header, by preference; else the default."""
    for code, _quality in parse_accept_lang_header(header or ""):
        base = code.lower().split("-")[0]
        if base in SUPPORTED:
            return base
    return settings.LANGUAGE_CODE


def activate_phone_language(request: HttpRequest) -> None:
    """No login known yet (or a refused one): answer in the phone's language (Accept-Language)."""
    translation.activate(language_from_accept_header(request.headers.get("Accept-Language", "")))


@contextmanager
def patient_language(language: str | None) -> Iterator[None]:
    """Write texts for a patient in their language (e.g. pushes built by a worker)."""
    with translation.override(supported_language(language)):
        yield


class DefaultLanguageMiddleware:
    """Every request starts in the default language and leaves no language behind on the thread."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with translation.override(settings.LANGUAGE_CODE):
            return self.get_response(request)


def device_owner_language(user: Any) -> str | None:
    """The language the device API answers `user` in (settings.PUSH_DEVICE_OWNER_LANGUAGE): a patient's own;
    None for the care team, whose texts stay in the default language."""
    return user.patient.text_language if access.is_patient(user) else None
