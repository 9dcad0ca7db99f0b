from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import PhoneSerializerField
from escalations.models import (
    CLOSING_OUTCOMES,
    WITHDRAWN_NOT_CHOSEN,
    Escalation,
    EscalationAction,
)
from escalations.words import (
    ACTION_KIND_MISSING,
    CLOSE_OUTCOME_MISSING,
    NEW_PHONE_INVALID,
    notes_too_long,
)
from work.escalation import (
    ADVICE_ISOLATION_OVER,
    ADVICE_NOWHERE_TO_SEND,
    ADVICE_TOLD_AS_CASE,
    REOPEN_REASON_MISSING,
    CloseAdvice,
    close_advice_said,
)
from work.rules import ESCALATION_NOTE_MAX

from ..strict import StrictSerializer

# The escalation page's words (escalations.words), refusing what it refuses.
NOTE_TOO_LONG = notes_too_long(ESCALATION_NOTE_MAX)
OUTCOME_MISSING = {
    "required": CLOSE_OUTCOME_MISSING,
    "null": CLOSE_OUTCOME_MISSING,
    "invalid_choice": CLOSE_OUTCOME_MISSING,
}


class EscalationActionSerializer(serializers.ModelSerializer):
    by = serializers.IntegerField(source="by_id", read_only=True)

    class Meta:
        model = EscalationAction
        fields = ["id", "kind", "note", "by", "at"]
        read_only_fields = fields


class EscalationSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id", read_only=True, allow_null=True)
    contact = serializers.IntegerField(
        source="contact_id", read_only=True, allow_null=True
    )
    local_team = serializers.CharField(source="local_team.code", read_only=True)
    picked_up_by = serializers.IntegerField(
        source="picked_up_by_id", read_only=True, allow_null=True
    )
    # Blank while open; spelled out so the schema's enum admits the blank.
    outcome = serializers.ChoiceField(
        choices=[("", "Open"), *Escalation.Outcome.choices],
        read_only=True,
        help_text="How it ended; blank while open. 'withdrawn': closed because the "
        "positive result behind it was withdrawn (sent in error), not by the team "
        "(`outcome_note` says why).",
    )

    class Meta:
        model = Escalation
        fields = [
            "id",
            "case",
            "contact",
            "local_team",
            "reason",
            "detail",
            "area_unknown",
            "status",
            "created_at",
            "due_at",
            "picked_up_at",
            "picked_up_by",
            "closed_at",
            "outcome",
            "outcome_note",
        ]
        read_only_fields = fields


class CloseAdviceSerializer(serializers.Serializer):
    """A close "Reached and advised" of a contact: whether their isolation date is
    going to them in writing, as the page tells the team (work.escalation
    .close_advice_said), so the team knows whether to give it them themselves."""

    sent = serializers.SerializerMethodField(
        help_text="Their date is going (or went) to them in writing."
    )
    channel = serializers.SerializerMethodField(
        help_text="sms or email when sent; blank otherwise."
    )
    to = serializers.SerializerMethodField(
        help_text="The number or address it went to; blank otherwise."
    )
    not_sent = serializers.ChoiceField(
        choices=[
            ("", "Sent, or not a contact reached"),
            (ADVICE_ISOLATION_OVER, "Their time at home had ended"),
            (ADVICE_TOLD_AS_CASE, "They are a case: their case gives the date"),
            (ADVICE_NOWHERE_TO_SEND, "No mobile number or email: give it them"),
        ],
        read_only=True,
    )

    def get_sent(self, advice: CloseAdvice) -> bool:
        return advice.sent is not None

    def get_channel(self, advice: CloseAdvice) -> str:
        return advice.sent.channel if advice.sent is not None else ""

    def get_to(self, advice: CloseAdvice) -> str:
        return str(advice.sent.to) if advice.sent is not None else ""


class EscalationClosedSerializer(EscalationSerializer):
    """A closed escalation, as the close answers it: with what it did about a
    reached contact's date in writing (null for any other close)."""

    advice = serializers.SerializerMethodField()

    class Meta(EscalationSerializer.Meta):
        fields = [*EscalationSerializer.Meta.fields, "advice"]
        read_only_fields = fields

    @extend_schema_field(CloseAdviceSerializer(allow_null=True))
    def get_advice(self, escalation: Escalation) -> dict | None:
        said = close_advice_said(escalation)
        if said == CloseAdvice():
            return None
        return dict(CloseAdviceSerializer(said).data)


class EscalationActionInSerializer(StrictSerializer):
    # What the team did; a reopening is recorded by the reopening (its own action).
    kind = serializers.ChoiceField(
        choices=[
            (value, label)
            for value, label in EscalationAction.Kind.choices
            if value != EscalationAction.Kind.REOPENED
        ],
        error_messages={
            "required": ACTION_KIND_MISSING,
            "null": ACTION_KIND_MISSING,
            "invalid_choice": ACTION_KIND_MISSING,
        },
    )
    note = serializers.CharField(
        max_length=ESCALATION_NOTE_MAX,
        help_text="What happened (required, as on the page).",
        error_messages={
            "required": "Say what happened.",
            "blank": "Say what happened.",
            "max_length": NOTE_TOO_LONG,
        },
    )


class ClosingOutcomeField(serializers.ChoiceField):
    """How a team closes an escalation (escalations.models.CLOSING_OUTCOMES). The
    withdrawal's own outcome, which an escalation shows but no close may send, is
    refused saying why."""

    def to_internal_value(self, data):
        if data == Escalation.Outcome.WITHDRAWN:
            raise serializers.ValidationError(WITHDRAWN_NOT_CHOSEN, code="withdrawn")
        return super().to_internal_value(data)


class EscalationCloseSerializer(StrictSerializer):
    outcome = ClosingOutcomeField(
        choices=CLOSING_OUTCOMES,
        help_text="'reached' counts the item reached by the local team. Not "
        "'returned' (send it back instead) nor 'withdrawn' (set only when the "
        "result behind it is withdrawn, which closes it).",
        error_messages=OUTCOME_MISSING,
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=ESCALATION_NOTE_MAX,
        error_messages={"max_length": NOTE_TOO_LONG},
    )


class EscalationReturnSerializer(StrictSerializer):
    note = serializers.CharField(
        max_length=ESCALATION_NOTE_MAX,
        help_text="Why it goes back.",
        error_messages={
            "required": "Say why, for the national caller.",
            "blank": "Say why, for the national caller.",
            "max_length": NOTE_TOO_LONG,
        },
    )
    new_phone = PhoneSerializerField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="A new number the team found, if any; needed when their record "
        "has no phone and no other phone (a 400 on new_phone without one).",
        error_messages={"invalid": NEW_PHONE_INVALID},
    )


class EscalationReopenSerializer(StrictSerializer):
    reason = serializers.CharField(
        max_length=ESCALATION_NOTE_MAX,
        help_text="Why it is reopened (required): kept in its history, with the "
        "outcome it was closed with.",
        error_messages={
            "required": REOPEN_REASON_MISSING,
            "blank": REOPEN_REASON_MISSING,
            "max_length": NOTE_TOO_LONG,
        },
    )
