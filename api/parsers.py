"""JSON bodies read with limits: a size for each endpoint, and a nesting depth.

A body nested past API_MAX_JSON_DEPTH is refused with a 400 that says so, before
Python's parser could recurse on it; a body larger than its endpoint's limit (the
intake's API_INTAKE_MAX_BODY_BYTES, every other API_MAX_BODY_BYTES) is a JSON 413.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


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
            return json.loads(raw.decode(encoding), parse_constant=_no_constants)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from None


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")
