"""Request bodies that refuse a key they do not read, as the lists refuse a query
parameter they do not have (api.filters.refuse_unknown_parameters): nothing sent
is ever ignored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

UNKNOWN_FIELD = "Unknown field: not one this API reads."


class StrictSerializer(serializers.Serializer):
    """A request body that is a 400 for any key it does not define, naming each
    beside the others' reasons (a nested one under its field: person -> dob).

    Ignored, a misspelt key (symptom_onset_date, a person's mobile) was a 201 with
    the value lost: a routine case with no phone and no postcode. A read-only
    field's key is taken, and ignored, as DRF does: these bodies declare none, so
    an output field echoed back (a case's `id`) is refused like any other."""

    def unknown_fields(self, data: Any) -> dict[str, list[str]]:
        if not isinstance(data, Mapping):
            return {}
        return {str(key): [UNKNOWN_FIELD] for key in data if key not in self.fields}

    def to_internal_value(self, data: Any) -> Any:
        unknown = self.unknown_fields(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class StrictSerializerSchema(OpenApiSerializerExtension):
    """The schema says so: a request body of a StrictSerializer has
    `additionalProperties: false`."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema
