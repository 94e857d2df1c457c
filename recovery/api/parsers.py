"""The API's JSON parser: DRF's, refusing bodies nested deeper than any payload of the contract, and text
that is not text.

Python's json module recurses per nesting level, so a body nested a few thousand levels deep raised
RecursionError (a 500) before any serializer saw it. Here it is a 400: naming the top-level field whose
value is too deep, or `non_field_errors` when the body is too deep to be decoded at all.

JSON may also carry a lone UTF-16 surrogate ("\\ud800"), which no UTF-8 text holds: an error message
repeating such a value (an unknown choice, time zone or country) could not be rendered (a 500), and
PostgreSQL refuses to store it. Here it is a 400 naming the top-level field that holds it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError

from recovery.api.errors import BoundedJSONParser

# The deepest payload of shared/API.md is two levels (enrollment's `pump` object); a generous bound.
MAX_JSON_DEPTH = 20


def too_deep() -> str:
    """The message, in the language of the request (the patient's on the patient API)."""
    return gettext("The JSON body is nested too deeply (at most %(levels)s levels).") % {"levels": MAX_JSON_DEPTH}


def not_text() -> str:
    return gettext("Not valid text: it holds an unpaired UTF-16 surrogate (a \\ud800-\\udfff escape).")


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


def holds_unpaired_surrogate(value: Any) -> bool:
    """Whether any string in `value` (keys included) cannot be encoded as UTF-8; iterative, as nesting_depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONParser(BoundedJSONParser):
    """The API's JSON parser (size-bounded, recovery.api.errors) with a nesting limit (see the module
    docstring)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ValidationError({"non_field_errors": [too_deep()]}) from exc
        body: Any = data
        if isinstance(body, dict):
            deep_keys = [key for key, value in body.items() if nesting_depth(value) >= MAX_JSON_DEPTH]
            if deep_keys:
                raise ValidationError({key: [too_deep()] for key in deep_keys})
        elif nesting_depth(body) > MAX_JSON_DEPTH:
            raise ValidationError({"non_field_errors": [too_deep()]})
        if holds_unpaired_surrogate(body):
            named = isinstance(body, dict) and not holds_unpaired_surrogate(list(body))
            fields = [key for key, value in body.items() if holds_unpaired_surrogate(value)] if named else []
            raise ValidationError({key: [not_text()] for key in fields or ["non_field_errors"]})
        return body
