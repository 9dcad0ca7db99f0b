"""A person's details corrected over the API, by the case or contact being worked:
PATCH /api/v1/cases/{id}/person/ and /api/v1/contacts/{id}/person/, the same
operation as the pages' "Their details" (work.person_details.person_details_correct),
from "api".

Who may is decided before the body is read, as the item endpoints decide it: an item
the caller may not see is a 404, one they see and may not work (a case in a local
team's areas that is not with it, a caseworker's contact) a 403 with the reason.
An item with its local team is corrected by whoever may work its open escalation (a
client bound to the team, a member of the team signed in, a national client, an
administrator), as on the escalation's page (work.person_details.
details_correct_refusal). Then the body: only the details sent are given, and a key
it does not read, or a value the operation refuses, is a 400 by field; an item
withdrawn or closed, with its local team (for anyone else who works it), or sent
back or closed by the team since is a 409."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case
from cases.workitem import WorkItem
from contacts.models import Contact
from people.models import Person
from work.access.actor import Actor
from work.access.cases import get_case_for
from work.access.contacts import get_contact_for
from work.person_details import (
    API,
    BAD_DATE,
    DETAILS,
    DetailsCorrected,
    details_correct_refusal,
    person_details_correct,
    person_details_problems,
)

from .access import actor_of
from .permissions import CaseworkScope
from .strict import StrictSerializer

# The pages' reason (the operation's BAD_DATE), its example a date as the API reads
# one: a page takes 14/06/1985, the API YYYY-MM-DD only.
API_BAD_DATE = BAD_DATE.partition(", such as")[0] + ", such as 1985-06-14."


class PersonDetailsInSerializer(StrictSerializer):
    """The details to correct, any of them: each sent is compared with the one held,
    and only one that differs is checked and changed. The rules are the operation's
    (the same as the pages'): this reads the JSON's types only."""

    first_name = serializers.CharField(required=False, allow_blank=True)
    last_name = serializers.CharField(required=False, allow_blank=True)
    date_of_birth = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="YYYY-MM-DD: not in the future, nor before 1890, nor after the "
        "earliest specimen date of any of their cases not withdrawn.",
        error_messages={"invalid": API_BAD_DATE},
    )
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A UK number, such as 07911 123456. A number a call to them was "
        "logged “Wrong number” on is refused. The one it replaces becomes their "
        "other phone when they have none and `phone_alt` is not sent.",
    )
    phone_alt = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Their other phone, a UK number; blank to remove it (or, sent "
        "with a new phone, to keep none).",
    )
    email = serializers.CharField(
        required=False, allow_blank=True, help_text="Blank to remove it."
    )
    address = serializers.CharField(
        required=False, allow_blank=True, help_text="Blank to remove it."
    )
    postcode = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A postcode the postcode directory knows, such as S1 2HE: their "
        "contacts still to be reached, and their cases with the phones, follow its "
        "area.",
    )


class PersonDetailsSerializer(serializers.ModelSerializer):
    """The person's details as saved."""

    phone = serializers.CharField(read_only=True, help_text="E.164, or blank.")
    phone_alt = serializers.CharField(read_only=True, help_text="E.164, or blank.")
    area = serializers.CharField(
        source="area.code",
        read_only=True,
        allow_null=True,
        help_text="ONS code of their postcode's area (null: outside the service).",
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "phone",
            "phone_alt",
            "email",
            "address",
            "postcode",
            "area",
        ]
        read_only_fields = fields


class PersonDetailsAnswerSerializer(serializers.Serializer):
    person = PersonDetailsSerializer()
    changed = serializers.ListField(
        child=serializers.ChoiceField(choices=DETAILS),
        help_text="The details changed, in this order; empty when every one sent was "
        "as held (nothing was written).",
    )
    detail = serializers.CharField(
        help_text="What changed, and what followed, in words (as the pages say it)."
    )


def person_details_answer(done: DetailsCorrected) -> dict[str, Any]:
    return {
        "person": PersonDetailsSerializer(done.person).data,
        "changed": list(done.changed),
        "detail": done.said,
    }


def _item_to_work(actor: Actor, model: type[WorkItem], pk: str) -> WorkItem:
    """The case or contact `pk` for this actor to correct its person's details from:
    a 404 when they may not see it, a 403 with the reason when they see it and may
    work neither it nor its escalation. A 409 (the item no longer takes them) is the
    operation's, once the body is read, as before."""
    item: WorkItem = (
        get_case_for(actor, pk) if model is Case else get_contact_for(actor, pk)
    )
    refused = details_correct_refusal(actor, item)
    if isinstance(refused, PermissionDenied):
        raise refused
    return item


def _all_problems(item: WorkItem, sent: Any, errors: Any) -> Any:
    """The serializer's errors (a key it does not read, a date not YYYY-MM-DD),
    and the operation's problems with the other details sent, said at once."""
    if not isinstance(sent, dict) or not isinstance(errors, dict):
        return errors
    rest = PersonDetailsInSerializer(
        data={name: value for name, value in sent.items() if name not in errors}
    )
    if not rest.is_valid():
        return errors
    return {
        **person_details_problems(
            person=item.person, item=item, given=rest.validated_data
        ),
        **errors,
    }


class PersonDetailsView(APIView):
    """Correct the details of the person of a case or contact, as they give them."""

    permission_classes = [CaseworkScope]
    model: type[Case] | type[Contact] = Case

    @extend_schema(
        summary="Correct the person's details (their case or contact being worked)",
        description="The same as the case and contact pages' “Their details”: each "
        "detail sent that differs from the one held is checked and saved, the old "
        "value kept in the person's history, the change audited (which details, "
        "never the values). A new postcode moves their contacts still to be "
        "reached, and their cases with the phones, to its area. Their messages "
        "not sent yet to a phone or email corrected away go to where they are "
        "reached now, or are withdrawn. A change that makes the person "
        "look like another record lists the two for a supervisor; nobody is "
        "merged. Sent with nothing that differs: 200, `changed` empty, nothing "
        "written. For whoever may work the item: its holder, a national "
        "supervisor, an integration that may see it; and, for an item with its "
        "local team, whoever may work its open escalation (a client bound to the "
        "team, a member of the team, a national client, an administrator): the "
        "item stays with the team, its area too, and `detail` says so. A postcode "
        "outside England is taken: `area` is null, their cases and contacts still "
        "with the phones follow to no area (the fallback team's if escalated), and "
        "`detail` says so.",
        request=PersonDetailsInSerializer,
        responses={
            200: PersonDetailsAnswerSerializer,
            403: OpenApiResponse(
                description="You may see the item, not work it: the reason."
            ),
            409: OpenApiResponse(
                description="The item was withdrawn or closed, is with its local "
                "team (for anyone who may not work its escalation), or was sent back "
                "or closed by the team: its person's details are no longer changed "
                "from it."
            ),
        },
    )
    def patch(self, request: Request, pk: str) -> Response:
        actor = actor_of(request)
        item = _item_to_work(actor, self.model, pk)
        serializer = PersonDetailsInSerializer(data=request.data)
        if not serializer.is_valid():
            raise serializers.ValidationError(
                _all_problems(item, request.data, serializer.errors)
            )
        done = person_details_correct(
            person=item.person,
            item=item,
            given=dict(serializer.validated_data),
            by=actor,
            source=API,
        )
        return Response(person_details_answer(done))
