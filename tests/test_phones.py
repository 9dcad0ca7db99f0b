"""A phone number that will not do says what is wrong with it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from people.phones import (
    MOBILE_LENGTH_MESSAGE,
    NOT_IN_USE_MESSAGE,
    UK_PHONE_MESSAGE,
    uk_phone_e164,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07911 123456", "+447911123456"),
        ("+44 7911 123456", "+447911123456"),
        ("0114 273 1234", "+441142731234"),
        ("(0114) 273-1234", "+441142731234"),
    ],
)
def test_a_uk_number_is_stored_in_international_form(typed, stored):
    assert uk_phone_e164(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("07911 345678", NOT_IN_USE_MESSAGE),
        ("0791134567", MOBILE_LENGTH_MESSAGE),
        ("079113456789", MOBILE_LENGTH_MESSAGE),
        ("not a number", UK_PHONE_MESSAGE),
    ],
)
def test_a_number_that_will_not_do_says_why(typed, message):
    with pytest.raises(ValidationError) as refused:
        uk_phone_e164(typed)
    assert refused.value.messages == [message]


def test_a_number_from_abroad_says_where_it_is_from():
    with pytest.raises(ValidationError, match=r"starts \+33"):
        uk_phone_e164("+33 6 12 34 56 78")
