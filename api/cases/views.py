"""Cases and test-result intake over the API."""

from __future__ import annotations

import uuid

import django_filters as filters
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import APIView

from audit.services import audit_list_view, audit_view
from cases.models import Case
from contacts.models import Contact
from work.access.cases import cases_visible_to, get_case_for
from work.access.contacts import contacts_visible_to
from work.casework import DuplicateContact, contact_add
from work.intake import (
    IntakeConflict,
    TestResult,
    case_intake_many,
    case_intake_one,
)

from ..access import actor_of
from ..calls.serializers import CallInSerializer, CallLoggedSerializer
from ..calls.views import (
    IDEMPOTENCY_KEY_LONGEST,
    IDEMPOTENCY_KEY_PARAMETER,
    call_on_item_response,
    idempotency_submission,
)
from ..contacts.serializers import (
    ContactInSerializer,
    ContactReceiptSerializer,
    ContactSerializer,
    contact_receipt_answer,
)
from ..errors import BatchTooLarge, IdempotencyKeyReused
from ..filters import WorkItemFilter
from ..isolation import (
    OVERRIDE_SCHEMA,
    IsolationOverrideInSerializer,
    isolation_override_response,
)
from ..models import Scope
from ..parsers import SURROGATE
from ..permissions import CaseworkScope, IntakeScope, request_has_scope
from .contact_keys import (
    KEPT_SECONDS,
    contact_added_on_key,
    contact_added_on_key_keep,
    contact_of_key,
)
from .serializers import (
    MAX_BATCH,
    CaseSerializer,
    IntakeAttachedSerializer,
    IntakeBatchSerializer,
    IntakeConflictSerializer,
    IntakeReceiptSerializer,
    LabResultInSerializer,
    attached_answer,
    conflict_answer,
    receipt_answer,
    validate_batch,
)

CONTACT_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description=f"Any text of yours (at most {IDEMPOTENCY_KEY_LONGEST} characters), "
    "new for each contact: the request sent again with the same key (a retry after "
    "a timeout) is answered 200 with the contact added the first time, and nothing "
    "is added twice. The same key sent with a different contact is a 422, and "
    f"nothing is added. A key is remembered for {KEPT_SECONDS // 3600} hours; "
    "without one, the contact sent again is a 409 duplicate_contact.",
)


class CaseFilter(WorkItemFilter):
    complexity = filters.ChoiceFilter(choices=Case.Complexity.choices)
    lab_reference = filters.CharFilter()

    class Meta:
        model = Case
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Cases you may see, newest first"),
    retrieve=extend_schema(summary="One case"),
)
class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    # Any id reaches the view, which answers a JSON 404 for one it cannot find.
    lookup_value_regex = "[^/]+"
    serializer_class = CaseSerializer
    permission_classes = [CaseworkScope]
    filterset_class = CaseFilter

    def get_queryset(self):
        return cases_visible_to(actor_of(self.request)).select_related(
            "person", "area", "local_team"
        )

    def get_object(self) -> Case:
        return get_case_for(actor_of(self.request), self.kwargs["pk"])

    def list(self, request: Request, *args, **kwargs) -> Response:
        """A page of cases; each person on it is audited as read (one INSERT)."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        audit_list_view(user=request.user, items=page, via="api", list_name="cases")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """One case; the read is audited as the page's is."""
        case = self.get_object()
        audit_view(user=request.user, obj=case, via="api")
        return Response(self.get_serializer(case).data)

    @extend_schema(
        summary="Add a contact to the case",
        description="One person is one contact to call however many cases name "
        "them. A person already a contact of another case, still to be reached (or "
        "already told to isolate at least as long), is not made a contact again: "
        "this exposure is added to their contact, whose `isolation_ends_on` moves "
        "to the latest exposure's end, and the answer is 200 with that contact "
        "(its `case` is the case that named them first). A new contact is 201. "
        "A contact the caller may not see (the other case held by someone else, "
        "or outside the client's areas) is answered with a ContactReceipt: its id, "
        "`joined`, and `isolation_ends_on`, nothing else of it.",
        request=ContactInSerializer,
        parameters=[CONTACT_KEY_PARAMETER],
        responses={
            200: OpenApiResponse(
                response=PolymorphicProxySerializer(
                    component_name="JoinedContactOrReceipt",
                    serializers=[ContactSerializer, ContactReceiptSerializer],
                    resource_type_field_name=None,
                ),
                description="The person was already a contact of another case: "
                "this exposure was added to that contact. Or sent again with the "
                "same Idempotency-Key: the contact added the first time (header "
                "Idempotent-Replayed: true).",
            ),
            201: PolymorphicProxySerializer(
                component_name="NewContactOrReceipt",
                serializers=[ContactSerializer, ContactReceiptSerializer],
                resource_type_field_name=None,
            ),
            409: OpenApiResponse(
                description="The person is already a contact of this case, "
                "or is the case themselves (code duplicate_contact)."
            ),
            422: OpenApiResponse(
                description="The Idempotency-Key was used for a different contact: "
                "nothing was added."
            ),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="contacts",
        serializer_class=ContactInSerializer,
    )
    def add_contact(self, request: Request, pk=None) -> Response:
        case = self.get_object()
        actor = actor_of(request)
        # The key is one per client (or member of staff) and case: another case's
        # contact on the same key is another contact.
        submission = idempotency_submission(request, f"contacts:{case.pk}")
        if submission is not None and (
            replayed := self._contact_on_key(request, case, submission)
        ):
            return replayed
        # The case's own postcode is taken whether the directory knows it or not.
        serializer = ContactInSerializer(
            data=request.data, context={"held_postcode": case.person.postcode}
        )
        serializer.is_valid(raise_exception=True)
        try:
            contact = contact_add(case=case, details=serializer.to_details(), by=actor)
        except DuplicateContact:
            # The same key sent twice at once: the second waited for the first's
            # lock on the case and met the person it added.
            if submission is not None and (
                replayed := self._contact_on_key(request, case, submission)
            ):
                return replayed
            raise
        if submission is not None:
            contact_added_on_key_keep(submission, request=request, contact=contact)
        answer_status = (
            status.HTTP_200_OK
            if contact.joined is not None
            else status.HTTP_201_CREATED
        )
        return self._contact_answer(
            request, contact, answer_status, shown_on_file=False
        )

    def _contact_on_key(
        self, request: Request, case: Case, submission: uuid.UUID
    ) -> Response | None:
        """The answer to a contact sent again on the key that added it (200, marked
        Idempotent-Replayed, nothing added again); a 422 for another body on that
        key; None when the key added nothing remembered."""
        added = contact_added_on_key(submission)
        if added is None:
            return None
        # A contact no longer held (erased, merged away) leaves nothing to answer.
        contact = contact_of_key(added, case=case, by=request.user)
        if contact is None:
            return None
        if not added.same_body(request):
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for a different contact (another "
                "person, exposure date or kind): nothing was added. Send a new key "
                "for a new contact; the same request sent again with this key is "
                "answered with the contact it added."
            )
        response = self._contact_answer(
            request, contact, status.HTTP_200_OK, shown_on_file=True
        )
        response["Idempotent-Replayed"] = "true"
        return response

    def _contact_answer(
        self,
        request: Request,
        contact: Contact,
        answer_status: int,
        *,
        shown_on_file: bool,
    ) -> Response:
        """The contact added or joined, or its receipt when the caller may not
        see it. `shown_on_file`: the contact was made by an earlier request."""
        actor = actor_of(request)
        # A person already another case's contact joins that contact, which may be
        # one the caller cannot read (another caseworker's case, another team's
        # area): they are told it was joined and until when, nothing more.
        if not contacts_visible_to(actor).filter(pk=contact.pk).exists():
            return Response(contact_receipt_answer(contact), status=answer_status)
        if shown_on_file or contact.joined is not None:
            # The contact on file shown (their date of birth, their email): a read,
            # audited as any other through the API. A contact just made is not.
            audit_view(user=request.user, obj=contact, via="api")
        return Response(ContactSerializer(contact).data, status=answer_status)

    @extend_schema(
        summary="Record a call to the case and its outcome",
        request=CallInSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: CallLoggedSerializer,
            200: OpenApiResponse(
                CallLoggedSerializer,
                description="Sent again with the same Idempotency-Key: the call "
                "logged the first time (header Idempotent-Replayed: true), also when "
                "that call handed the item on (back to the pool, to the local team) "
                "and it is no longer one you may see.",
            ),
            409: OpenApiResponse(
                description="The case's status does not allow a call now."
            ),
            422: OpenApiResponse(
                description="The Idempotency-Key was used for a different call: "
                "nothing was logged."
            ),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="calls",
        serializer_class=CallInSerializer,
    )
    def record_call(self, request: Request, pk=None) -> Response:
        return call_on_item_response(request, Case, pk, self.get_object)

    @OVERRIDE_SCHEMA
    @action(
        detail=True,
        methods=["post"],
        url_path="isolation",
        serializer_class=IsolationOverrideInSerializer,
    )
    def override_isolation(self, request: Request, pk=None) -> Response:
        return isolation_override_response(request, self.get_object())


BATCH_DESCRIPTION = f"""Post one positive result (an object) or a batch (a list of up to
{MAX_BATCH}).

Idempotent on `lab_reference`: a result already received returns the existing case and
changes nothing.

A lab reference already on file (or earlier in the same batch) for a different person
or test is a **conflict**, never silently dropped: nothing of it is written, and the
answer carries both versions (`on_file`, `received`) of the compared fields and the
names of those that differ (`differing_fields`). Compared are the person's first and
last names (ignoring case and surrounding spaces), date of birth and NHS number (a
blank on either side agrees with anything), and the specimen and result dates. Phone,
email, address and postcode are contact details that may change: they are not
compared.

A result of a person who already has a case whose specimen date is within 90 days of
this one's (before or after; the case open or closed) is the same episode of
infection, not a new case: it is **attached** to that case (the most recent such) as a
further result. No case is made, nothing is sent to the person, their isolation is
not changed and nothing is assigned; the answer is `status` attached with the case's
id and a `detail` saying why (an IntakeAttached), and the same result sent again is
answered the same. A positive test 91 days or more after the case's is a new case.

**One result**: 201 with the new case; 200 with the existing case (each an
IntakeReceipt when the case is not shown, below); 200 with an IntakeAttached for a
further result; 409 with the conflict; 400 with field errors.

A client bound to a local team is never shown a case outside its team's areas: for
such a case it gets its id and lab reference (an IntakeReceipt) rather than the case,
and a conflict with such a case names neither the case nor its person (`case` and
`on_file` null, `differing_fields` empty).

A client without the `casework` scope is shown no case and no person on file: a
result taken or already held is answered with an IntakeReceipt (the case's id, lab
reference and `status` created or existing), and a conflict with the case's id and
the names of the fields that differ (`differing_fields`), `on_file` null. A caller
with the `casework` scope who is shown a case, or a person on file in a conflict, has
that read audited, as any other read through the API.

**A batch**: 200 once the batch is read, with one entry per item in order (`status`
created, existing, attached, invalid or conflict; the case id; the `detail` of an
attached item; the field errors of an invalid item; the `code` 409, `detail` and both
versions of a conflict), and the count of each status. Two results of one person in
a batch: the first makes the case (if they have none of the episode), the others are
attached to it. A batch whose every item is a conflict is 409, with the same body. Good items
are saved and bad ones reported; each item is written in its own savepoint, so an item
that fails leaves nothing behind. Posting the same batch again is safe: its items come
back as existing. An empty list is 400; more than {MAX_BATCH} items is 413.
"""


def _hidden_cases(request: Request, case_ids) -> set[int]:
    """Of these cases, those the caller may not see: for a client bound to a local
    team, those outside its areas (none for a national client)."""
    actor = actor_of(request)
    ids = set(case_ids)
    if actor.sees_everything or not ids:
        return set()
    seen = cases_visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True)
    return ids - set(seen)


def _lab_reference_of(item, checked: TestResult | dict) -> str | None:
    """The item's lab reference as its answer repeats it, for the lab to match the
    answers to its results: as stored for a valid item (trimmed; a whole number is
    stored as its text, 123456 as "123456"), else as sent when it is text or a
    number; None for text that is not valid Unicode, which no answer can hold."""
    if isinstance(checked, TestResult):
        return checked.lab_reference
    value = item.get("lab_reference") if isinstance(item, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or SURROGATE.search(value):
        return None
    return value[:64]


class LabResultIntakeView(APIView):
    permission_classes = [IntakeScope]
    # A batch of 1,000 results with long addresses runs to a few megabytes.
    max_body_bytes = settings.API_INTAKE_MAX_BODY_BYTES
    # A batch's items holding text that is not valid Unicode are reported invalid
    # by validate_batch, the rest saved: the parser does not refuse the whole batch.
    unicode_checked_per_item = True

    @extend_schema(
        summary="Post positive test results",
        description=BATCH_DESCRIPTION,
        request=PolymorphicProxySerializer(
            component_name="TestResultOrBatch",
            serializers=[LabResultInSerializer, LabResultInSerializer(many=True)],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            200: PolymorphicProxySerializer(
                component_name="ExistingCaseOrBatchResult",
                serializers=[
                    CaseSerializer,
                    IntakeReceiptSerializer,
                    IntakeAttachedSerializer,
                    IntakeBatchSerializer,
                ],
                resource_type_field_name=None,
            ),
            201: PolymorphicProxySerializer(
                component_name="NewCaseOrReceipt",
                serializers=[CaseSerializer, IntakeReceiptSerializer],
                resource_type_field_name=None,
            ),
            409: OpenApiResponse(
                response=PolymorphicProxySerializer(
                    component_name="IntakeConflictOrBatchResult",
                    serializers=[IntakeConflictSerializer, IntakeBatchSerializer],
                    resource_type_field_name=None,
                ),
                description="A conflict: the lab reference of the one result "
                "posted, or of every item of a batch, is already a case for another "
                "person or test, and nothing was written. One result answers an "
                "IntakeConflict, a batch an IntakeBatch whose items are conflicts; "
                "both carry `detail`.",
            ),
            413: OpenApiResponse(description=f"More than {MAX_BATCH} results."),
        },
        examples=[
            OpenApiExample(
                "One result",
                request_only=True,
                value={
                    "lab_reference": "LAB-2026-000123",
                    "person": {
                        "first_name": "Asha",
                        "last_name": "Patel",
                        "date_of_birth": "1984-03-02",
                        "nhs_number": "9434765919",
                        "phone": "07911 123456",
                        "postcode": "S1 2HE",
                    },
                    "specimen_date": "2026-11-20",
                    "result_date": "2026-11-21",
                    "symptom_onset": "2026-11-19",
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, list):
            return self._batch(data)
        if not isinstance(data, dict):
            raise ValidationError(
                {"non_field_errors": ["Send one result (an object) or a list of them."]}
            )
        serializer = LabResultInSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        # Intake alone writes: only a caller who may also read case work is shown
        # a case, or a person on file, and the read is audited as any other.
        casework = request_has_scope(request, Scope.CASEWORK)
        try:
            outcome = case_intake_one(
                result=serializer.to_result(), source=Case.Source.API, by=request.user
            )
        except IntakeConflict as conflict:
            hidden = bool(_hidden_cases(request, [conflict.case.pk]))
            if casework and not hidden:
                audit_view(
                    user=request.user,
                    obj=conflict.case,
                    via="api",
                    detail={"intake": "conflict"},
                )
            return Response(
                conflict_answer(
                    lab_reference=conflict.lab_reference,
                    case_id=conflict.case.pk,
                    conflict=conflict.conflict,
                    hidden=hidden,
                    values_shown=casework,
                ),
                status=status.HTTP_409_CONFLICT,
            )
        case, created = outcome.case, outcome.created
        assert case is not None
        if outcome.further is not None:
            # Kept with the person's case: its id and why, not the case itself.
            return Response(
                attached_answer(
                    lab_reference=outcome.further.lab_reference, case_id=case.pk
                ),
                status=status.HTTP_200_OK,
            )
        answer_status = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        if _hidden_cases(request, [case.pk]):
            return Response(receipt_answer(case, created=created), status=answer_status)
        if not casework:
            return Response(
                receipt_answer(case, created=created, outside_areas=False),
                status=answer_status,
            )
        case = Case.objects.with_person().select_related("local_team").get(pk=case.pk)
        audit_view(user=request.user, obj=case, via="api")
        return Response(CaseSerializer(case).data, status=answer_status)

    def _batch(self, items: list) -> Response:
        if len(items) > MAX_BATCH:
            raise BatchTooLarge(
                f"A batch holds at most {MAX_BATCH} results; this one has "
                f"{len(items)}. Split it into several requests."
            )
        if not items:
            raise ValidationError({"non_field_errors": ["The batch is empty."]})
        results = []
        valid: dict[int, TestResult] = {}
        for index, (item, checked) in enumerate(
            zip(items, validate_batch(items), strict=True)
        ):
            results.append(
                {
                    "index": index,
                    "lab_reference": _lab_reference_of(item, checked),
                    "case": None,
                    "errors": checked if isinstance(checked, dict) else None,
                }
            )
            if isinstance(checked, TestResult):
                valid[index] = checked
        # One service call for the batch: each item in its own savepoint there, so an
        # item that fails leaves nothing behind.
        outcomes = case_intake_many(
            results=list(valid.values()), source=Case.Source.API, by=self.request.user
        )
        hidden = _hidden_cases(
            self.request,
            [o.case.pk for o in outcomes if o.conflict is not None and o.case],
        )
        casework = request_has_scope(self.request, Scope.CASEWORK)
        shown_on_file = []
        for index, outcome in zip(valid, outcomes, strict=True):
            entry = results[index]
            if isinstance(outcome.error, DjangoValidationError):
                entry["errors"] = as_serializer_error(outcome.error)
            elif outcome.error is not None:
                entry["errors"] = {
                    "non_field_errors": ["The database refused this result."]
                }
            elif outcome.conflict is not None:
                # Nothing of it written: both versions said, field by field.
                entry.update(
                    conflict_answer(
                        lab_reference=valid[index].lab_reference,
                        case_id=outcome.case.pk,
                        conflict=outcome.conflict,
                        hidden=outcome.case.pk in hidden,
                        values_shown=casework,
                    )
                )
                if entry["on_file"] is not None:
                    shown_on_file.append(outcome.case)
            elif outcome.further is not None:
                entry.update(
                    attached_answer(
                        lab_reference=outcome.further.lab_reference,
                        case_id=outcome.case.pk,
                    )
                )
            else:
                entry["case"] = outcome.case.pk
                entry["status"] = "created" if outcome.created else "existing"
        # The people on file shown in conflicts: read, so audited (one INSERT).
        audit_list_view(
            user=self.request.user,
            items=shown_on_file,
            via="api",
            list_name="intake conflicts",
        )
        counts = {
            "created": 0,
            "existing": 0,
            "attached": 0,
            "invalid": 0,
            "conflict": 0,
        }
        for entry in results:
            if entry["errors"] is not None:
                entry["status"] = "invalid"
            counts[entry["status"]] += 1
        if counts["conflict"] == len(results):
            # Nothing of the batch written: a 409, with the `detail` every error has.
            return Response(
                {
                    "detail": "Every result of the batch is a conflict: nothing was "
                    "written.",
                    **counts,
                    "results": results,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response({**counts, "results": results}, status=status.HTTP_200_OK)
