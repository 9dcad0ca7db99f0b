"""Phone numbers that work each answer out once.

django-phonenumber-field's PhoneNumber checks its validity against the numbering plan
every time it is asked, and it is asked often: to print the number, to take its
length, to test it for truth, by each validator, and twice when it is prepared for
the database. A result through intake asked some 14 times (a quarter of intake's
time). Phone answers each of those once per number (valid? which type of line?
its text in a given format) and forgets them if the number is changed in place.
(The API's field giving a Phone is the door's: api.fields.PhoneSerializerField.)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import phonenumbers
from django.core import validators
from phonenumber_field import modelfields
from phonenumber_field.phonenumber import PhoneNumber

_MEMO = "_answers"


class Phone(PhoneNumber):
    """A PhoneNumber whose validity, line type and formatted text are worked out
    once, until the number is changed."""

    def __setattr__(self, name: str, value: Any) -> None:
        if _MEMO in self.__dict__ and name != _MEMO:
            del self.__dict__[_MEMO]
        object.__setattr__(self, name, value)

    def _known(self) -> dict[Any, Any]:
        memo = self.__dict__.get(_MEMO)
        if memo is None:
            memo = {}
            object.__setattr__(self, _MEMO, memo)
        return memo

    def is_valid(self) -> bool:
        memo = self._known()
        if "valid" not in memo:
            memo["valid"] = phonenumbers.is_valid_number(self)
        return memo["valid"]

    def line_type(self) -> int:
        """phonenumbers.number_type: mobile, fixed line, ... (UNKNOWN if invalid)."""
        memo = self._known()
        if "type" not in memo:
            memo["type"] = phonenumbers.number_type(self)
        return memo["type"]

    def __str__(self) -> str:
        # Also its length and its truth (PhoneNumber's __len__ prints it): asked by
        # every validator, and by each `if phone`.
        memo = self._known()
        if "text" not in memo:
            memo["text"] = super().__str__()
        return memo["text"]

    def format_as(self, format: int) -> str:
        memo = self._known()
        if format not in memo:
            memo[format] = phonenumbers.format_number(self, format)
        return memo[format]


def phone_from(value: Any, region: str | None = None) -> Any:
    """phonenumber_field's to_python, making a Phone: None and "" as they are, a
    string parsed (kept as typed, raw_input, when it cannot be), a phonenumbers
    PhoneNumber copied into a Phone."""
    if value in validators.EMPTY_VALUES:
        return value
    if isinstance(value, Phone):
        return value
    if isinstance(value, str):
        try:
            return Phone.from_string(phone_number=value, region=region)
        except phonenumbers.NumberParseException:
            return Phone(raw_input=value)
    if isinstance(value, phonenumbers.PhoneNumber):
        phone = Phone()
        phone.merge_from(value)
        return phone
    raise TypeError(f"Can't convert {type(value).__name__} to a phone number.")


class _PhoneDescriptor(modelfields.PhoneNumberDescriptor):
    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.name] = phone_from(value, region=self.field.region)


class PhoneField(modelfields.PhoneNumberField):
    """The model field, holding a Phone."""

    attr_class = Phone
    descriptor_class = _PhoneDescriptor

    def to_python(self, value: Any) -> Any:
        return phone_from(value, region=self.region)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return phone_from(value)


@lru_cache(maxsize=16_384)
def national_text(stored: str | None) -> str:
    """A number as stored, in its country's national format as a caseworker reads it
    (`phone.as_national` of the number loaded from the database), "" for none. The
    same text for the same stored number, so a list showing many (My work, read on
    every visit) parses and formats each once per process, not each on every row of
    every request (a tenth of the page's time)."""
    phone = phone_from(stored)
    return phone.as_national if isinstance(phone, PhoneNumber) else ""
