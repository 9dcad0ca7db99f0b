"""The error handler: what the services raise becomes the status a client expects."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError

from api.errors import api_exception_handler
from cases.errors import IllegalTransition
from work.casework import DuplicateContact


def handle(exc):
    return api_exception_handler(exc, {})


def test_illegal_transition_is_409_with_its_message():
    response = handle(IllegalTransition("This case is closed: it cannot be called."))
    assert response.status_code == 409
    assert response.data["detail"] == "This case is closed: it cannot be called."
    assert response.data["detail"].code == "illegal_transition"


def test_duplicate_contact_is_409_with_its_own_code():
    response = handle(DuplicateContact("Sam is already a contact of this case."))
    assert response.status_code == 409
    assert response.data["detail"].code == "duplicate_contact"


def test_django_validation_error_is_400_by_field():
    response = handle(ValidationError({"phone": ["Enter a valid phone number."]}))
    assert response.status_code == 400
    assert response.data == {"phone": ["Enter a valid phone number."]}


def test_integrity_error_is_409():
    assert handle(IntegrityError("duplicate key")).status_code == 409


def test_data_error_is_400():
    assert handle(DataError("value too long")).status_code == 400
