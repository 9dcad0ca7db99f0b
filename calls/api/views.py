"""Call attempts: the list, one call, and recording a call on a case or contact."""

from __future__ import annotations

import django_filters as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from calls.models import CallAttempt, Outcome
from calls.services import call_record
from cases.workitem import WorkItem
from integrations.access import api_client_of, calls_for, get_call_for_request
from integrations.filters import IdFilter, LocalDayFilter
from integrations.pagination import LatestCallFirstPagination
from integrations.permissions import CaseworkScope

from .serializers import CallAttemptSerializer, CallInSerializer


class CallAttemptFilter(filters.FilterSet):
    outcome = filters.MultipleChoiceFilter(choices=Outcome.choices)
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
        return calls_for(self.request)

    def get_object(self) -> CallAttempt:
        return get_call_for_request(self.request, self.kwargs["pk"])


def call_record_response(request: Request, item: WorkItem) -> Response:
    """Validate a call, record it on the item through the service, answer 201.

    An outcome the item's status does not allow is IllegalTransition: 409.
    """
    serializer = CallInSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    caller = request.user
    if api_client_of(request) is not None and data.get("caller") is not None:
        caller = data["caller"]
    call = call_record(
        item=item,
        caller=caller,
        outcome=data["outcome"],
        call_back_at=data.get("call_back_at"),
        duration_seconds=data.get("duration_seconds", 0),
        notes=data.get("notes", ""),
    )
    return Response(CallAttemptSerializer(call).data, status=status.HTTP_201_CREATED)
