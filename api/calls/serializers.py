from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework import serializers

from calls.models import CallAttempt, Outcome

# A call back is booked within days, not years.
CALL_BACK_WITHIN = timedelta(days=28)


class CallInSerializer(serializers.Serializer):
    """One call and how it went."""

    outcome = serializers.ChoiceField(choices=Outcome.choices)
    call_back_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When they asked to be called back (outcome call_back only).",
    )
    duration_seconds = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=24 * 60 * 60
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    caller = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="For integration clients, required: the user id of the member of "
        "staff who made the call, who must be allowed to work the item (403 "
        "otherwise). Staff sessions always record the signed-in user.",
    )

    def validate_caller(self, value):
        if value is None:
            return None
        user = (
            get_user_model()
            .objects.filter(pk=value, is_active=True, staff__isnull=False)
            .first()
        )
        if user is None:
            raise serializers.ValidationError("No active member of staff has that id.")
        return user

    def validate(self, data):
        if data["outcome"] == Outcome.CALL_BACK:
            when = data.get("call_back_at")
            if when is None:
                raise serializers.ValidationError(
                    {"call_back_at": "A call back needs a time."}
                )
            if when <= timezone.now():
                raise serializers.ValidationError(
                    {"call_back_at": "The call back time must be in the future."}
                )
            if when > timezone.now() + CALL_BACK_WITHIN:
                raise serializers.ValidationError(
                    {"call_back_at": "A call back must be within 28 days."}
                )
        elif data.get("call_back_at") is not None:
            raise serializers.ValidationError(
                {"call_back_at": "Only a call_back outcome takes a time."}
            )
        return data


class CallAttemptSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id", read_only=True, allow_null=True)
    contact = serializers.IntegerField(
        source="contact_id", read_only=True, allow_null=True
    )
    caller = serializers.IntegerField(source="caller_id", read_only=True)

    class Meta:
        model = CallAttempt
        fields = [
            "id",
            "case",
            "contact",
            "caller",
            "started_at",
            "duration_seconds",
            "outcome",
            "call_back_at",
            "notes",
        ]
        read_only_fields = fields
