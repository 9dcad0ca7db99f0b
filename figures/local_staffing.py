"""Each local team's staffing beside its open work: its active members, its open
escalations and how many of those are overdue.

Read for the administrators, who staff the teams. A team with open escalations and no
active member has nobody to see them: national supervisors do not see escalations
(docs/access.md), and the escalations keep coming (a team with no member, the fallback
team, or a team whose last member was deactivated, its picked-up work given back to
its queue). The admin's list of local teams and its home page say so.

Set-based: the three counts are grouped subqueries of the one query that lists the
teams (each follows an index: `escalation_queue` on team, status and due), so a page of
~150 teams is one statement, never a query per team."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from areas.models import LocalTeam
from escalations.models import Escalation
from staffing.models import StaffProfile, Tier

OPEN = (Escalation.Status.NEW, Escalation.Status.PICKED_UP)

# Open work and nobody to do it: the teams to warn about (on teams `with_staffing`).
UNSTAFFED = Q(open_escalations__gt=0, active_members=0)


def active_members() -> QuerySet[StaffProfile]:
    """Who can work a team's escalations: tier 1 staff of the team whose account is
    on (a deactivated account cannot sign in; its picked-up work goes back to the
    team's queue)."""
    return StaffProfile.objects.filter(tier=Tier.LOCAL, user__is_active=True)


def _count_per_team(rows: QuerySet) -> Coalesce:
    """How many of `rows` are the outer query's team's (0 for none): a subquery
    grouped by team, correlated on the team's id."""
    per_team = (
        rows.filter(local_team_id=OuterRef("pk"))
        .order_by()
        .values("local_team_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_team, output_field=IntegerField()), 0)


def with_staffing(
    teams: QuerySet[LocalTeam], *, now: datetime | None = None
) -> QuerySet[LocalTeam]:
    """The teams, each with `active_members`, `open_escalations` (new or picked up)
    and `overdue_escalations` (open, past their due time): sortable and filterable
    like columns (`UNSTAFFED`)."""
    now = now or timezone.now()
    open_escalations = Escalation.objects.filter(status__in=OPEN)
    return teams.annotate(
        active_members=_count_per_team(active_members()),
        open_escalations=_count_per_team(open_escalations),
        overdue_escalations=_count_per_team(open_escalations.filter(due_at__lt=now)),
    )


def unstaffed_local_teams(*, now: datetime | None = None) -> list[LocalTeam]:
    """The teams with open escalations and no active member, with their counts: the
    most overdue first, then the most open, then by name. One query."""
    return list(
        with_staffing(LocalTeam.objects.all(), now=now)
        .filter(UNSTAFFED)
        .order_by(F("overdue_escalations").desc(), F("open_escalations").desc(), "name")
    )
