"""JSON bodies read with limits: a size for each endpoint, and a nesting depth.

A body nested past API_MAX_JSON_DEPTH is refused with a 400 that says so, before
Python's parser could recurse on it; a body larger than its endpoint's limit (the
intake's API_INTAKE_MAX_BODY_BYTES, every other API_MAX_BODY_BYTES) is a JSON 413.
Text that is not valid Unicode (a lone UTF-16 surrogate, "\\ud800", which Python's
JSON reader takes) is a 400 naming where it is, field by field as a serializer's
errors are: neither the reply repeating it could be written as UTF-8 nor PostgreSQL
store it, so it was a 500, after a batch's good items were saved. A list body sent
to a view that checks its items one by one (`unicode_checked_per_item`, the
intake's batch) is let through: that view reports the items holding such text as
invalid, with these same errors (unicode_errors), and saves the rest.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "body_too_large"


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, counted without parsing
    (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def body_limit_for(view: Any) -> int:
    return getattr(view, "max_body_bytes", None) or settings.API_MAX_BODY_BYTES


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = body_limit_for(parser_context.get("view"))
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge(
                f"The request body is over {limit // 1024} KB, the most this "
                "endpoint takes. Send less at a time."
            )
        if not raw:
            raise exceptions.ParseError("The request body is empty: send JSON.")
        max_depth = settings.API_MAX_JSON_DEPTH
        if json_depth(raw) > max_depth:
            raise exceptions.ParseError(
                f"The JSON is nested more than {max_depth} levels deep."
            )
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
            data = json.loads(text, parse_constant=_no_constants)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from None
        if isinstance(data, list) and getattr(
            parser_context.get("view"), "unicode_checked_per_item", False
        ):
            return data
        # Only an escape can carry a surrogate (a decoder refuses an encoded one), so
        # a body without one is not walked.
        if ESCAPED_SURROGATE.search(text) and (errors := unicode_errors(data)):
            if isinstance(errors, list):
                errors = {api_settings.NON_FIELD_ERRORS_KEY: errors}
            raise exceptions.ParseError(errors)
        return data


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
SURROGATE = re.compile("[\ud800-\udfff]")


def _not_unicode(found: str, what: str) -> str:
    return (
        f"{what} is not valid Unicode: \\u{ord(found):04x} is half of a UTF-16 "
        "pair, without its other half. Send the whole character, or leave it out."
    )


def unicode_errors(value: Any) -> Any:
    """Where a parsed JSON value holds text that is not valid Unicode (a lone
    surrogate), shaped as a serializer's errors are: a list of messages for a
    string; for an object, its keys' errors (a bad key under non_field_errors, as
    the reply cannot name it); for an array, its items' errors by index (as DRF's
    ListField). None when all of it is valid."""
    if isinstance(value, str):
        found = SURROGATE.search(value)
        return [_not_unicode(found.group(), "This text")] if found else None
    errors: dict[Any, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if found := SURROGATE.search(key):
                errors.setdefault(
                    api_settings.NON_FIELD_ERRORS_KEY,
                    [_not_unicode(found.group(), "A key of this object")],
                )
            elif (error := unicode_errors(item)) is not None:
                errors[key] = error
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (error := unicode_errors(item)) is not None:
                errors[index] = error
    return errors or None
