"""Pagination that keeps a list's body a plain JSON array, as shared/API.md writes some lists."""
from __future__ import annotations

from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class LinkHeaderPagination(PageNumberPagination):
    """Pages of the list, with the total in `X-Total-Count` and the neighbours in an RFC 8288 `Link` header."""

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
