"""A clinician's override of a case's or a contact's isolation end date, over the API:
the same operation as the override pages (work.isolation.isolation_override)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cases.workitem import WorkItem
from contacts.models import IsolationChange
from people.models import Message
from work.access.isolation import override_refusal
from work.isolation import (
    IsolationChangedSince,
    isolation_override,
    override_message,
)
from work.rules import OVERRIDE_REASON_MAX, isolation_override_problems
from work.sent_twice import override_just_made

from .access import api_client_of, staff_user_named
from .strict import StrictSerializer


class IsolationOverrideSent(StrictSerializer):
    """The new last day of isolation, and the clinician's reason, as sent: each
    field read, the rules not asked (for a change sent again)."""

    ends_on = serializers.DateField(
        help_text="The new last day of isolation: today or later, within 28 days."
    )
    # Blank is let through to the rules, which say what is missing in their words.
    reason = serializers.CharField(
        allow_blank=True,
        max_length=OVERRIDE_REASON_MAX,
        help_text="The clinical reason (required).",
    )
    current_ends_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Optional: the last day of isolation as the client last read it "
        "(the item's `isolation_ends_on`). Given, and no longer the date in force "
        "(another clinician changed it, or a new result or exposure did), nothing is "
        "saved and the answer is 409 with the date now and who changed it. Without "
        "it, the change is made whatever the date is now.",
    )
    clinician = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="For integration clients, required: the user id of the tier 2 "
        "clinician whose decision this is, who must be allowed to make it (403 "
        "otherwise). Staff sessions always record the signed-in user.",
    )

    def validate_clinician(self, value):
        return staff_user_named(value)


class IsolationOverrideInSerializer(IsolationOverrideSent):
    """The new last day of isolation, and the clinician's reason."""

    def validate(self, data):
        # The same rules, and words, as the override page and the operation itself.
        problems = isolation_override_problems(
            ends_on=data["ends_on"],
            reason=data["reason"],
            current=self.context["item"].isolation_ends_on,
            today=timezone.localdate(),
        )
        if problems:
            raise serializers.ValidationError(problems)
        return data


class IsolationChangeSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id", read_only=True, allow_null=True)
    contact = serializers.IntegerField(
        source="contact_id", read_only=True, allow_null=True
    )
    by = serializers.IntegerField(source="by_id", read_only=True, allow_null=True)
    told_by = serializers.SerializerMethodField(
        help_text="How the person is being told the new date: sms or email; blank "
        "when they have neither a mobile nor an email (phone them)."
    )

    class Meta:
        model = IsolationChange
        fields = [
            "id",
            "kind",
            "case",
            "contact",
            "ends_on",
            "replaced",
            "reason",
            "by",
            "at",
            "told_by",
        ]
        read_only_fields = fields

    def get_told_by(self, change: IsolationChange) -> str:
        message: Message | None = self.context.get("message")
        return message.channel if message is not None else ""


class ChangedSinceSerializer(serializers.Serializer):
    """What changed the end date since the client read it, as far as the records
    tell."""

    kind = serializers.CharField(
        help_text="override (a clinician), became_case (their positive result "
        "arrived) or exposure (they were named as a contact again)."
    )
    by = serializers.IntegerField(
        allow_null=True, help_text="The clinician's user id (an override); else null."
    )
    at = serializers.DateTimeField(allow_null=True)
    isolation_change = serializers.IntegerField(
        allow_null=True,
        help_text="The isolation change's id (listed with the item's changes); null "
        "for an exposure.",
    )


class IsolationChangedSinceAnswer(serializers.Serializer):
    detail = serializers.CharField()
    current_ends_on = serializers.DateField(
        help_text="The last day of isolation in force now."
    )
    changed = ChangedSinceSerializer(
        allow_null=True, help_text="Who or what changed it (null: not recorded)."
    )


def changed_since_answer(exc: IsolationChangedSince) -> dict:
    """The 409's body: the date in force now, and who or what changed it, when."""
    change = exc.change
    changed = None
    if exc.how:
        changed = {
            "kind": str(exc.how),
            "by": exc.by.pk if exc.by is not None else None,
            "at": serializers.DateTimeField().to_representation(exc.at)
            if exc.at is not None
            else None,
            "isolation_change": change.pk if change is not None else None,
        }
    return {
        "detail": str(exc),
        "current_ends_on": exc.ends_on.isoformat(),
        "changed": changed,
    }


OVERRIDE_SCHEMA = extend_schema(
    summary="Override the isolation end date (a tier 2 clinician)",
    description="A tier 2 clinician sets the last day of isolation, with a reason; "
    "the person is told the new date by text or email. The clinician is the "
    "signed-in member of staff, or, for an integration, the one it names, who must "
    "be a tier 2 clinician with a verified registration holding the case (or the "
    "contact's case), or a tier 2 national supervisor (403 otherwise). A later "
    "fact that lengthens isolation beyond the override still applies.",
    request=IsolationOverrideInSerializer,
    responses={
        201: IsolationChangeSerializer,
        200: OpenApiResponse(
            IsolationChangeSerializer,
            description="The same change sent again by the same clinician a moment "
            "after it was made (a retry after a timeout): the change made, saved and "
            "told once.",
        ),
        403: OpenApiResponse(
            description="Not a tier 2 clinician who may change this item's date."
        ),
        409: OpenApiResponse(
            IsolationChangedSinceAnswer,
            description="`current_ends_on` was given and is no longer the date in "
            "force: nothing saved or sent. The date now, and who or what changed it "
            "and when, to decide again.",
        ),
    },
)


def isolation_override_response(request: Request, item: WorkItem) -> Response:
    """Validate an override and make it through the same service as the pages;
    answer 201 with the change. Sent with `current_ends_on` (the date the client
    last read) that is no longer the date in force, 409 with the date now and who
    changed it (IsolationChangedSince): nothing saved or told. The same change sent
    again by the same clinician a moment later (a retry after a timeout), refused by
    the rules as "They already isolate until ...", is answered 200 with the change
    made, as the page tells a form sent twice (work.sent_twice): nothing is saved or
    told twice.

    Staff who may not override are refused before their body is read (403); an
    integration names the clinician, checked by the service once the body is valid.
    """
    client = api_client_of(request)
    if client is None and (refusal := override_refusal(request.user, item)):
        raise PermissionDenied(refusal)
    serializer = IsolationOverrideInSerializer(
        data=request.data, context={"item": item}
    )
    if not serializer.is_valid():
        if (answer := _answered_as_sent_again(request, item)) is not None:
            return answer
        raise serializers.ValidationError(serializer.errors)
    data = serializer.validated_data
    clinician = _clinician(request, data)
    by = request.user if client is not None else None
    try:
        done = isolation_override(
            item=item,
            ends_on=data["ends_on"],
            reason=data["reason"],
            clinician=clinician,
            by=by,
            current_ends_on=data.get("current_ends_on"),
        )
    except IsolationChangedSince as exc:
        return Response(changed_since_answer(exc), status=status.HTTP_409_CONFLICT)
    except DjangoValidationError:
        # A retry sent while the first was still being saved: read before it
        # committed, refused by the service once it had.
        if (answer := _answered_as_sent_again(request, item)) is not None:
            return answer
        raise
    return Response(
        IsolationChangeSerializer(done.change, context={"message": done.message}).data,
        status=status.HTTP_201_CREATED,
    )


def _clinician(request: Request, data: dict):
    """Whose decision the override is: the signed-in member of staff, or the
    clinician an integration names (a 400 when it names none)."""
    if api_client_of(request) is None:
        return request.user
    if data.get("clinician") is None:
        raise serializers.ValidationError(
            {
                "clinician": [
                    "An integration must give the user id of the tier 2 "
                    "clinician whose decision this is."
                ]
            }
        )
    return data["clinician"]


def _answered_as_sent_again(request: Request, item: WorkItem) -> Response | None:
    """200 with the change, when the one sent is the change just made (_sent_again)."""
    if (change := _sent_again(request, item)) is None:
        return None
    message = override_message(item, change)
    return Response(
        IsolationChangeSerializer(change, context={"message": message}).data
    )


def _sent_again(request: Request, item: WorkItem) -> IsolationChange | None:
    """The change sent is the one this clinician made a moment ago (a retry after a
    timeout), refused the second time as "They already isolate until ..."; that
    change, else None."""
    sent = IsolationOverrideSent(data=request.data)
    if not sent.is_valid():
        return None
    data = sent.validated_data
    if api_client_of(request) is not None and data.get("clinician") is None:
        return None
    return override_just_made(
        _clinician(request, data), item, ends_on=data["ends_on"], reason=data["reason"]
    )
