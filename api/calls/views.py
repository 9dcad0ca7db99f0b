"""Call attempts: the list, one call, and recording a call on a case or contact."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import django_filters as filters
from django.db import transaction
from django.db.models.functions import Coalesce
from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import audit_list_view, audit_view
from calls.models import CallAttempt, Outcome
from cases.models import Case
from cases.workitem import WorkItem
from contacts.models import Contact
from figures.weekly import forget_cached_figures
from work.access.calls import calls_visible_to, get_call_for
from work.access.items import items_visible_to
from work.calls import SubmissionReused, call_correct, call_on_file, call_record

from ..access import actor_of, api_client_of
from ..errors import IdempotencyKeyReused
from ..filters import ColumnChoicesFilter, IdFilter, LocalDayFilter
from ..pagination import LatestCallFirstPagination
from ..permissions import CaseworkScope
from .serializers import (
    CallAttemptSerializer,
    CallCorrectedSerializer,
    CallCorrectionInSerializer,
    CallInSerializer,
    call_corrected_answer,
    call_logged_answer,
)


class CallAttemptFilter(filters.FilterSet):
    outcome = ColumnChoicesFilter(choices=Outcome.choices)
    case = IdFilter(field_name="case_id")
    contact = IdFilter(field_name="contact_id")
    caller = IdFilter(field_name="caller_id")
    started_from = LocalDayFilter(field_name="started_at", bound="from")
    started_to = LocalDayFilter(field_name="started_at", bound="to")

    class Meta:
        model = CallAttempt
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Call attempts to the cases and contacts you may see"),
    retrieve=extend_schema(summary="One call attempt"),
)
class CallAttemptViewSet(viewsets.ReadOnlyModelViewSet):
    # Any id reaches the view, which answers a JSON 404 for one it cannot find.
    lookup_value_regex = "[^/]+"
    serializer_class = CallAttemptSerializer
    permission_classes = [CaseworkScope]
    filterset_class = CallAttemptFilter
    pagination_class = LatestCallFirstPagination

    def get_queryset(self):
        return calls_visible_to(actor_of(self.request))

    def get_object(self) -> CallAttempt:
        return get_call_for(actor_of(self.request), self.kwargs["pk"])

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """One call; the read of the person called is audited, as a case's is."""
        call = self.get_object()
        item = call.case if call.case_id else call.contact
        audit_view(user=request.user, obj=call, via="api", person=item.person)
        return Response(self.get_serializer(call).data)

    def list(self, request: Request, *args, **kwargs) -> Response:
        """A page of calls; the person called is audited as read, in one INSERT
        (their case's or contact's person, read in the same query)."""
        queryset = self.filter_queryset(self.get_queryset()).annotate(
            audit_person_id=Coalesce("case__person_id", "contact__person_id")
        )
        page = self.paginate_queryset(queryset)
        audit_list_view(
            user=request.user,
            items=page,
            via="api",
            list_name="calls",
            person_of=lambda call: call.audit_person_id,
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def call_on_item_response(
    request: Request,
    model: type[Case] | type[Contact],
    pk: Any,
    visible: Callable[[], WorkItem],
) -> Response:
    """A call on the case or contact `pk`, as the caller may see it (`visible()`, a
    404 for one they may not). One they may no longer see is found only when this
    request's Idempotency-Key logged a call on it: the call handed it on (back to the
    pool, to the local team), and sent again it is the call logged, not a 404."""
    try:
        item = visible()
    except Http404:
        item = item_called_on_key(request, model, pk)
        if item is None:
            raise
        return call_record_response(request, item, on_file=True)
    return call_record_response(request, item)


def call_record_response(
    request: Request, item: WorkItem, *, on_file: bool | None = None
) -> Response:
    """Validate a call, record it on the item through the same service as the pages,
    answer 201.

    The caller is the signed-in member of staff; an integration names the member of
    staff who made the call, who must be allowed to work the item (403 otherwise, from
    the service). An outcome the item's status does not allow is 409. A call sent
    again with the Idempotency-Key of one on file is that call (200), even once its
    call-back time has passed; a different call on that key is a 422.
    """
    submission = _submission(request, item)
    if on_file is None:  # a call on file for this key (not known yet)
        on_file = submission is not None and call_on_file(item, submission)
    serializer = CallInSerializer(data=request.data, context={"on_file": on_file})
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    client = api_client_of(request)
    caller, by = request.user, None
    if client is not None:
        if data.get("caller") is None:
            raise ValidationError(
                {
                    "caller": [
                        "An integration must give the user id of the member of "
                        "staff who made the call."
                    ]
                }
            )
        caller, by = data["caller"], request.user
    try:
        logged = call_record(
            item=item,
            caller=caller,
            by=by,
            outcome=data["outcome"],
            call_back_at=data.get("call_back_at"),
            duration_seconds=data.get("duration_seconds", 0),
            notes=data.get("notes", ""),
            submission=submission,
            language=data.get("language", ""),
            support=data.get("support", []),
        )
    except SubmissionReused:
        raise IdempotencyKeyReused() from None
    if logged.repeated:
        response = Response(call_logged_answer(logged))
        response["Idempotent-Replayed"] = "true"
        return response
    return Response(call_logged_answer(logged), status=status.HTTP_201_CREATED)


def item_called_on_key(
    request: Request, model: type[Case] | type[Contact], pk: Any
) -> WorkItem | None:
    """The case or contact `pk` when this request's Idempotency-Key already logged a
    call on it (from this client or member of staff), whether or not they may still
    see it: a call that handed the item on (back to the pool, to the local team) sent
    again is the call logged, not a 404. None without a key, or without a call on
    file: the item is then read as any other, and one they may not see is a 404."""
    if not request.headers.get("Idempotency-Key"):
        return None
    try:
        item = model.objects.with_person().get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError, OverflowError):
        return None
    submission = _submission(request, item)
    if submission is None or not call_on_file(item, submission):
        return None
    return item


# The request's Idempotency-Key, as the call's submission: one per client (or member
# of staff) and item, so that another's key, or the same key on another item, is
# another call. The key is the client's, whoever it names as the caller: the same key
# naming another caller is a different call on the same key (a 422).
IDEMPOTENCY = uuid.UUID("6f1c2f9e-3b7a-4c55-9a41-2d1f0c8e7b10")
IDEMPOTENCY_KEY_LONGEST = 255
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Any text of yours (at most 255 characters), new for each call: a "
    "request sent again with the same key (a retry after a timeout) is answered with "
    "the call logged the first time, and nothing is done twice. The same key sent "
    "with a different call (another caller, outcome, call-back time, duration, "
    "notes or support) is a 422, and nothing is logged.",
)


def _submission(request: Request, item: WorkItem) -> uuid.UUID | None:
    """A call sent again with the same Idempotency-Key header (a retry after a
    timeout) is the call logged the first time: answered 200 with it, marked
    Idempotent-Replayed, and nothing done twice."""
    return idempotency_submission(request, f"{item.kind}:{item.pk}")


def idempotency_submission(request: Request, about: str) -> uuid.UUID | None:
    """The request's Idempotency-Key as the submission of one act on `about` (an
    item, an escalation): one per client (or member of staff) and thing acted on.
    None without a key; a key too long or unprintable is a 400 on its header."""
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        return None
    if len(key) > IDEMPOTENCY_KEY_LONGEST or not key.isprintable():
        raise ValidationError(
            {
                "Idempotency-Key": [
                    f"At most {IDEMPOTENCY_KEY_LONGEST} printable characters."
                ]
            }
        )
    return uuid.uuid5(IDEMPOTENCY, f"{request.user.pk}:{about}:{key}")


CORRECTION_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Any text of yours (at most 255 characters), new for each "
    "correction: the request sent again with the same key (a retry after a timeout) "
    "is answered with the correction made the first time, and nothing is done twice. "
    "The same key sent with a different correction is a 422.",
)


class CallCorrectionView(APIView):
    """Correct the outcome of the last call logged on a case or contact (the wrong
    contact's "reached", a voicemail logged as "reached"), through the same
    operation as the page (work.calls.call_correct)."""

    permission_classes = [CaseworkScope]
    model: type[Case] | type[Contact] = Contact

    @extend_schema(
        request=CallCorrectionInSerializer,
        parameters=[CORRECTION_KEY_PARAMETER],
        responses={
            201: CallCorrectedSerializer,
            200: OpenApiResponse(
                CallCorrectedSerializer,
                description="Sent again with the same Idempotency-Key: the "
                "correction made the first time (header Idempotent-Replayed: true).",
            ),
            403: OpenApiResponse(
                description="Only the member of staff who made the call, or a "
                "supervisor of their tier, signed in, corrects its outcome."
            ),
            409: OpenApiResponse(
                description="The outcome may not be corrected now, and `detail` "
                "says why: not the last call, more than 4 hours after it, corrected "
                "already, or the item has moved on since (escalated, completed, "
                "given to someone else)."
            ),
            422: OpenApiResponse(
                description="The Idempotency-Key was used for a different "
                "correction: nothing was done."
            ),
        },
    )
    def post(self, request: Request, pk: str, call_id: str) -> Response:
        """The call's outcome corrected: the case or contact becomes what it would
        have been had the corrected outcome been logged (its status, attempts, next
        call, deadline, reaching), the call is kept, marked corrected, and a
        contact's isolation advice not sent yet is withdrawn. 201 with the call."""
        # A body the API cannot read is a 400 first, whatever the address names.
        data = request.data
        call = self._call_on_item(request, pk, call_id)
        submission = idempotency_submission(request, f"correction:{call.pk}")
        serializer = CallCorrectionInSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        try:
            corrected = call_correct(
                call=call,
                outcome=serializer.validated_data["outcome"],
                reason=serializer.validated_data["reason"],
                by=request.user,
                submission=submission,
            )
        except SubmissionReused as exc:
            raise IdempotencyKeyReused(str(exc)) from None
        if corrected.reaching_changed and not corrected.repeated:
            # The weeks' figures count the item by the week it arrived, perhaps a
            # settled week cached for a day: a reach corrected away (or to) is seen
            # at once, as a reopened escalation's reach taken back is.
            transaction.on_commit(forget_cached_figures)
        if corrected.repeated:
            response = Response(call_corrected_answer(corrected))
            response["Idempotent-Replayed"] = "true"
            return response
        return Response(
            call_corrected_answer(corrected), status=status.HTTP_201_CREATED
        )

    def _call_on_item(self, request: Request, pk: str, call_id: str) -> CallAttempt:
        """The call on the item `pk` when the asker may see the item, else 404; on
        one they may no longer see only when this request's key corrected the call
        already (the answer to a retry)."""
        kind = self.model._meta.model_name
        try:
            visible = items_visible_to(actor_of(request), self.model).filter(pk=pk)
            seen = visible.exists()
        except (ValueError, TypeError, OverflowError):
            seen = False
        try:
            call = CallAttempt.objects.get(pk=call_id, **{f"{kind}_id": pk})
        except (CallAttempt.DoesNotExist, ValueError, TypeError, OverflowError):
            # Of an item they may not see: as if there were no such item.
            raise Http404(
                "No such call attempt." if seen else f"No such {kind}."
            ) from None
        if not seen:
            submission = idempotency_submission(request, f"correction:{call.pk}")
            if submission is None or call.correction_submission != submission:
                raise Http404(f"No such {kind}.")
        return call
