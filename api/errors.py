"""How the API answers errors: the codes a client expects, never a 500 for input."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from cases.errors import IllegalTransition
from work.casework import DuplicateContact
from work.errors import WorkRefused


class Conflict(exceptions.APIException):
    """A 409: its body is {"detail": ..., "code": ...} (api_exception_handler), the
    code one of CONFLICT_CODES, for a client to branch on rather than the English."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "That change is not allowed in the item's current state."
    default_code = "illegal_transition"


# The codes a 409 raised through the handler carries, as the schema lists them
# (api.schema): the person already a contact of the case (or the case themselves);
# a status that does not allow the change; the work refused by its rules (not
# yours to work, say); a rule the database keeps.
CONFLICT_CODES = (
    "duplicate_contact",
    "illegal_transition",
    "refused",
    "integrity_conflict",
)


class DatabaseUnavailable(exceptions.APIException):
    """The database went away mid-request: nothing of the request was committed."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = (
        "The database could not complete this request and nothing of it was saved. "
        "Send the whole request again."
    )
    default_code = "database_unavailable"
    retry_after_seconds = 30


class IdempotencyKeyReused(exceptions.APIException):
    """An Idempotency-Key sent again with a different call than the one it logged."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was used for a different call (another caller, "
        "outcome, call-back time, duration or notes): nothing was logged. Send a new "
        "key for a new call; the same request sent again with this key is answered "
        "with the call it logged."
    )
    default_code = "idempotency_key_reused"


class BatchTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Too many items in one request."
    default_code = "batch_too_large"


def api_exception_handler(exc, context):
    """DRF's handler, plus: IllegalTransition is 409, a Django ValidationError 400,
    a database constraint refusing the change 409, a value it cannot hold 400, a
    connection to the database lost 503 with Retry-After (the request's transaction
    went with it: nothing is reported saved that was not), a row gone while the
    request waited for it 404. A 409's body carries its `code` beside `detail`."""
    if isinstance(exc, WorkRefused):
        exc = Conflict(str(exc), code="refused")
    elif isinstance(exc, IllegalTransition):
        code = (
            "duplicate_contact"
            if isinstance(exc, DuplicateContact)
            else "illegal_transition"
        )
        exc = Conflict(str(exc), code=code)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, IntegrityError):
        # A rule the database keeps (a unique value, say) refused the change.
        exc = Conflict(
            "That conflicts with data already held.", code="integrity_conflict"
        )
    elif isinstance(exc, DataError):
        exc = exceptions.ValidationError(
            {"detail": "A value is out of range or too long."}
        )
    elif isinstance(exc, OperationalError | InterfaceError):
        exc = DatabaseUnavailable()
    elif isinstance(exc, ObjectDoesNotExist):
        # Gone while the request waited for it (merged into another record, say).
        exc = exceptions.NotFound(
            "It no longer exists (merged into another record, or erased) as this "
            "was sent: nothing was saved."
        )
    response = exception_handler(exc, context)
    if isinstance(exc, DatabaseUnavailable) and response is not None:
        response["Retry-After"] = str(DatabaseUnavailable.retry_after_seconds)
    if (
        response is not None
        and response.status_code == status.HTTP_409_CONFLICT
        and isinstance(response.data, dict)
        and "detail" in response.data
    ):
        # The machine code beside the message: DRF renders only `detail`, and a
        # client told only the English could not tell a duplicate from a closed case.
        response.data["code"] = getattr(
            response.data["detail"], "code", Conflict.default_code
        )
    return response
