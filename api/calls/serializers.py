from __future__ import annotations

import re
from datetime import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from calls.models import CORRECTED_TO, CORRECTION_REASON_MAX, CallAttempt, Outcome
from work.calls import (
    CORRECTED_OUTCOME_MISSING,
    CORRECTION_REASON_MISSING,
    CORRECTION_REASON_TOO_LONG,
    OUTCOME_MISSING,
    CallCorrected,
    CallLogged,
    advice_of,
    support_problem,
)
from work.online import SUPPORT_KINDS
from work.rules import CALL_LONGEST, CALL_NOTES_MAX, call_back_moment, call_problems

from ..access import staff_user_named
from ..strict import StrictSerializer

# A whole ISO 8601 date and time, as the API has always read good input: dashes in
# the date, hours and minutes, seconds and a fraction optional, and an offset or Z
# optional. (Django's parse_datetime falls back on Python's fromisoformat, which also
# reads a week ("2026-W49", its Monday at midnight), a date alone, or no dashes.)
# The T and Z in either case, as RFC 3339 (the schema's date-time) allows.
FULL_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?",
    re.ASCII | re.IGNORECASE,
)
FULL_DATE_TIME_FORMAT = "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]"


class CallBackField(serializers.DateTimeField):
    """A call back time: with an offset, the moment it names; without one, local
    time read by the call rules as the call form reads it (work.rules.
    call_back_moment), so a time the clocks skip is refused beside the field, not
    stored an hour off, and one they repeat is the first at every door. Anything
    but a whole date and time (FULL_DATE_TIME) is refused, never guessed at."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            if not FULL_DATE_TIME.fullmatch(value):
                self.fail("invalid", format=FULL_DATE_TIME_FORMAT)
            # Python's parser reads only an upper-case T and Z: the pattern holds
            # no other letter to change.
            value = value.upper()
        return super().to_internal_value(value)

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            value = call_back_moment(value)
        return super().enforce_timezone(value)


class CallInSerializer(StrictSerializer):
    """One call and how it went; a key it does not define is refused, not dropped.
    With `on_file` in its context (a call is logged already for the request's
    Idempotency-Key) the call rules are left to the operation, which answers the
    call on file or refuses a different one."""

    outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        error_messages={"required": OUTCOME_MISSING, "null": OUTCOME_MISSING},
    )
    call_back_at = CallBackField(
        required=False,
        allow_null=True,
        help_text="When they asked to be called back (outcome call_back only).",
    )
    duration_seconds = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=int(CALL_LONGEST.total_seconds()),
    )
    notes = serializers.CharField(
        required=False, allow_blank=True, max_length=CALL_NOTES_MAX
    )
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="With outcome needs_interpreter, when the person's record has no "
        "language: the one they speak, by name or code (Urdu, ur); 400 without it.",
    )
    support = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        max_length=len(SUPPORT_KINDS),
        help_text="With outcome reached, on a contact only: the help to stay at "
        f"home they asked for, any of {', '.join(SUPPORT_KINDS)} (money: the Test "
        "and Trace support payment). The contact is reached, then escalated to "
        "their local team for it (reason support), with the notes. 400 on `support` "
        "for an unknown kind, another outcome, a case, or a contact whose time to "
        "stay at home is over.",
    )
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
        return staff_user_named(value)

    def validate_support(self, value: list[str]) -> list[str]:
        # An unknown kind, in the call form's words; the rest (the outcome, the
        # item) in validate and the operation.
        if problem := support_problem(value, outcome=Outcome.REACHED):
            raise serializers.ValidationError(problem)
        return value

    def validate(self, data):
        # A retry of a call on file for its Idempotency-Key is that call, whatever
        # the rules now say (its call-back time passed): the operation compares it.
        if self.context.get("on_file"):
            return data
        # The same rules, and words, as the call form and the operation itself.
        problems = call_problems(
            outcome=data["outcome"],
            call_back_at=data.get("call_back_at"),
            notes=data.get("notes", ""),
            duration_seconds=data.get("duration_seconds", 0),
            now=timezone.now(),
        )
        if problem := support_problem(data.get("support", []), outcome=data["outcome"]):
            problems["support"] = problem
        if problems:
            raise serializers.ValidationError(problems)
        return data


class CallAttemptSerializer(serializers.ModelSerializer):
    """One call and how it went. A call whose outcome was corrected (logged by
    mistake, work.calls.call_correct) says so, as the item's page and the local
    team's history do: `outcome` is the corrected one, `corrected_from` the one
    logged, with who corrected it, when and why."""

    case = serializers.IntegerField(source="case_id", read_only=True, allow_null=True)
    contact = serializers.IntegerField(
        source="contact_id", read_only=True, allow_null=True
    )
    caller = serializers.IntegerField(source="caller_id", read_only=True)
    # Blank for a call never corrected; spelled out so the schema's enum admits it.
    corrected_from = serializers.ChoiceField(
        choices=[("", "Not corrected"), *Outcome.choices],
        read_only=True,
        help_text="The outcome the caller logged, when it was corrected since (it "
        "was logged by mistake): `outcome` is then the corrected one. Blank for a "
        "call never corrected.",
    )
    corrected_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the outcome was corrected; null for a call never corrected.",
    )
    corrected_by = serializers.IntegerField(
        source="corrected_by_id",
        read_only=True,
        allow_null=True,
        help_text="The user id of who corrected the outcome (the caller, or a "
        "supervisor of their tier); null for a call never corrected.",
    )
    correction_reason = serializers.CharField(
        read_only=True,
        help_text="Why the outcome was corrected, as they wrote it; blank for a "
        "call never corrected, and once retention blanks the call's notes.",
    )

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
            "corrected_from",
            "corrected_at",
            "corrected_by",
            "correction_reason",
        ]
        read_only_fields = fields


class CallLoggedSerializer(CallAttemptSerializer):
    """The answer to a call logged: the call, and what the call page tells its caller
    of what follows ("The isolation advice is queued as a text", "Escalated to
    Sheffield Public Health; your supervisor is being emailed"). Drawn from what
    logging the call did (work.calls.CallLogged), given as `logged` in its context:
    see call_logged_answer."""

    told_by = serializers.SerializerMethodField(
        help_text="A contact reached: how they are being sent the isolation advice, "
        "sms or email; blank when they have neither a mobile nor an email (read it "
        "out to them), when their time to stay at home had already ended (nothing "
        "is sent: tell them it has ended), and for any other call."
    )
    escalated_to = serializers.SerializerMethodField(
        help_text="A safeguarding concern, or a contact reached who asked for help "
        "to stay at home (`support`): the code of the local public health team it "
        "was escalated to at once (such as E08000019); null for any other call."
    )
    support = serializers.SerializerMethodField(
        help_text="The help to stay at home the contact asked for and their local "
        "team (`escalated_to`) was asked to give, in the order money, food, "
        "medicine; empty for any other call."
    )
    supervisors_told = serializers.SerializerMethodField(
        help_text="A safeguarding concern: true when the supervisors of the caller's "
        "team are being emailed about it; false when no supervisor of their team has "
        "an email address on file, and nobody is emailed: tell your supervisor "
        "yourself now. Null for a call that alerts nobody (any other outcome)."
    )

    class Meta(CallAttemptSerializer.Meta):
        fields = [
            *CallAttemptSerializer.Meta.fields,
            "told_by",
            "escalated_to",
            "support",
            "supervisors_told",
        ]
        read_only_fields = fields

    def get_told_by(self, call: CallAttempt) -> str:
        if call.outcome != Outcome.REACHED or call.contact_id is None:
            return ""
        # The advice's own event (work.calls): the same whether this answer is the
        # first or a request sent again.
        advice = advice_of(call.contact)
        return advice.channel if advice is not None else ""

    def get_escalated_to(self, call: CallAttempt) -> str | None:
        escalation = self.context["logged"].escalation
        return escalation.local_team.code if escalation is not None else None

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=[*SUPPORT_KINDS]))
    )
    def get_support(self, call: CallAttempt) -> list[str]:
        logged: CallLogged = self.context["logged"]
        return list(logged.support)

    def get_supervisors_told(self, call: CallAttempt) -> bool | None:
        if call.outcome != Outcome.SAFEGUARDING:
            return None
        # Sent again too: as the service tells it (work.calls.logged_already), and
        # so as the page does.
        logged: CallLogged = self.context["logged"]
        return logged.supervisors_told


def call_logged_answer(logged: CallLogged) -> dict:
    """The API's answer to a call logged, or to one sent again on its key."""
    return CallLoggedSerializer(logged.call, context={"logged": logged}).data


class CallCorrectionInSerializer(StrictSerializer):
    """The outcome a call really had, and why the one logged is corrected; a key it
    does not define is refused, not dropped."""

    outcome = serializers.ChoiceField(
        choices=[(outcome.value, outcome.label) for outcome in CORRECTED_TO],
        help_text="The outcome the call had. A call back is not booked by a "
        "correction (log a new call), nor a concern or an interpreter raised.",
        error_messages={
            "required": CORRECTED_OUTCOME_MISSING,
            "null": CORRECTED_OUTCOME_MISSING,
        },
    )
    reason = serializers.CharField(
        max_length=CORRECTION_REASON_MAX,
        help_text="Why the outcome logged is corrected (such as “Logged on the wrong "
        "contact”); kept with the call.",
        # The operation's words (work.calls), as the call's page says them.
        error_messages={
            "required": CORRECTION_REASON_MISSING,
            "blank": CORRECTION_REASON_MISSING,
            "null": CORRECTION_REASON_MISSING,
            "max_length": CORRECTION_REASON_TOO_LONG,
        },
    )


class CallCorrectedSerializer(CallAttemptSerializer):
    """A call whose outcome was corrected: `outcome` is the corrected one,
    `corrected_from` the one logged first (as every call tells,
    CallAttemptSerializer); and what became of the isolation advice of a "reached"
    corrected away. Drawn from what the correction did (work.calls.CallCorrected),
    given as `corrected` in its context."""

    advice = serializers.SerializerMethodField(
        help_text='A contact\'s "reached" corrected away: withdrawn (its isolation '
        "advice had not gone, and never will), sent (it had gone already: it stays "
        'sent); a correction to "reached": queued; blank otherwise.'
    )

    class Meta(CallAttemptSerializer.Meta):
        fields = [*CallAttemptSerializer.Meta.fields, "advice"]
        read_only_fields = fields

    def get_advice(self, call: CallAttempt) -> str:
        corrected: CallCorrected = self.context["corrected"]
        if corrected.advice_withdrawn is not None:
            return "withdrawn"
        if corrected.advice_gone is not None:
            return "sent"
        if corrected.message is not None:
            return "queued"
        return ""


def call_corrected_answer(corrected: CallCorrected) -> dict:
    """The API's answer to a correction, or to one sent again on its key."""
    return CallCorrectedSerializer(
        corrected.call, context={"corrected": corrected}
    ).data
