"""Phone numbers as the service takes them: the one place that says what a good one is,
and, for one that is not, what to do about it."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

UK_PHONE_MESSAGE = "Enter a UK phone number, such as 07911 123456 or 0114 273 1234."
NOT_IN_USE_MESSAGE = "This number is not in use in the UK: check it with them."
MOBILE_LENGTH_MESSAGE = (
    "A UK mobile number has 11 digits, such as 07911 123456: check the number."
)
ABROAD_MESSAGE = (
    "This is not a UK number (it starts +{code}): give a UK number, or leave it to "
    "the local team."
)


def uk_phone_e164(raw: str) -> str:
    """A UK (+44) number, in international form; ValidationError otherwise, with a
    message that says what is wrong.

    +44 covers Great Britain and Northern Ireland, and the Crown Dependencies that
    share its numbering (some 07911 mobiles are Guernsey's).
    """
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException:
        raise ValidationError(UK_PHONE_MESSAGE, code="invalid_phone") from None
    valid = phonenumbers.is_valid_number(number)
    if number.country_code != 44:
        if valid:
            raise ValidationError(
                ABROAD_MESSAGE.format(code=number.country_code), code="abroad"
            )
        raise ValidationError(UK_PHONE_MESSAGE, code="invalid_phone")
    if not valid:
        digits = str(number.national_number)
        if digits.startswith("7") and len(digits) != 10:
            raise ValidationError(MOBILE_LENGTH_MESSAGE, code="mobile_length")
        if phonenumbers.is_possible_number(number):
            # Well formed, but in a range no operator has been given.
            raise ValidationError(NOT_IN_USE_MESSAGE, code="not_in_use")
        raise ValidationError(UK_PHONE_MESSAGE, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
