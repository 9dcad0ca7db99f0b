"""Escalations over the API: the local team's list, and working one through."""

from __future__ import annotations

import django_filters as filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from areas.models import LocalTeam
from audit.services import audit_list_view, audit_view
from escalations.models import Escalation
from figures.weekly import forget_cached_figures
from work.access.escalations import escalations_visible_to, get_escalation_for
from work.escalation import (
    REOPEN_WITHIN,
    ActionSubmissionReused,
    ClosedAlready,
    ReopenedAlready,
    escalation_claim,
    escalation_close,
    escalation_record_action,
    escalation_reopen,
    escalation_return,
)

from ..access import actor_of
from ..calls.views import IDEMPOTENCY_KEY_LONGEST, idempotency_submission
from ..errors import IdempotencyKeyReused
from ..filters import (
    NO_LOCAL_TEAM,
    CodeFilter,
    ColumnChoicesFilter,
    IdFilter,
    LocalDayFilter,
)
from ..permissions import CaseworkScope
from .serializers import (
    EscalationActionInSerializer,
    EscalationActionSerializer,
    EscalationClosedSerializer,
    EscalationCloseSerializer,
    EscalationReopenSerializer,
    EscalationReturnSerializer,
    EscalationSerializer,
)

CONFLICT = OpenApiResponse(description="Not allowed in the escalation's current state.")
# A send back's refusals by the service's names for them, as the request names the
# fields (escalation_return refuses a missing or bad number on the person's "phone").
RETURN_FIELDS = {"phone": "new_phone"}
ACTION_IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description=f"Any text of yours (at most {IDEMPOTENCY_KEY_LONGEST} characters), "
    "new for each action: a request sent again with the same key (a retry after a "
    "timeout) is answered 200 with the action recorded the first time, and nothing "
    "is recorded twice. The same key sent with a different action (another kind or "
    "note) is a 422, and nothing is recorded.",
)


class NoBodySerializer(serializers.Serializer):
    """A request that takes no body (picking an escalation up): OPTIONS and the
    browsable API's form show no fields for it."""


class EscalationFilter(filters.FilterSet):
    status = ColumnChoicesFilter(choices=Escalation.Status.choices)
    reason = ColumnChoicesFilter(choices=Escalation.Reason.choices)
    local_team = CodeFilter(
        field_name="local_team_id",
        model=LocalTeam,
        missing=NO_LOCAL_TEAM,
        help_text="A local team's code, in any case; a code no team has is a 400.",
    )
    case = IdFilter(field_name="case_id")
    contact = IdFilter(field_name="contact_id")
    picked_up_by = IdFilter(field_name="picked_up_by_id")
    created_from = LocalDayFilter(field_name="created_at", bound="from")
    created_to = LocalDayFilter(field_name="created_at", bound="to")

    class Meta:
        model = Escalation
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="Escalations to your local team, newest first"),
    retrieve=extend_schema(summary="One escalation"),
)
class EscalationViewSet(viewsets.ReadOnlyModelViewSet):
    # Any id reaches the view, which answers a JSON 404 for one it cannot find.
    lookup_value_regex = "[^/]+"
    serializer_class = EscalationSerializer
    permission_classes = [CaseworkScope]
    filterset_class = EscalationFilter

    def get_queryset(self):
        return escalations_visible_to(actor_of(self.request)).select_related(
            "local_team"
        )

    def list(self, request: Request, *args, **kwargs) -> Response:
        """A page of escalations; the person of each is audited as read, in one
        INSERT (their case's or contact's person, read in the same query)."""
        queryset = self.filter_queryset(self.get_queryset()).annotate(
            audit_person_id=Coalesce("case__person_id", "contact__person_id")
        )
        page = self.paginate_queryset(queryset)
        audit_list_view(
            user=request.user,
            items=page,
            via="api",
            list_name="escalations",
            person_of=lambda e: e.audit_person_id,
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_object(self) -> Escalation:
        return get_escalation_for(actor_of(self.request), self.kwargs["pk"])

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """One escalation; the read is audited as the local team's page audits it."""
        escalation = self.get_object()
        audit_view(
            user=request.user,
            obj=escalation.item,
            via="api",
            detail={"escalation": escalation.pk},
        )
        return Response(self.get_serializer(escalation).data)

    def _answer(self, escalation: Escalation) -> Response:
        escalation = self.get_queryset().get(pk=escalation.pk)
        return Response(EscalationSerializer(escalation).data)

    @extend_schema(
        summary="Pick the escalation up",
        request=None,
        responses={200: EscalationSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], serializer_class=NoBodySerializer)
    def claim(self, request: Request, pk=None) -> Response:
        request.data  # noqa: B018  (any body is read, so it meets the parser's limits)
        escalation = escalation_claim(escalation=self.get_object(), by=request.user)
        return self._answer(escalation)

    @extend_schema(
        summary="Record something the team did (a door-step visit, a letter...)",
        request=EscalationActionInSerializer,
        parameters=[ACTION_IDEMPOTENCY_KEY],
        responses={
            201: EscalationActionSerializer,
            200: OpenApiResponse(
                EscalationActionSerializer,
                description="Sent again with the same Idempotency-Key: the action "
                "recorded the first time (header Idempotent-Replayed: true).",
            ),
            409: CONFLICT,
            422: OpenApiResponse(
                description="The Idempotency-Key was used for a different action: "
                "nothing recorded."
            ),
        },
    )
    @action(
        detail=True, methods=["post"], serializer_class=EscalationActionInSerializer
    )
    def actions(self, request: Request, pk=None) -> Response:
        escalation = self.get_object()
        serializer = EscalationActionInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submission = idempotency_submission(request, f"escalation:{escalation.pk}")
        now = timezone.now()
        try:
            done = escalation_record_action(
                escalation=escalation,
                kind=serializer.validated_data["kind"],
                note=serializer.validated_data.get("note", ""),
                by=request.user,
                now=now,
                submission=submission,
            )
        except ActionSubmissionReused:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for a different action (another kind "
                "or note): nothing was recorded. Send a new key for a new action; "
                "the same request sent again with this key is answered with the "
                "action it recorded."
            ) from None
        answer = EscalationActionSerializer(done).data
        if submission is not None and done.at != now:
            response = Response(answer)
            response["Idempotent-Replayed"] = "true"
            return response
        return Response(answer, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Close the escalation with an outcome",
        description="Sent again by the same client or person with the same outcome "
        "and note (a retry after a timeout), it is answered 200 with the closed "
        "escalation, as the first time, and nothing is done twice. Any other close of "
        "a closed escalation is a 409 saying who closed it, when and how. A contact "
        "closed reached: `advice` says whether their isolation date went to them in "
        "writing (and where), or why not, as the page tells the team; null otherwise.",
        request=EscalationCloseSerializer,
        responses={200: EscalationClosedSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], serializer_class=EscalationCloseSerializer)
    def close(self, request: Request, pk=None) -> Response:
        escalation = self.get_object()
        serializer = EscalationCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            closed = escalation_close(
                escalation=escalation,
                outcome=serializer.validated_data["outcome"],
                note=serializer.validated_data.get("note", ""),
                by=request.user,
            )
        except ClosedAlready as exc:
            if not exc.same:
                raise
            closed = exc.escalation  # the same close sent again, as the page has it
        closed = self.get_queryset().get(pk=closed.pk)
        return Response(EscalationClosedSerializer(closed).data)

    @extend_schema(
        summary="Send the item back to the national queue",
        description="Sent again by the same client or person with the same note (and "
        "the same new number, if one is sent: a retry after a timeout), it is answered "
        "200 with the escalation, as the first time, and nothing is done twice. Any "
        "other send back of a closed escalation is a 409 saying who closed it, when "
        "and how.",
        request=EscalationReturnSerializer,
        responses={200: EscalationSerializer, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="return",
        serializer_class=EscalationReturnSerializer,
    )
    def send_back(self, request: Request, pk=None) -> Response:
        escalation = self.get_object()
        serializer = EscalationReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        phone = serializer.validated_data.get("new_phone")
        try:
            returned = escalation_return(
                escalation=escalation,
                note=serializer.validated_data["note"],
                new_phone=phone.as_e164 if phone else "",
                by=request.user,
            )
        except DjangoValidationError as exc:
            # Each refusal on the field of this request it is about: the service
            # names the person's number "phone", sent here as "new_phone".
            errors = as_serializer_error(exc)
            raise serializers.ValidationError(
                {RETURN_FIELDS.get(name, name): said for name, said in errors.items()}
            ) from None
        except ClosedAlready as exc:
            if not exc.same:
                raise
            # The same send back sent again, as the page has it.
            returned = exc.escalation
        return self._answer(returned)

    @extend_schema(
        summary="Reopen an escalation closed by mistake",
        description="Who closed it (this client, or a member through the page), or "
        "the team's supervisor, within "
        f"{REOPEN_WITHIN.days} days of the close, with a reason: it is picked up "
        "again by whoever reopens it, to be closed with the right outcome; its item "
        "is with the local team again, and a reach the close counted for the local "
        "team is taken back (the weekly figures follow). The close it undid is kept "
        "in its history. Sent again with the same Idempotency-Key (or, without one, "
        "the same reason by the same client, nothing done since), it is answered 200 "
        "as the first time, and nothing is done twice. A send back, a close made "
        "by the withdrawal of the result behind it, an escalation not closed, one "
        "closed by another, past the window, or whose item has changed since is a "
        "409 saying why.",
        request=EscalationReopenSerializer,
        parameters=[ACTION_IDEMPOTENCY_KEY],
        responses={
            200: EscalationSerializer,
            400: OpenApiResponse(description="No reason given (on `reason`)."),
            409: CONFLICT,
            422: OpenApiResponse(
                description="The Idempotency-Key was used for something else: "
                "nothing done."
            ),
        },
    )
    @action(detail=True, methods=["post"], serializer_class=EscalationReopenSerializer)
    def reopen(self, request: Request, pk=None) -> Response:
        escalation = self.get_object()
        serializer = EscalationReopenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submission = idempotency_submission(request, f"escalation:{escalation.pk}")
        try:
            reopened = escalation_reopen(
                escalation=escalation,
                reason=serializer.validated_data["reason"],
                by=request.user,
                submission=submission,
            )
        except ActionSubmissionReused:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for something else (an action, or "
                "another reason): nothing was done. Send a new key to reopen it."
            ) from None
        except ReopenedAlready as exc:
            if not exc.same:
                raise
            response = self._answer(exc.escalation)  # sent again: as the first
            if submission is not None:
                response["Idempotent-Replayed"] = "true"
            return response
        # What past weeks count may have changed (a reach taken back).
        transaction.on_commit(forget_cached_figures)
        return self._answer(reopened)
