"""Pagination of the API's lists.

Newest-first lists of records that keep arriving (check-ins, messages) page by cursor: the `next` link
names the last record seen, so a record stored between two fetches never shifts a page and is never
repeated or skipped. The body keeps the contract's `results` and `next` (and `count`, `previous`).
"""
from __future__ import annotations

from typing import Any

from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

NULLABLE_URI = {"type": ["string", "null"], "format": "uri"}


class NewestFirstCursorPagination(CursorPagination):
    """Newest first by creation time; ties broken by id (the cursor keeps its place among equal times)."""

    ordering = ("-created_at", "-id")
    page_size = 50

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        self.count = queryset.count()
        return super().paginate_queryset(queryset, request, view)

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


class LinkHeaderPagination(PageNumberPagination):
    """Pages of the list, with the total in `X-Total-Count` and the neighbours in an RFC 8288 `Link` header
    (shared/API.md writes the inbox as a plain JSON array)."""

    def get_paginated_response(self, data: list[Any]) -> Response:
        links = [f'<{url}>; rel="{rel}"' for rel, url in (("next", self.get_next_link()),
                                                          ("prev", self.get_previous_link())) if url]
        total = self.page.paginator.count if self.page is not None else len(data)
        headers = {"X-Total-Count": str(total)}
        if links:
            headers["Link"] = ", ".join(links)
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return schema
