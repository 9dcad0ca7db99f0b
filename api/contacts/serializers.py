from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from contacts.models import Contact
from work.casework import ContactDetails

from ..cases.serializers import (
    WORK_ITEM_FIELDS,
    PersonInSerializer,
    WorkItemSerializer,
    person_details,
)


class ContactInSerializer(serializers.Serializer):
    """A contact of a case, as the case named them."""

    person = PersonInSerializer()
    exposure_date = serializers.DateField(
        help_text="The last day they were exposed; not in the future."
    )
    exposure = serializers.ChoiceField(choices=Contact.Exposure.choices)

    def validate_exposure_date(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(
                "The exposure date cannot be in the future."
            )
        return value

    def to_details(self) -> ContactDetails:
        data = self.validated_data
        return ContactDetails(
            person=person_details(data["person"]),
            exposure_date=data["exposure_date"],
            exposure=data["exposure"],
        )


class ContactSerializer(WorkItemSerializer):
    case = serializers.IntegerField(source="case_id", read_only=True)

    class Meta:
        model = Contact
        fields = [*WORK_ITEM_FIELDS, "case", "person", "exposure_date", "exposure"]
        read_only_fields = fields
