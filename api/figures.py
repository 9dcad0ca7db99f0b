"""GET /api/v1/figures/weekly/: the weekly figures for dashboards, by route and area."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from areas.models import Area, LocalTeam
from figures.replica import replica_reads
from figures.weekly import (
    ISO,
    ROUTES,
    SCOPE_KINDS,
    SPREAD_KEYS,
    THURSDAY,
    Period,
    Scope,
    may_see,
    week_not_started,
    weekly_figures,
)

from .access import actor_of
from .filters import NO_AREA, NO_LOCAL_TEAM, normal_code
from .permissions import FiguresScope

# --- the query --------------------------------------------------------------------


class WeeklyQuerySerializer(serializers.Serializer):
    week = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="A date in the week (2021-01-07), or for ISO weeks also a week "
        "(2021-W01). Default: the last complete week.",
    )
    weeks = serializers.ChoiceField(
        choices=[THURSDAY, ISO],
        required=False,
        default=THURSDAY,
        help_text="'thu': Thursday to Wednesday, England's published weeks (the "
        "default); 'iso': Monday to Sunday.",
    )
    team = serializers.CharField(
        required=False,
        max_length=16,
        help_text="A local team's code: the items of its areas. Default: England, "
        "or for a client or member of a local team, that team.",
    )
    area = serializers.CharField(
        required=False,
        max_length=9,
        help_text="An area's ONS code (E08000019): the items of that area.",
    )

    def validate(self, attrs):
        if attrs.get("team") and attrs.get("area"):
            raise ValidationError({"area": ["Give a team or an area, not both."]})
        return attrs


# --- the answer -------------------------------------------------------------------


def _fields_serializer(name: str, keys, field) -> type[serializers.Serializer]:
    """A serializer of a dict whose keys are not Python names ("24_48h")."""
    return type(name, (serializers.Serializer,), {key: field() for key in keys})


SpreadCountsSerializer = _fields_serializer(
    "SpreadCountsSerializer",
    SPREAD_KEYS,
    lambda: serializers.IntegerField(
        help_text="Reached, by hours from arriving to being reached."
    ),
)


class RouteFiguresSerializer(serializers.Serializer):
    reached = serializers.IntegerField()
    within_24h = serializers.IntegerField()


ByRouteSerializer = _fields_serializer(
    "ByRouteSerializer", ROUTES, RouteFiguresSerializer
)


class PeriodSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="2021-01-07 (thu) or 2021-W01 (iso).")
    label = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(help_text="The week's last day (inclusive).")
    kind = serializers.ChoiceField(choices=[THURSDAY, ISO])
    closed = serializers.SerializerMethodField(help_text="The week is over.")

    def get_closed(self, period: Period) -> bool:
        return period.is_closed()


class ScopeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SCOPE_KINDS)
    id = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()
    code = serializers.CharField(allow_blank=True)


def _pct(**kwargs) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, **kwargs)


class CaseFiguresSerializer(serializers.Serializer):
    transferred = serializers.IntegerField(help_text="Cases that arrived in the week.")
    reached = serializers.IntegerField(help_text="Of those, reached by now.")
    reached_pct = _pct()
    within_24h = serializers.IntegerField(help_text="Reached within 24 hours.")
    within_24h_pct = _pct()
    spread = SpreadCountsSerializer()
    not_reached_no_details = serializers.IntegerField(
        help_text="Not reached for want of a working phone number: handed to the "
        "local team for a wrong or missing number, or, still with the national "
        "service, with no phone number and no email on record. A closed week's "
        "count keeps what was true when each case ended."
    )
    not_reached_other = serializers.IntegerField()
    known_contacts = serializers.IntegerField(
        help_text="Of those, cases who were known contacts: named as a contact "
        "before they arrived, exposed within the chain's days (14 by default) before "
        "their symptom onset or, without one, their specimen date."
    )
    known_contacts_pct = _pct(help_text="Of transferred.")
    by_route = ByRouteSerializer(
        help_text="online; tier2 and tier3 (the national call centres, by the tier "
        "of the caller who reached them); local."
    )


class ContactFiguresSerializer(serializers.Serializer):
    identified = serializers.IntegerField(
        help_text="People named as contacts in the week, each counted once."
    )
    merged = serializers.IntegerField(
        help_text="Contact rows counted as a person already counted."
    )
    reached = serializers.IntegerField()
    reached_pct = _pct()
    within_24h = serializers.IntegerField()
    within_24h_pct = _pct()
    spread = SpreadCountsSerializer()
    by_route = ByRouteSerializer()
    per_case = _pct(help_text="Contacts identified per case transferred.")


class SpreadSerializer(serializers.Serializer):
    median = _pct(help_text="Hours.")
    p90 = _pct(help_text="Hours: the 90th percentile.")
    n = serializers.IntegerField()


class TimesSerializer(serializers.Serializer):
    specimen_to_result = SpreadSerializer()
    result_to_case_reached = SpreadSerializer()
    case_reached_to_contacts_reached = SpreadSerializer()


class StaffRowSerializer(serializers.Serializer):
    tier = serializers.IntegerField()
    team = serializers.CharField(allow_blank=True)
    hours_on_shift = serializers.FloatField()
    calls = serializers.IntegerField()
    reached = serializers.IntegerField()
    calls_per_hour = _pct()
    reached_per_hour = _pct()
    idle_share = _pct(
        help_text="0 to 1: the share of shift time not on a call nor writing one up "
        "(5 minutes a call); each person's calls count up to their own shift time."
    )


class WeeklyFiguresSerializer(serializers.Serializer):
    period = PeriodSerializer()
    scope = ScopeSerializer()
    cases = CaseFiguresSerializer()
    contacts = ContactFiguresSerializer()
    times = TimesSerializer()
    staff = StaffRowSerializer(
        many=True, help_text="England only: per national tier and staff team."
    )
    computed_at = serializers.DateTimeField()


# --- the view ---------------------------------------------------------------------


def _scope(query: dict, *, local_team_id: int | None) -> Scope:
    """The scope asked for, refused (403) if the viewer is bound to another team.
    Codes are read as the lists' filters read them (normal_code)."""
    if code := normal_code(query.get("team") or ""):
        team = LocalTeam.objects.filter(code=code).first()
        if team is None:
            raise ValidationError({"team": [NO_LOCAL_TEAM % {"code": code}]})
        scope = Scope.team(team)
    elif code := normal_code(query.get("area") or ""):
        area = Area.objects.for_code(code)
        if area is None:
            raise ValidationError({"area": [NO_AREA % {"code": code}]})
        scope = Scope.area(area)
    elif local_team_id is not None:
        return Scope.team(LocalTeam.objects.get(pk=local_team_id))
    else:
        return Scope.england()
    if not may_see(scope, local_team_id=local_team_id):
        raise PermissionDenied(
            "You may see the figures of your own local team and its areas only."
        )
    return scope


class WeeklyFiguresView(APIView):
    permission_classes = [FiguresScope]

    @extend_schema(
        summary="Weekly figures: cases and contacts reached, how soon, by route",
        description="For the cases transferred and the contacts identified in the "
        "week (Thursday to Wednesday by default, or ISO weeks; UK time): how many "
        "have been reached, how many within 24 hours of arriving, by route, the "
        "times between the steps (median and 90th percentile, hours) and, for "
        "England, the national staff's hours and calls. A contact named twice is "
        "counted once. A client or member of a local team sees its own team and "
        "its areas only (403 for another).",
        parameters=[WeeklyQuerySerializer],
        responses=WeeklyFiguresSerializer,
    )
    def get(self, request: Request) -> Response:
        query = WeeklyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind = query.validated_data["weeks"]
        raw = (query.validated_data.get("week") or "").strip()
        try:
            period = Period.parse(raw, kind) if raw else Period.last_complete(kind)
        except ValueError as exc:
            raise ValidationError({"week": [str(exc)]}) from None
        if problem := week_not_started(period, timezone.localdate()):
            raise ValidationError({"week": [problem]})
        actor = actor_of(request)
        scope = _scope(query.validated_data, local_team_id=actor.local_team_id)
        # A few seconds behind the primary at most, like the page (figures/replica.py).
        with replica_reads():
            figures = weekly_figures(period=period, scope=scope)
        return Response(WeeklyFiguresSerializer(figures).data)
