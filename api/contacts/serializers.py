from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.db.models.manager import BaseManager
from django.utils import timezone
from rest_framework import serializers

from areas.postcode_check import postcode_known
from contacts.models import Contact, Exposure
from people.phone_field import Phone
from people.phones import uk_phone_e164
from work.casework import ContactDetails
from work.result_rules import MAX_LENGTH
from work.rules import exposure_date_problem

from ..cases.serializers import (
    WORK_ITEM_FIELDS,
    PersonInSerializer,
    WorkItemSerializer,
    person_details,
)
from ..fields import UKPhoneSerializerField
from ..strict import StrictSerializer

PHONE_REQUIRED = "Give a phone number: call handlers phone contacts."
POSTCODE_REQUIRED = "Give their postcode: it routes them to their area."


class ContactPersonInSerializer(PersonInSerializer):
    """A contact as the case named them. As the case page's contacts form asks: a
    UK phone number to call them on, and a postcode the directory holds to route
    them to their local team. A key it does not define is refused."""

    # Its own schema component (ContactPersonInRequest), not the intake's person:
    # what /api/schema/ says is required is what is refused without it.

    # A number that is none is refused in the case page's words (people.phones).
    phone = UKPhoneSerializerField(
        max_length=MAX_LENGTH["phone"],
        help_text="Required: a UK number (+44), such as 07911 123456 or "
        "+44 114 496 0555; a number abroad is refused, as call handlers phone UK "
        "numbers only.",
        error_messages={
            "required": PHONE_REQUIRED,
            "blank": PHONE_REQUIRED,
            "null": PHONE_REQUIRED,
        },
    )
    postcode = serializers.CharField(
        max_length=MAX_LENGTH["postcode"],
        help_text="Required: a UK postcode the postcode directory holds, such as "
        "S1 2HE; one of the right form the directory does not know is refused, as "
        "it would route them to no area.",
        error_messages={
            "required": POSTCODE_REQUIRED,
            "blank": POSTCODE_REQUIRED,
            "null": POSTCODE_REQUIRED,
        },
    )

    def validate_phone(self, value: Phone) -> Phone:
        try:
            uk_phone_e164(str(value))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value

    def validate_postcode(self, value: str) -> str:
        postcode = super().validate_postcode(value)
        # In the directory, as the case page and the online forms ask: one of the
        # right form but unknown (a typo) would leave them with no area. The case's
        # own postcode is taken though the directory lacks it (those at home with
        # them live there): the view gives it.
        try:
            postcode_known(postcode, held=self.context.get("held_postcode", ""))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return postcode


class ContactInSerializer(StrictSerializer):
    """A contact of a case, as the case named them: a key it does not define is
    refused."""

    person = ContactPersonInSerializer()
    exposure_date = serializers.DateField(
        help_text="The last day they were exposed; not in the future."
    )
    exposure = serializers.ChoiceField(choices=Contact.Exposure.choices)

    def validate_exposure_date(self, value):
        # The case's own period is the operation's to check (work.casework).
        if problem := exposure_date_problem(
            day=value, case=None, today=timezone.localdate()
        ):
            raise serializers.ValidationError(problem)
        return value

    def to_details(self) -> ContactDetails:
        data = self.validated_data
        return ContactDetails(
            person=person_details(data["person"]),
            exposure_date=data["exposure_date"],
            exposure=data["exposure"],
        )


# The contact's latest exposure, read with it (with_last_exposure).
LAST_DATE, LAST_KIND = "last_exposure_date", "last_exposure"


def with_last_exposure(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    """The contacts, each with its latest exposure's day and kind (LAST_DATE,
    LAST_KIND): of its own case's naming and each further one (an Exposure row, by
    the index leading with the contact), the latest; of two the same day, the one
    by the case with the lower lab reference, as the call handler's page picks it
    (pages.desk.contacts: contact_exposures, sorted by day then reference, and the
    first of the latest day). Two subqueries a row of the page, no row more."""
    contact = "contact__"
    later = (
        Exposure.objects.filter(contact=OuterRef("pk"))
        .filter(
            Q(exposure_date__gt=F(f"{contact}exposure_date"))
            | Q(
                exposure_date=F(f"{contact}exposure_date"),
                case__lab_reference__lt=F(f"{contact}case__lab_reference"),
            )
        )
        .order_by("-exposure_date", "case__lab_reference")
    )
    return contacts.annotate(
        **{
            LAST_DATE: Coalesce(
                Subquery(later.values("exposure_date")[:1]), F("exposure_date")
            ),
            LAST_KIND: Coalesce(Subquery(later.values("exposure")[:1]), F("exposure")),
        }
    )


def _read_last_exposures(contacts: Iterable[Contact]) -> None:
    """Set LAST_DATE and LAST_KIND on those of the contacts read without them (by
    get_object, or made by the operation), in one query."""
    missing = {c.pk: c for c in contacts if not hasattr(c, LAST_DATE)}
    if not missing:
        return
    rows = (
        with_last_exposure(Contact.objects.filter(pk__in=list(missing)))
        .order_by()
        .values_list("pk", LAST_DATE, LAST_KIND)
    )
    for pk, day, kind in rows:
        setattr(missing[pk], LAST_DATE, day)
        setattr(missing[pk], LAST_KIND, kind)


class ContactListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        contacts = list(data.all() if isinstance(data, BaseManager) else data)
        _read_last_exposures(contacts)
        return super().to_representation(contacts)


class ContactSerializer(WorkItemSerializer):
    """A contact. One person is one contact to call however many cases name them:
    `case` is the case that named them first, and `exposure_date` and `exposure`
    are their latest exposure of every case's naming (the one their
    `isolation_ends_on` is reckoned from, unless a clinician changed it)."""

    case = serializers.IntegerField(
        source="case_id",
        read_only=True,
        help_text="Id of the case that named them first. A case that named them "
        "again later lists them too (`?case=`), and this contact is theirs: one "
        "person is one contact to call however many cases name them.",
    )
    exposure_date = serializers.DateField(
        source=LAST_DATE,
        read_only=True,
        help_text="The last day they were exposed: the latest day of every case's "
        "naming of them (the first `case`'s and any later one's).",
    )
    exposure = serializers.ChoiceField(
        source=LAST_KIND,
        choices=Contact.Exposure.choices,
        read_only=True,
        help_text="How they were exposed on `exposure_date`, as the latest naming "
        "gives it.",
    )

    class Meta:
        model = Contact
        fields = [*WORK_ITEM_FIELDS, "case", "person", "exposure_date", "exposure"]
        read_only_fields = fields
        list_serializer_class = ContactListSerializer

    def to_representation(self, instance: Contact) -> dict:
        _read_last_exposures([instance])
        return super().to_representation(instance)


class ContactReceiptSerializer(serializers.Serializer):
    """A contact added or joined that the caller may not see (another case's
    contact held elsewhere, or outside the client's areas): its id, whether this
    exposure joined it, and until when the person now isolates; nothing else of
    the person or of the case that named them first."""

    id = serializers.IntegerField(help_text="The contact's id.")
    joined = serializers.BooleanField(
        help_text="True: the person was already a contact of another case, and this "
        "exposure was added to that contact."
    )
    isolation_ends_on = serializers.DateField(
        help_text="The last day of their isolation, after this exposure."
    )
    detail = serializers.CharField()


def contact_receipt_answer(contact: Contact) -> dict:
    """The answer for a contact added or joined that the caller may not see."""
    if contact.joined is not None:
        detail = (
            "This person is already a contact of another case: this exposure was "
            "added to their record (isolating until "
            f"{contact.isolation_ends_on:%d %B %Y}). That contact is not yours to "
            "see, so nothing else of it is shown."
        )
    else:
        detail = (
            "The contact was added. It is outside what you may see, so nothing "
            "else of it is shown."
        )
    return ContactReceiptSerializer(
        {
            "id": contact.pk,
            "joined": contact.joined is not None,
            "isolation_ends_on": contact.isolation_ends_on,
            "detail": detail,
        }
    ).data
