"""POST /api/v1/notify/receipts/: GOV.UK Notify's delivery receipts (its callback).

Notify sends `Authorization: Bearer <NOTIFY_CALLBACK_TOKEN>` (the token set in its
callback settings) and a JSON body: {"id": <notification id>, "reference": <our key>,
"status": "delivered" | "permanent-failure" | "temporary-failure" |
"technical-failure", "completed_at": ..., ...}. It is not an API client: it has no
session and no client token, so this plain view checks its own bearer token and
nothing else. Answers: 204 recorded; 400 with a reason per field; 401 without the
token; 404 for a notification we never sent; 503 while no token is configured.
"""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from clock import moment_of
from notify.services import receipt_record

from .parsers import json_depth, unicode_errors


def _json(status: int, body: dict[str, Any], **headers: str) -> JsonResponse:
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _authorised(request: HttpRequest, expected: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


# A receipt's time: not before GOV.UK Notify sent its first message, nor later than
# now (an hour's leeway for the two clocks).
EARLIEST_RECEIPT = datetime(2016, 1, 1, tzinfo=UTC)
CLOCK_LEEWAY = timedelta(hours=1)


def _receipt_time(value: Any) -> datetime | None:
    """`completed_at` as a time we can hold, or None: a date and time with its time
    zone, between EARLIEST_RECEIPT and now. (An offset can carry 9999-12-31 past the
    last year Python holds: it was stored, and every page drawing the message
    failed.)"""
    at = moment_of(value, naive_is_local=False) if isinstance(value, str) else None
    if at is None or not EARLIEST_RECEIPT <= at <= timezone.now() + CLOCK_LEEWAY:
        return None
    return at


def _receipt(body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The receipt's fields we use, and what is wrong with it, by field.

    Text that is not valid Unicode (a lone surrogate, "\\ud800") is refused in any
    field, used or not, as the API's parser refuses it: PostgreSQL could not look
    it up, and it was a 500."""
    if not isinstance(body, dict):
        return {}, {"non_field_errors": ["Send a JSON object."]}
    errors: dict[str, Any] = unicode_errors(body) or {}
    fields: dict[str, Any] = {}
    for name in ("id", "status"):
        if name in errors:
            continue
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            errors[name] = ["This field is required: a non-empty string."]
        elif len(value) > 100:
            errors[name] = ["At most 100 characters."]
        elif "\x00" in value:
            errors[name] = ["Null characters are not allowed."]
        else:
            fields[name] = value.strip()
    completed = body.get("completed_at")
    if completed not in (None, "") and "completed_at" not in errors:
        at = _receipt_time(completed)
        if at is None:
            errors["completed_at"] = [
                "Give a date and time with its time zone, from 2016 up to now."
            ]
        else:
            fields["at"] = at
    return fields, errors


@csrf_exempt
def notify_receipt(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _json(405, {"detail": "Only POST is allowed."}, Allow="POST")
    expected = settings.NOTIFY_CALLBACK_TOKEN
    if not expected:
        return _json(
            503,
            {
                "detail": "Delivery receipts are not taken: NOTIFY_CALLBACK_TOKEN is "
                "not set."
            },
        )
    if not _authorised(request, expected):
        return _json(
            401,
            {"detail": "Give the callback's bearer token (Authorization: Bearer ...)."},
            **{"WWW-Authenticate": 'Bearer realm="notify-receipts"'},
        )
    try:
        raw = request.body
    except RequestDataTooBig:
        return _json(413, {"detail": "The request body is too large."})
    if len(raw) > settings.API_MAX_BODY_BYTES:
        return _json(413, {"detail": "The request body is too large."})
    if json_depth(raw) > settings.API_MAX_JSON_DEPTH:
        return _json(400, {"non_field_errors": ["The JSON is nested too deeply."]})
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return _json(400, {"non_field_errors": [f"The body is not JSON: {exc}"]})
    fields, errors = _receipt(body)
    if errors:
        return _json(400, errors)
    message = receipt_record(
        provider_id=fields["id"], status=fields["status"], at=fields.get("at")
    )
    if message is None:
        return _json(404, {"detail": "No message was sent with that id."})
    return HttpResponse(status=204)
