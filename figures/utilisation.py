"""Utilisation: per person and day, time on shift, calls, items completed, idle share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from cases.models import Case
from clock import split_by_local_day, week_bounds
from staffing.models import Shift, StaffProfile
from staffing.selectors.members import team_profiles

# Time after each call counted as writing it up (notes, outcome, next steps).
WRAP_UP = timedelta(minutes=5)


def busy_seconds(*, talk_seconds: float, calls: int) -> float:
    """Time on calls: their talk, and WRAP_UP to write each one up (the weekly
    figures' staff rows count it so too)."""
    return talk_seconds + calls * WRAP_UP.total_seconds()


@dataclass
class UtilisationRow:
    profile: StaffProfile
    day: date
    shift_seconds: float = 0.0
    calls: int = 0
    talk_seconds: int = 0
    items_completed: int = 0
    # A team's total: each person's time on calls counted up to their own shift
    # time, so one who called past their shift does not hide another's idle time.
    busy_within_shifts: float | None = None

    @property
    def hours_on_shift(self) -> float:
        return self.shift_seconds / 3600

    @property
    def busy_seconds(self) -> float:
        if self.busy_within_shifts is not None:
            return self.busy_within_shifts
        return busy_seconds(talk_seconds=self.talk_seconds, calls=self.calls)

    @property
    def idle_share(self) -> float | None:
        """1 - min(1, (talk time + wrap-up per call) / time on shift); None off shift."""
        if not self.shift_seconds:
            return None
        return 1 - min(1.0, self.busy_seconds / self.shift_seconds)


@dataclass
class Utilisation:
    monday: date
    rows: list[UtilisationRow]
    people: list[UtilisationRow]  # week totals per person (day is the Monday)
    team: UtilisationRow  # week totals for the team (profile is the supervisor)
    # Where the figures stop: the end of the week, or now in a week not yet over.
    until: datetime

    @property
    def so_far(self) -> bool:
        """The week is not over yet: its figures are for the days up to now."""
        return self.until < week_bounds(self.monday)[1]

    @property
    def started(self) -> bool:
        return self.until > week_bounds(self.monday)[0]


def _team_shifts(supervisor: StaffProfile) -> Q:
    """The shifts of the supervisor's team: booked for it (Shift.team), or, a slot
    open to the whole tier, booked by one of its members; for a supervisor of no
    team, their tier's shifts of no team booked by people of no team. By the shift,
    not by the team its person has now: a past week stays the team's it was worked
    for when someone moves to another team."""
    if supervisor.team_id is not None:
        return Q(team_id=supervisor.team_id) | Q(
            team__isnull=True, staff__team_id=supervisor.team_id
        )
    return Q(tier=supervisor.tier, team__isnull=True, staff__team__isnull=True)


def _worked_in(
    supervisor: StaffProfile, *, start: datetime, end: datetime, until: datetime
) -> QuerySet[StaffProfile]:
    """Who worked in the supervisor's team in the week: those with time on a booked
    shift of the team; and those of the team now with no booked shift in the week
    (of any team) but with a call or a case completed in it (the rows the figures
    below count)."""
    booked = Shift.objects.filter(
        staff=OuterRef("pk"),
        status=Shift.Status.BOOKED,
        starts_at__lt=until,
        ends_at__gt=start,
    )
    busy = Exists(
        CallAttempt.objects.filter(
            caller=OuterRef("user_id"), started_at__gte=start, started_at__lt=end
        )
    ) | Exists(
        Case.objects.filter(
            assignee=OuterRef("user_id"),
            completed_at__gte=start,
            completed_at__lt=end,
        )
    )
    no_shift_but_busy = (
        Q(pk__in=team_profiles(supervisor).values("pk")) & ~Exists(booked) & busy
    )
    return StaffProfile.objects.filter(
        Exists(booked.filter(_team_shifts(supervisor))) | no_shift_but_busy
    )


def utilisation(
    supervisor: StaffProfile, *, monday: date, now: datetime | None = None
) -> Utilisation:
    """Per person and day of one week: time on booked shifts, calls, items completed,
    idle share; with week totals per person and for the team. Four queries.

    Only time already worked counts: a shift still to come is not time on shift, and
    of a shift under way only the part up to now, so a week looked at on its Tuesday
    shows Monday and Tuesday so far, not a week of idle shifts.

    The people are those who worked in the team that week, whether or not their
    account is still active, and whichever team they are in now: a past week's
    figures stay as they were when someone leaves or moves. Shift time counts the
    shifts booked for the team (Shift.team); calls and completed cases are the
    person's. Someone with no booked shift that week counts with the team they are
    in now.
    """
    start, end = week_bounds(monday)
    until = max(start, min(end, now or timezone.now()))
    members = list(
        _worked_in(supervisor, start=start, end=end, until=until)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )
    by_user = {m.user_id: m for m in members}
    rows: dict[tuple[int, date], UtilisationRow] = {}

    def row(profile: StaffProfile, day: date) -> UtilisationRow:
        return rows.setdefault(
            (profile.pk, day), UtilisationRow(profile=profile, day=day)
        )

    by_pk = {m.pk: m for m in members}
    for staff_id, s, e in Shift.objects.filter(
        _team_shifts(supervisor),
        staff_id__in=list(by_pk),
        status=Shift.Status.BOOKED,
        starts_at__lt=until,
        ends_at__gt=start,
    ).values_list("staff_id", "starts_at", "ends_at"):
        for day, seconds in split_by_local_day(max(s, start), min(e, until)):
            row(by_pk[staff_id], day).shift_seconds += seconds
    tz = timezone.get_current_timezone()
    for caller_id, day, n, talk, reached in (
        CallAttempt.objects.filter(
            caller_id__in=list(by_user), started_at__gte=start, started_at__lt=end
        )
        .annotate(day=TruncDate("started_at", tzinfo=tz))
        .order_by()
        .values("caller_id", "day")
        .annotate(
            n=Count("pk"),
            talk=Sum("duration_seconds"),
            # Each contact reached once: a follow-up call to someone already
            # reached says "reached" too.
            reached=Count(
                "contact_id", filter=Q(outcome=Outcome.REACHED), distinct=True
            ),
        )
        .values_list("caller_id", "day", "n", "talk", "reached")
    ):
        r = row(by_user[caller_id], day)
        r.calls, r.talk_seconds = n, talk or 0
        r.items_completed += reached
    for assignee_id, day, n in (
        Case.objects.filter(
            assignee_id__in=list(by_user),
            completed_at__gte=start,
            completed_at__lt=end,
        )
        .annotate(day=TruncDate("completed_at", tzinfo=tz))
        .order_by()
        .values("assignee_id", "day")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "day", "n")
    ):
        row(by_user[assignee_id], day).items_completed += n
    ordered = sorted(
        rows.values(),
        key=lambda r: (
            r.profile.user.last_name,
            r.profile.user.first_name,
            r.profile.pk,
            r.day,
        ),
    )
    people: dict[int, UtilisationRow] = {}
    team = UtilisationRow(profile=supervisor, day=monday)
    for r in ordered:
        total = people.setdefault(
            r.profile.pk, UtilisationRow(profile=r.profile, day=monday)
        )
        for target in (total, team):
            target.shift_seconds += r.shift_seconds
            target.calls += r.calls
            target.talk_seconds += r.talk_seconds
            target.items_completed += r.items_completed
    team.busy_within_shifts = sum(
        min(person.busy_seconds, person.shift_seconds) for person in people.values()
    )
    return Utilisation(
        monday=monday,
        rows=ordered,
        people=list(people.values()),
        team=team,
        until=until,
    )
