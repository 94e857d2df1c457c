"""The API's JSON parser: DRF's, refusing bodies nested deeper than any payload of the contract.

Python's json module recurses per nesting level, so a body nested a few thousand levels deep raised
RecursionError (a 500) before any serializer saw it. Here it is a 400: naming the top-level field whose
value is too deep, or `non_field_errors` when the body is too deep to be decoded at all.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ValidationError

from recovery.api.errors import BoundedJSONParser

# The deepest payload of shared/API.md is two levels (enrollment's `pump` object); a generous bound.
MAX_JSON_DEPTH = 20
TOO_DEEP = f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."


def nesting_depth(value: Any) -> int:
    """How many levels of objects and arrays `value` has (0 for a scalar); iterative, so never recursing."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        children = list(item.values()) if isinstance(item, dict) else item
        deepest = max(deepest, depth + 1)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(BoundedJSONParser):
    """The API's JSON parser (size-bounded, recovery.api.errors) with a nesting limit (see the module
    docstring)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ValidationError({"non_field_errors": [TOO_DEEP]}) from exc
        body: Any = data
        if isinstance(body, dict):
            too_deep = [key for key, value in body.items() if nesting_depth(value) >= MAX_JSON_DEPTH]
            if too_deep:
                raise ValidationError({key: [TOO_DEEP] for key in too_deep})
        elif nesting_depth(body) > MAX_JSON_DEPTH:
            raise ValidationError({"non_field_errors": [TOO_DEEP]})
        return body
