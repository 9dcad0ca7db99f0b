"""Fields of the API's own."""

from __future__ import annotations

from typing import Any

from phonenumber_field import serializerfields
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from people.phone_field import Phone, phone_from


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
