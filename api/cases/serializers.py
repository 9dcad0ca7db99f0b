"""API shapes for cases and test-result intake: validation and output, no logic."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.utils import timezone
from rest_framework import serializers

from api.fields import PhoneSerializerField
from api.parsers import unicode_errors
from api.strict import StrictSerializer
from cases.models import Case, SettingKind
from cases.workitem import Route
from people.models import Person
from people.names import INVISIBLE_NAME, name_shows_nothing
from people.services import PersonDetails
from work.intake import (
    COMPARED_FIELDS,
    TestResult,
    conflict_message,
    further_result_reason,
)
from work.result_rules import (
    MAX_LENGTH,
    date_of_birth_check,
    language_clean,
    nhs_number_clean,
    postcode_clean,
    result_dates_errors,
)

MAX_BATCH = 1000


def _today(serializer: serializers.Serializer) -> dt.date:
    """The local date a result is checked against: the batch's (validate_batch reads
    it once for all its items; asking the time zone is a tenth of an item's
    checking), or today's."""
    return serializer.context.get("today") or timezone.localdate()


def _name_clean(value: str) -> str:
    """A name as it is kept: composed (NFC), so a name sent with its accents as
    separate combining characters is the same name; refused when it shows nothing
    (only zero-width or other invisible characters)."""
    if name_shows_nothing(value):
        raise serializers.ValidationError(INVISIBLE_NAME)
    return unicodedata.normalize("NFC", value)


class PersonInSerializer(StrictSerializer):
    """A person as a lab knows them: a key it does not define is refused."""

    first_name = serializers.CharField(max_length=MAX_LENGTH["first_name"])
    last_name = serializers.CharField(max_length=MAX_LENGTH["last_name"])
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    nhs_number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_LENGTH["nhs_number"],
        help_text="10 digits.",
    )
    phone = PhoneSerializerField(
        required=False,
        allow_blank=True,
        max_length=MAX_LENGTH["phone"],
        help_text="A UK number, or any number in international form.",
    )
    email = serializers.EmailField(
        required=False, allow_blank=True, max_length=MAX_LENGTH["email"]
    )
    address = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_LENGTH["address"]
    )
    postcode = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_LENGTH["postcode"],
        help_text="e.g. S1 1AA",
    )
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_LENGTH["language"],
        help_text="ISO 639-1 code of their first language.",
    )
    needs_interpreter = serializers.BooleanField(required=False, default=False)

    def validate_first_name(self, value: str) -> str:
        return _name_clean(value)

    def validate_last_name(self, value: str) -> str:
        return _name_clean(value)

    def validate_nhs_number(self, value: str) -> str:
        return nhs_number_clean(value)

    def validate_postcode(self, value: str) -> str:
        return postcode_clean(value)

    def validate_language(self, value: str) -> str:
        return language_clean(value)

    def validate_date_of_birth(self, value: dt.date | None) -> dt.date | None:
        if value is not None:
            date_of_birth_check(value, today=_today(self))
        return value


def person_details(data: dict) -> PersonDetails:
    """PersonDetails from a PersonInSerializer's validated data (nested use)."""
    phone = data.get("phone")
    return PersonDetails(
        first_name=data["first_name"],
        last_name=data["last_name"],
        date_of_birth=data.get("date_of_birth"),
        nhs_number=data.get("nhs_number", ""),
        # The number as the field read it: parsed and checked once, not again.
        phone=phone or "",
        email=data.get("email", ""),
        address=data.get("address", ""),
        postcode=data.get("postcode", ""),
        language=data.get("language", ""),
        needs_interpreter=data.get("needs_interpreter", False),
    )


class LabReferenceField(serializers.CharField):
    """A lab reference: text, or a whole number taken as its digits; never a number
    with a point, which DRF's CharField kept as "842942130.0", a second reference
    beside the result held as 842942130, so a second case."""

    default_error_messages = {
        "float": "Send the lab reference as text (in quotes), not as a number with "
        "a decimal point: {value} is not a lab reference as written.",
    }

    def to_internal_value(self, data):
        if isinstance(data, float):
            self.fail("float", value=data)
        return super().to_internal_value(data)


class LabResultInSerializer(StrictSerializer):
    """One positive test result from a lab: a key it does not define is refused,
    not dropped."""

    lab_reference = LabReferenceField(
        max_length=MAX_LENGTH["lab_reference"],
        help_text="The lab's own reference, as text: posting it again is safe.",
    )
    person = PersonInSerializer()
    specimen_date = serializers.DateField(help_text="On or before the result date.")
    result_date = serializers.DateField(help_text="Not in the future.")
    symptom_onset = serializers.DateField(
        required=False, allow_null=True, help_text="Not after the result date."
    )
    complex_setting = serializers.ChoiceField(
        choices=SettingKind.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Where the person lives or works, when it makes the case complex "
        "(care home, school, hospital, prison go to the local team).",
    )

    def validate(self, data: dict) -> dict:
        errors: dict = result_dates_errors(
            specimen_date=data["specimen_date"],
            result_date=data["result_date"],
            symptom_onset=data.get("symptom_onset"),
            today=_today(self),
            date_of_birth=data["person"].get("date_of_birth"),
        )
        if "date_of_birth" in errors:
            # Beside the field it is wrong in, as its own checks put it.
            errors["person"] = {"date_of_birth": [errors.pop("date_of_birth")]}
        if errors:
            raise serializers.ValidationError(errors)
        return data

    def to_result(self) -> TestResult:
        return self.result_from(self.validated_data)

    @staticmethod
    def result_from(data: dict) -> TestResult:
        """The TestResult from this serializer's validated data."""
        return TestResult(
            lab_reference=data["lab_reference"],
            person=person_details(data["person"]),
            specimen_date=data["specimen_date"],
            result_date=data["result_date"],
            symptom_onset=data.get("symptom_onset"),
            complex_setting=data.get("complex_setting", ""),
        )


def validate_batch(items: list) -> list[TestResult | dict]:
    """Each item of a batch checked as LabResultInSerializer checks one: its
    TestResult, or its field errors.

    One serializer's fields serve every object in the batch (as in DRF's
    ListSerializer): a serializer deep-copies its fields when made, which was a third
    of a batch's validation time. Anything but an object goes the usual way, for the
    usual message. An object holding text that is not valid Unicode gets the
    parser's errors for it (unicode_errors), as a single result's 400 says them.
    """
    shared = LabResultInSerializer(context={"today": timezone.localdate()})
    checked: list[TestResult | dict] = []
    for item in items:
        if not isinstance(item, dict):
            serializer = LabResultInSerializer(data=item)
            serializer.is_valid()
            checked.append(serializer.errors)
            continue
        # Text that is not valid Unicode (a lone surrogate, which the parser lets
        # through in a batch: LimitedJSONParser) makes the item invalid, the reason
        # beside the field, unchecked further: a message repeating the text could not
        # be written.
        if (not_unicode := unicode_errors(item)) is not None:
            checked.append(not_unicode)
            continue
        try:
            data = shared.run_validation(item)
        except serializers.ValidationError as exc:
            checked.append(exc.detail)
        else:
            checked.append(LabResultInSerializer.result_from(data))
    return checked


class PersonSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(read_only=True, help_text="E.164, or blank.")
    email = serializers.CharField(read_only=True, help_text="An address, or blank.")

    class Meta:
        model = Person
        fields = [
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "nhs_number",
            "phone",
            "email",
            "postcode",
            "needs_interpreter",
        ]
        read_only_fields = fields


WORK_ITEM_FIELDS = [
    "id",
    "status",
    "area",
    "area_unknown",
    "assignee",
    "local_team",
    "priority",
    "isolation_ends_on",
    "attempts",
    "next_attempt_at",
    "escalate_due_at",
    "created_at",
    "assigned_at",
    "first_attempt_at",
    "last_attempt_at",
    "reached_at",
    "reached_route",
    "completed_at",
    "escalated_at",
    "closed_at",
]


class WorkItemSerializer(serializers.ModelSerializer):
    area = serializers.CharField(
        source="area.code", read_only=True, allow_null=True, help_text="ONS code."
    )
    local_team = serializers.CharField(
        source="local_team.code",
        read_only=True,
        allow_null=True,
        help_text="Code of the local team holding it while escalated.",
    )
    assignee = serializers.IntegerField(
        source="assignee_id", read_only=True, allow_null=True
    )
    person = PersonSerializer(read_only=True)
    # Blank until reached; spelled out so the schema's enum admits the blank.
    reached_route = serializers.ChoiceField(
        choices=[("", "Not reached"), *Route.choices], read_only=True
    )


class CaseSerializer(WorkItemSerializer):
    complex_setting = serializers.ChoiceField(
        choices=[("", "None"), *SettingKind.choices], read_only=True
    )

    class Meta:
        model = Case
        fields = [
            *WORK_ITEM_FIELDS,
            "person",
            "lab_reference",
            "specimen_date",
            "result_date",
            "symptom_onset",
            "source",
            "complexity",
            "complex_setting",
            "safeguarding_flag",
            # Its positive result withdrawn (sent in error: status "withdrawn"):
            # when and why; null and blank otherwise.
            "withdrawn_at",
            "withdrawn_reason",
        ]
        read_only_fields = fields


class IntakeVersionSerializer(serializers.Serializer):
    """One version of a conflicting result: the compared fields only."""

    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    nhs_number = serializers.CharField(allow_blank=True)
    specimen_date = serializers.DateField()
    result_date = serializers.DateField()


class IntakeConflictSerializer(serializers.Serializer):
    """A result whose lab reference is already a case for another person or test:
    nothing of it was written. Names, date of birth and NHS number are compared
    ignoring case and surrounding spaces, a blank on either side agreeing; contact
    details (phone, email, address, postcode) may change and are not compared."""

    status = serializers.ChoiceField(choices=["conflict"])
    code = serializers.ChoiceField(choices=[409], help_text="Always 409.")
    lab_reference = serializers.CharField()
    case = serializers.IntegerField(
        allow_null=True,
        help_text="The id of the case on file; null when it is outside the areas "
        "of the client's local team.",
    )
    detail = serializers.CharField()
    differing_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=list(COMPARED_FIELDS)),
        help_text="The compared fields on which the two versions differ; empty when "
        "the case on file is outside the areas of the client's local team.",
    )
    on_file = IntakeVersionSerializer(
        allow_null=True,
        help_text="The case on file and its person; null when it is outside the "
        "areas of the client's local team, or the client lacks the casework scope "
        "(`differing_fields` then still names the fields that differ).",
    )
    received = IntakeVersionSerializer(help_text="The result as received.")


def conflict_answer(
    *,
    lab_reference: str,
    case_id: int,
    conflict: dict,
    hidden: bool = False,
    values_shown: bool = True,
) -> dict:
    """The answer for a conflicting result (IntakeOutcome.conflict), as
    IntakeConflictSerializer describes it. `hidden`: the case on file is one the
    client may not see (outside its local team's areas), so nothing of it is said:
    not its id, its person, nor which of their details differ. `values_shown`
    False (a caller who may not read case work): the case's id and which fields
    differ, but not the values on file."""
    received = IntakeVersionSerializer(conflict["received"]).data
    if hidden:
        return {
            "status": "conflict",
            "code": 409,
            "lab_reference": lab_reference,
            "case": None,
            "detail": f"Lab reference {lab_reference} is already a case outside "
            "your areas, for a different person or test: nothing was written. "
            "Check the lab reference.",
            "differing_fields": [],
            "on_file": None,
            "received": received,
        }
    return {
        "status": "conflict",
        "code": 409,
        "lab_reference": lab_reference,
        "case": case_id,
        "detail": conflict_message(
            lab_reference, conflict["fields"], further=conflict.get("further", False)
        ),
        "differing_fields": list(conflict["fields"]),
        "on_file": IntakeVersionSerializer(conflict["on_file"]).data
        if values_shown
        else None,
        "received": received,
    }


class IntakeReceiptSerializer(serializers.Serializer):
    """A result taken (or already held) whose case the client may not read: one
    outside the areas of its local team, or any case for a client without the
    casework scope. The client is told its id, not the case."""

    id = serializers.IntegerField(help_text="The case's id.")
    lab_reference = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["created", "existing"],
        help_text="created: a new case; existing: the result was already received.",
    )
    detail = serializers.CharField()


def receipt_answer(case, *, created: bool, outside_areas: bool = True) -> dict:
    """The receipt for a result whose case is not shown: outside the client's areas,
    or (`outside_areas` False) to a client without the casework scope."""
    return {
        "id": case.pk,
        "lab_reference": case.lab_reference,
        "status": "created" if created else "existing",
        "detail": "The case is outside your areas: it is not shown."
        if outside_areas
        else "Received. Cases are shown only to clients with the casework scope.",
    }


class IntakeAttachedSerializer(serializers.Serializer):
    """A result of a person who already has a case of the same episode (specimen
    dates within 90 days, either way): kept with that case as a further result, not
    made a case. Nothing is sent to the person and nothing else changes; the same
    result sent again is answered the same."""

    status = serializers.ChoiceField(choices=["attached"])
    lab_reference = serializers.CharField(help_text="The lab reference received.")
    case = serializers.IntegerField(
        help_text="The id of the case the result is kept with."
    )
    detail = serializers.CharField(help_text="Why it was not made a case.")


def attached_answer(*, lab_reference: str, case_id: int) -> dict:
    """The answer for a result kept with a case as a further result (the same for
    every client: the case's id, never the case)."""
    return {
        "status": "attached",
        "lab_reference": lab_reference,
        "case": case_id,
        "detail": further_result_reason(case_id),
    }


class IntakeItemSerializer(serializers.Serializer):
    """The answer for one item of a batch; a conflict also carries the fields of
    IntakeConflictSerializer."""

    index = serializers.IntegerField(help_text="Position of the item in the batch.")
    # attached: a further result of the person's case of the same episode, kept
    # with that case (`case`), no new case (said in `detail`).
    status = serializers.ChoiceField(
        choices=["created", "existing", "attached", "invalid", "conflict"]
    )
    lab_reference = serializers.CharField(allow_null=True)
    case = serializers.IntegerField(
        allow_null=True,
        help_text="The case's id (for a conflict, the case on file; for an attached "
        "item, the case it is kept with).",
    )
    errors = serializers.JSONField(
        allow_null=True, help_text="Field-level reasons, for an invalid item."
    )
    code = serializers.ChoiceField(
        choices=[409], required=False, help_text="409, for a conflict only."
    )
    detail = serializers.CharField(
        required=False,
        help_text="What the conflict is, for a conflict; why the result was kept "
        "with a case, for an attached item.",
    )
    differing_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=list(COMPARED_FIELDS)),
        required=False,
        help_text="For a conflict only: the compared fields that differ.",
    )
    on_file = IntakeVersionSerializer(
        required=False,
        allow_null=True,
        help_text="For a conflict only: the case on file; null when it is outside "
        "the areas of the client's local team, or the client lacks the casework "
        "scope.",
    )
    received = IntakeVersionSerializer(
        required=False, help_text="For a conflict only: the item as received."
    )


class IntakeBatchSerializer(serializers.Serializer):
    """The answer to a batch: counts, then one result per item in order."""

    detail = serializers.CharField(
        required=False, help_text="Only when every item is a conflict (a 409)."
    )
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    attached = serializers.IntegerField(
        help_text="Items kept with the person's case of the same episode as "
        "further results: no new case."
    )
    invalid = serializers.IntegerField()
    conflict = serializers.IntegerField(
        help_text="Items whose lab reference is already a case for another person "
        "or test: nothing of them written."
    )
    results = IntakeItemSerializer(many=True)
