"""GET /api/v1/figures/weekly/: the weekly figures for dashboards."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from figures.selectors import Week, weekly_figures

from .permissions import FiguresScope


class RouteFiguresSerializer(serializers.Serializer):
    reached = serializers.IntegerField()
    reached_within_24h = serializers.IntegerField()


class ByRouteSerializer(serializers.Serializer):
    national = RouteFiguresSerializer(help_text="Reached by the national call centres.")
    local = RouteFiguresSerializer(help_text="Reached by a local team.")
    online = RouteFiguresSerializer(help_text="Completed online.")


class CaseFiguresSerializer(serializers.Serializer):
    transferred = serializers.IntegerField(help_text="Cases that arrived in the week.")
    reached = serializers.IntegerField()
    reached_within_24h = serializers.IntegerField()
    by_route = ByRouteSerializer()


class ContactFiguresSerializer(serializers.Serializer):
    identified = serializers.IntegerField(help_text="Contacts named in the week.")
    reached = serializers.IntegerField()
    reached_within_24h = serializers.IntegerField()
    by_route = ByRouteSerializer()


class WeeklyFiguresSerializer(serializers.Serializer):
    week = serializers.CharField(help_text="ISO week, e.g. 2026-W47.")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    cases = CaseFiguresSerializer()
    contacts = ContactFiguresSerializer()


class WeeklyFiguresView(APIView):
    permission_classes = [FiguresScope]

    @extend_schema(
        summary="Weekly figures: cases and contacts reached, and within 24 hours",
        description="For the cases transferred and the contacts identified in the "
        "week (Monday to Sunday, UK time): how many have been reached, and how many "
        "within 24 hours of arriving, by route. Computed from the time stamps.",
        parameters=[
            OpenApiParameter(
                "week",
                str,
                description="ISO week such as 2026-W47; default: the last complete "
                "week.",
                required=False,
            )
        ],
        responses=WeeklyFiguresSerializer,
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("week", "").strip()
        try:
            week = Week.parse(raw) if raw else Week.last_complete()
        except ValueError as exc:
            raise ValidationError({"week": [str(exc)]}) from None
        return Response(WeeklyFiguresSerializer(weekly_figures(week=week)).data)
