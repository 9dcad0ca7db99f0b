"""Reads about the members of a team: who they are, who may take work now, and the
team page's overview (caps, hours booked, training, reviews)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull
from django.http import Http404
from django.utils import timezone

from areas.models import LocalTeam

from ..models import (
    CallReview,
    Shift,
    StaffProfile,
    Tier,
    TrainingCompletion,
    TrainingModule,
)
from .rota import hours_booked

NEW_WORK_MARGIN = timedelta(minutes=15)
"""How long before the end of their spell of shifts someone is handed no new work:
a call and its write-up. Work given later would run past the end of the shift, or go
back to the pool untouched when the shift ends (work held off shift is released);
what they already hold they keep, to finish or hand over."""


def team_members(supervisor: StaffProfile) -> QuerySet[StaffProfile]:
    """The people a supervisor runs: their team, or everyone of their tier with no team
    when they are not attached to one."""
    return team_profiles(supervisor).filter(user__is_active=True)


def team_profiles(supervisor: StaffProfile) -> QuerySet[StaffProfile]:
    """Everyone of the supervisor's team, deactivated accounts too: for the figures
    of weeks they worked."""
    if supervisor.team_id is not None:
        return StaffProfile.objects.filter(team_id=supervisor.team_id)
    return StaffProfile.objects.filter(tier=supervisor.tier, team__isnull=True)


def get_member_for_supervisor(supervisor: StaffProfile, pk: int) -> StaffProfile:
    try:
        return team_members(supervisor).select_related("user").get(pk=pk)
    except StaffProfile.DoesNotExist:
        raise Http404("No such member of your team.") from None


def eligible_staff(*, tier: int, now: datetime) -> QuerySet[StaffProfile]:
    """Staff of a tier who may take work right now (before counting their load):
    active, on a booked shift of that tier (the capacity rota counts no other) in a
    spell of shifts that runs on past NEW_WORK_MARGIN, required training done, and
    for tier 2 a verified, in-date registration."""
    on_shift = (
        Shift.objects.on_now(now)
        .filter(staff=OuterRef("pk"), tier=tier)
        .filter(_runs_on_past_margin(now))
    )
    qs = StaffProfile.objects.filter(tier=tier, user__is_active=True).filter(
        Exists(on_shift), ~Exists(missing_training())
    )
    if tier == Tier.CLINICAL:
        qs = qs.filter(registration_current(now))
    return qs


def _runs_on_past_margin(now: datetime) -> Q:
    """Of the outer shift, on now: the spell of shifts it is in runs on past
    NEW_WORK_MARGIN from now. Either it ends after the margin (most shifts: nothing
    more to read), or, asked only of one ending within it, none of its member's
    shifts ending within the margin ends a spell (_spell_ends): the next carries on.

    The second is asked as a value (IS NULL), not NOT EXISTS, which the planner may
    turn into an anti-join over every booked shift in the index on status and times.
    The end of the margin is added up by the database from the time sent: assignment
    composes its query once and runs it with each run's time (work.compiled), so a
    time worked out here would stay the first run's."""
    margin_end = ExpressionWrapper(
        Value(now, output_field=DateTimeField())
        + Value(NEW_WORK_MARGIN, output_field=DurationField()),
        output_field=DateTimeField(),
    )
    ending = (
        _spell_ends(now, staff=OuterRef("staff"))
        .filter(ends_at__lte=margin_end)
        .order_by()
        .values("pk")[:1]
    )
    return Q(ends_at__gt=margin_end) | Q(IsNull(Subquery(ending), True))


def shift_ends_soon(on_shift_until: datetime | None, now: datetime) -> bool:
    """Whether a spell of shifts ending at `on_shift_until` (on_shift_until; None off
    shift) ends within NEW_WORK_MARGIN of now: eligible_staff's rule, for a member
    already read with `readiness_annotations`."""
    return on_shift_until is not None and on_shift_until <= now + NEW_WORK_MARGIN


def shift_ending_at(profile: StaffProfile, now: datetime) -> datetime | None:
    """When the spell of shifts `profile` is on ends, if within NEW_WORK_MARGIN of
    now (so they are given no new work); None when it runs on, or they are off
    shift. One query: for saying why someone was refused work."""
    until = (
        StaffProfile.objects.filter(pk=profile.pk)
        .annotate(until=on_shift_until(now))
        .values_list("until", flat=True)
        .first()
    )
    return until if shift_ends_soon(until, now) else None


def registration_current(now: datetime) -> Q:
    """A profile's professional registration verified, in date and with a number:
    what tier 2 work needs (eligible_staff), and without which held work goes back."""
    return Q(
        registration_verified_on__isnull=False,
        registration_expires_on__gte=timezone.localdate(now),
    ) & ~Q(registration_number="")


def missing_training() -> QuerySet[TrainingModule]:
    """Required modules of the outer profile's tier it has not completed (for Exists)."""
    return TrainingModule.objects.filter(tier=OuterRef("tier"), required=True).exclude(
        Exists(
            TrainingCompletion.objects.filter(
                module=OuterRef("pk"), profile=OuterRef(OuterRef("pk"))
            )
        )
    )


def _spell_ends(now: datetime, staff: OuterRef | None = None) -> QuerySet[Shift]:
    """The member's booked shifts not yet ended that no other of theirs carries on
    from (starts by their end and ends later): the ends of their spells of shifts.
    `staff`: the member, as a reference to the outer query (the outer profile's
    when not given). Each read is of the member's shifts not yet ended (the index on
    the member and the end), never their history."""
    booked = Shift.objects.filter(status=Shift.Status.BOOKED)
    carried_on = booked.filter(
        staff=OuterRef("staff"),
        starts_at__lte=OuterRef("ends_at"),
        ends_at__gt=OuterRef("ends_at"),
    )
    member = OuterRef("pk") if staff is None else staff
    return booked.filter(staff=member, ends_at__gt=now).exclude(Exists(carried_on))


def on_shift_until(now: datetime) -> Case:
    """The end of the spell of booked shifts the outer profile is on now, as an
    expression: shifts that touch (one ends as the next starts) or overlap are one
    spell, as assignment sees them (on shift throughout), and booking allows.

    The spell ends at the first end, from now on, of one of their booked shifts that
    no other of them carries on from (_spell_ends): up to it every moment is on a
    shift. NULL when they are on none now.
    """
    spell_end = _spell_ends(now).order_by("ends_at", "pk").values("ends_at")[:1]
    # The shift they are on now, as a value (not EXISTS, which the planner may hash
    # over every shift): the spell counts only from it.
    current = Shift.objects.on_now(now).filter(staff=OuterRef("pk")).values("ends_at")
    return Case(
        When(IsNull(Subquery(current[:1]), False), then=Subquery(spell_end)),
        default=None,
        output_field=DateTimeField(),
    )


def readiness_annotations(now: datetime) -> dict[str, Any]:
    """What decides whether a member may take work now, as annotations on their row:
    `on_shift_until` (the end of the spell of shifts they are on, on_shift_until),
    `next_shift_at` (the start of their next booked shift), `training_due` (the first
    required module of their tier not done, by name) and `training_due_count`.
    Subqueries: no query of their own."""
    upcoming = (
        Shift.objects.filter(
            staff=OuterRef("pk"), status=Shift.Status.BOOKED, starts_at__gt=now
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    missing = missing_training()
    return {
        "on_shift_until": on_shift_until(now),
        "next_shift_at": Subquery(upcoming),
        "training_due": Subquery(missing.order_by("name").values("name")[:1]),
        "training_due_count": _subcount(missing, "tier"),
    }


def when_said(moment: datetime, now: datetime) -> str:
    """'08:00', '08:00 tomorrow', '08:00 on Friday' or '08:00 on 23 January' (a
    time today needs no day)."""
    local, today = timezone.localtime(moment), timezone.localtime(now).date()
    days = (local.date() - today).days
    if days == 0:
        return f"{local:%H:%M}"
    if days == 1:
        return f"{local:%H:%M} tomorrow"
    if 1 < days < 7:
        return f"{local:%H:%M} on {local:%A}"
    return f"{local:%H:%M} on {_day(local.date(), today)}"


def _day(day: date, today: date) -> str:
    return f"{day:%-d %B}" if day.year == today.year else f"{day:%-d %B %Y}"


def blocked_by(member: Any, now: datetime) -> list[str]:
    """Why the assignment would pass this person over now, before counting their
    load, in words ("off shift until 08:00"). The member carries the annotations of
    `readiness_annotations`."""
    reasons = []
    if member.on_shift_until is None:
        if member.next_shift_at is not None:
            reasons.append(f"off shift until {when_said(member.next_shift_at, now)}")
        else:
            reasons.append("off shift, with no shift booked")
    elif shift_ends_soon(member.on_shift_until, now):
        reasons.append(f"shift ends at {when_said(member.on_shift_until, now)}")
    if member.training_due:
        more = member.training_due_count - 1
        reasons.append(
            f"training due ({member.training_due}"
            + (f" and {more} more" if more > 0 else "")
            + ")"
        )
    today = timezone.localdate(now)
    if member.tier == Tier.CLINICAL and not member.registration_valid_on(today):
        expires = member.registration_expires_on
        if (
            member.registration_verified_on is None
            or not member.registration_number
            or expires is None
        ):
            reasons.append("registration not verified")
        else:
            reasons.append(f"registration expired on {_day(expires, today)}")
    return reasons


def team_overview_queryset(supervisor: StaffProfile) -> QuerySet[StaffProfile]:
    """Members with their training and review counts (the reviews of their calls as a
    new starter in their current tier, as sign-off counts them), in name order."""
    modules = TrainingModule.objects.filter(tier=OuterRef("tier"), required=True)
    done = TrainingCompletion.objects.filter(
        profile=OuterRef("pk"), module__required=True, module__tier=OuterRef("tier")
    )
    reviews = CallReview.objects.filter(
        call__caller_id=OuterRef("user_id")
    ).as_new_starter()
    return (
        team_members(supervisor)
        .select_related("user")
        .annotate(
            modules_required=_subcount(modules, "tier"),
            modules_done=_subcount(done, "profile"),
            reviews_pending=_subcount(
                reviews.filter(reviewed_at__isnull=True), "call__caller"
            ),
            reviews_done=_subcount(
                reviews.filter(reviewed_at__isnull=False), "call__caller"
            ),
        )
        .order_by("user__last_name", "user__first_name")
    )


def team_overview(supervisor: StaffProfile, *, now: datetime) -> list[Any]:
    """Members with their cap, hours booked this week, training and review counts."""
    # Rows carry the page's annotations (and hours_this_week, set below).
    members: list[Any] = list(team_overview_queryset(supervisor))
    booked = hours_booked(members, moment=now)
    for m in members:
        m.hours_this_week = booked.get(m.pk, 0.0)
    return members


def _subcount(qs: QuerySet, group: str) -> Coalesce:
    counted = qs.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def supervisor_emails(user) -> list[str]:
    """The email addresses of the active supervisors of a member of staff (those
    team_members says run them: their team's, or, for national staff with no team,
    their tier's with no team), less the member themselves: a supervisor who logs a
    safeguarding concern is not their own supervisor, and with no other to email is
    told to tell them. One query."""
    caller = StaffProfile.objects.filter(user=user)
    their_team = caller.filter(team__isnull=False).values("team_id")
    # Local staff have no national team: their local team's supervisors are another
    # matter (local_team_supervisor_emails).
    teamless_tier = (
        caller.filter(team__isnull=True).exclude(tier=Tier.LOCAL).values("tier")
    )
    runs_them = Q(team_id__in=their_team) | Q(team__isnull=True, tier__in=teamless_tier)
    return sorted(
        email
        for email in StaffProfile.objects.filter(
            runs_them, is_supervisor=True, user__is_active=True
        )
        .exclude(user=user)
        .values_list("user__email", flat=True)
        if email
    )


def local_team_active_members(local_team_id: int) -> QuerySet[StaffProfile]:
    """The staff who can sign in and open a local team's escalations: its tier 1
    members whose account is on."""
    return StaffProfile.objects.filter(
        tier=Tier.LOCAL, local_team_id=local_team_id, user__is_active=True
    )


def local_team_supervisor_emails(local_team_id: int) -> list[str]:
    """The email addresses of a local team's active supervisors (those who may give
    its escalations to a member, and reopen a close: work.access.escalations)."""
    return sorted(
        {
            email
            for email in local_team_active_members(local_team_id)
            .filter(is_supervisor=True)
            .values_list("user__email", flat=True)
            if email
        }
    )


def local_team_emails(local_team_id: int) -> list[str]:
    """The email addresses of a local team: its own (the admin's "Email" on the
    team, a mailbox its members read, where retention's warnings go too) and its
    active members', its supervisors among them: the staff who can open the team's
    escalations, and so the ones to tell that one is waiting for them. Each once."""
    team = LocalTeam.objects.filter(pk=local_team_id).values_list("email", flat=True)
    members = local_team_active_members(local_team_id).values_list(
        "user__email", flat=True
    )
    return sorted({email for email in (*team, *members) if email})
