"""Pagination of the API's lists.

Newest-first lists of records that keep arriving (check-ins, messages) page by cursor: the `next` link
names the last record seen, so a record stored between two fetches never shifts a page and is never
repeated or skipped. The body keeps the contract's `results` and `next` (and `count`, `previous`).
The inbox is a plain JSON array (shared/API.md): its links travel in an RFC 8288 `Link` header with the
total in `X-Total-Count`, by page number for the open inbox (its order, unacknowledged first then most
severe, moves under a cursor as cases are acknowledged) and by cursor for the history (resolved, all).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.response import Response

NULLABLE_URI = {"type": ["string", "null"], "format": "uri"}


class CheckedCursorPagination(CursorPagination):
    """DRF's cursor pages, refusing a cursor whose position is not a value of the ordering's first field
    (DRF puts it straight into the filter: a crafted `?cursor=` such as a NUL or "abc" for a time was a 500)
    with DRF's own answer to a bad cursor, 404 "Invalid cursor"."""

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        self.count = queryset.count()
        self.position_field = queryset.model._meta.get_field(self.ordering[0].lstrip("-"))
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Any) -> Cursor | None:
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and not self.is_position(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def is_position(self, position: Any) -> bool:
        """Whether the position is a value of the field (and no NUL, which PostgreSQL text cannot hold)."""
        try:
            self.position_field.to_python(position)
        except ValidationError:
            return False
        return "\x00" not in str(position)


class NewestFirstCursorPagination(CheckedCursorPagination):
    """Newest first by creation time; ties broken by id (the cursor keeps its place among equal times)."""

    ordering = ("-created_at", "-id")
    page_size = 50

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response({"count": self.count, "next": self.get_next_link(),
                         "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "description": "How many records the whole list holds."},
                "next": {**NULLABLE_URI, "description": "The following (older) page; null on the last page."},
                "previous": {**NULLABLE_URI, "description": "The preceding (newer) page; null on the first page."},
                "results": schema,
            },
        }


class PagePagination(PageNumberPagination):
    """Page numbers for lists that are not a stream of new records (the surgeon's patients)."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer"},
                "next": NULLABLE_URI,
                "previous": NULLABLE_URI,
                "results": schema,
            },
        }


def _link_header_response(data: list[Any], total: int, next_url: str | None, prev_url: str | None) -> Response:
    """The page as a plain JSON array; its neighbours in `Link`, the total in `X-Total-Count`."""
    links = [f'<{url}>; rel="{rel}"' for rel, url in (("next", next_url), ("prev", prev_url)) if url]
    headers = {"X-Total-Count": str(total)}
    if links:
        headers["Link"] = ", ".join(links)
    return Response(data, headers=headers)


class LinkHeaderPagination(PageNumberPagination):
    """Pages of the list by number, with the total in `X-Total-Count` and the neighbours in an RFC 8288 `Link`
    header (shared/API.md writes the inbox as a plain JSON array)."""

    def get_paginated_response(self, data: list[Any]) -> Response:
        total = self.page.paginator.count if self.page is not None else len(data)
        return _link_header_response(data, total, self.get_next_link(), self.get_previous_link())

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return schema


class LinkHeaderCursorPagination(CheckedCursorPagination):
    """DRF's cursor pages of a newest-first list whose order never changes under the reader (a record only
    ever joins at the top), as a plain JSON array with the cursor links in `Link` and the total in
    `X-Total-Count`. `ordering` is given per list: its first field must never change once a record is in it."""

    def __init__(self, ordering: Sequence[str]) -> None:
        self.ordering = tuple(ordering)

    def get_paginated_response(self, data: list[Any]) -> Response:
        return _link_header_response(data, self.count, self.get_next_link(), self.get_previous_link())

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return schema
