"""Phone numbers as the service takes them: the one place that says what a good one is."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

UK_PHONE_MESSAGE = "Enter a UK phone number, such as 07400 123456 or 0114 496 0000."


def uk_phone_e164(raw: str) -> str:
    """A UK (+44) number, in international form; ValidationError otherwise.

    +44 covers Great Britain and Northern Ireland, and the Crown Dependencies that
    share its numbering (some 07911 mobiles are Guernsey's).
    """
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or number.country_code != 44
    ):
        raise ValidationError(UK_PHONE_MESSAGE, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
