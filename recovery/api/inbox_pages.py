"""Rendered pages of the care team's API inbox, kept per process under a key of everything they show.

The inbox is polled (by every dashboard tab and phone of a care team), and building a page of 50 cases was
most of a poll's CPU. A page is kept under: the request's URL (state, page or cursor; its links name the
host), the accepted media type, the language and time zone it is written in, and
recovery.selectors.inbox_version, a digest of the committed row versions of the cases the caller may see in
that state, their patients and their reports' links. A case opened, raised, acknowledged, resolved or passed
on, a report joining a case, a renamed patient: each writes such a row, so the next poll has another key and
its page is built afresh from the database. Nothing is invalidated by hand, so no write path can forget to.
Members who may see the same cases share a page; a member of another team sees other cases, so another
digest. What the digest does not cover (the staff names on a case, a report's text edited in the admin) is
at most INBOX_PAGE_SECONDS old (settings.CACHES["inbox_pages"]). The page remembers whose records it shows:
every answer, kept or built, is audited as before (recovery.services.records)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import caches
from django.http import HttpResponse
from django.utils import timezone, translation
from rest_framework.request import Request

CACHE = "inbox_pages"  # settings.CACHES: process-local memory


@dataclass(frozen=True)
class Page:
    """One answer of the inbox as sent: its body, its paging headers and the patients it shows."""

    body: bytes
    content_type: str
    headers: dict[str, str]
    patient_ids: tuple[int, ...]

    def response(self) -> HttpResponse:
        return HttpResponse(self.body, content_type=self.content_type, headers=self.headers)


def key(request: Request, version: str) -> str:
    parts = [version, request.build_absolute_uri(), str(request.accepted_media_type),
             translation.get_language() or "", timezone.get_current_timezone_name()]
    return "inbox-page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def page(request: Request, version: str | None, build: Callable[[], Page]) -> Page:
    """The page kept under this request's key, else `build()` (kept for the next poll). Without a
    version (not PostgreSQL) every page is built."""
    if version is None:
        return build()
    cache = caches[CACHE]
    name = key(request, version)
    found = cache.get(name)
    if found is None:
        found = build()
        cache.set(name, found)
    return found
