"""Contacts over the API: list, one contact, record a call."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from audit.services import audit_list_view, audit_view
from contacts.models import Contact
from work.access.contacts import contacts_visible_to, get_contact_for

from ..access import actor_of
from ..calls.serializers import CallInSerializer, CallLoggedSerializer
from ..calls.views import (
    IDEMPOTENCY_KEY_PARAMETER,
    call_on_item_response,
)
from ..filters import IdFilter, WorkItemFilter
from ..isolation import (
    OVERRIDE_SCHEMA,
    IsolationOverrideInSerializer,
    isolation_override_response,
)
from ..permissions import CaseworkScope
from .serializers import LAST_KIND, ContactSerializer, with_last_exposure


class ContactFilter(WorkItemFilter):
    case = IdFilter(
        method="named_by_case",
        help_text="Id of a case that named them: the case that named them first "
        "(their `case`) or one that named them again later. The contacts of a case, "
        "as its page lists them.",
    )
    exposure = filters.ChoiceFilter(
        field_name=LAST_KIND,
        choices=Contact.Exposure.choices,
        help_text="How they were last exposed: their `exposure`, the latest naming's.",
    )

    class Meta:
        model = Contact
        fields: list[str] = []

    def named_by_case(
        self, queryset: QuerySet[Contact], name: str, value: int
    ) -> QuerySet[Contact]:
        """The contacts the case named, as its page lists them (its own, and those
        of another case it named again): ContactQuerySet.named_by."""
        return queryset.named_by(value)


@extend_schema_view(
    list=extend_schema(summary="Contacts you may see, newest first"),
    retrieve=extend_schema(summary="One contact"),
)
class ContactViewSet(viewsets.ReadOnlyModelViewSet):
    # Any id reaches the view, which answers a JSON 404 for one it cannot find.
    lookup_value_regex = "[^/]+"
    serializer_class = ContactSerializer
    permission_classes = [CaseworkScope]
    filterset_class = ContactFilter

    def get_queryset(self):
        # Each with its latest exposure (the one shown), read in the page's query.
        return with_last_exposure(
            contacts_visible_to(actor_of(self.request)).select_related(
                "person", "area", "local_team"
            )
        )

    def get_object(self) -> Contact:
        return get_contact_for(actor_of(self.request), self.kwargs["pk"])

    def list(self, request: Request, *args, **kwargs) -> Response:
        """A page of contacts; each person on it is audited as read (one INSERT)."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        audit_list_view(user=request.user, items=page, via="api", list_name="contacts")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """One contact; the read is audited as the page's is."""
        contact = self.get_object()
        audit_view(user=request.user, obj=contact, via="api")
        return Response(self.get_serializer(contact).data)

    @extend_schema(
        summary="Record a call to the contact and its outcome",
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
                description="The contact's status does not allow a call now."
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
        return call_on_item_response(request, Contact, pk, self.get_object)

    @OVERRIDE_SCHEMA
    @action(
        detail=True,
        methods=["post"],
        url_path="isolation",
        serializer_class=IsolationOverrideInSerializer,
    )
    def override_isolation(self, request: Request, pk=None) -> Response:
        return isolation_override_response(request, self.get_object())
