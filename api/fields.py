"""Fields of the API's own."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from phonenumber_field import serializerfields
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from people.phone_field import Phone, phone_from
from people.phones import UK_PHONE_MESSAGE, uk_phone_e164


class PhoneSerializerField(serializerfields.PhoneNumberField):
    """django-phonenumber-field's field, giving a Phone (people.phone_field): a
    number checked valid here is not checked again as it is matched and saved."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Phone):
            phone = data
        else:
            text = serializers.CharField.to_internal_value(self, data)
            phone = phone_from(text, region=self.region)
        if phone and not phone.is_valid():
            raise ValidationError(self.error_messages["invalid"])
        return phone


class UKPhoneSerializerField(PhoneSerializerField):
    """A UK number, one that is not refused in people.phones' words (what is wrong
    with it, as the pages refuse it), not the field's "Enter a valid phone
    number."."""

    default_error_messages = {"invalid": UK_PHONE_MESSAGE}

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except ValidationError:
            if isinstance(data, str):
                try:
                    uk_phone_e164(data)
                except DjangoValidationError as exc:
                    raise ValidationError(exc.messages) from None
            raise
