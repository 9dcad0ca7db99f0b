"""The service's rules, read from settings: isolation periods and call attempts.

Rules decide; the work item's transitions (cases.workitem) apply what they decide, and
the operations of the work core are the only code that joins the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, F, Func, Q
from django.utils import timezone

from calls.models import Outcome
from cases.errors import IllegalTransition
from clock import NoSuchLocalTime, local_moment
from clock.calling import calling_hours
from clock.written import short_time
from escalations.models import Escalation
from online.texts import long_date
from people.matching import has_number_to_call, phone_text

# --- isolation --------------------------------------------------------------------


@dataclass(frozen=True)
class IsolationRule:
    """Full days of isolation for isolation counted from `starts` or later (until the
    next rule starts): for a case, from symptom onset or the test; for a contact,
    from the last exposure."""

    starts: date
    case: int
    contact: int


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def isolation_rules() -> list[IsolationRule]:
    """The periods of settings.TRACING_ISOLATION_RULES, oldest first.

    The last is the rule in force now, and its days are always those of
    settings.TRACING_ISOLATION_DAYS (the ISOLATION_DAYS_CASE and ISOLATION_DAYS_CONTACT
    environment): the environment changes today's rule, never an earlier period's,
    so records from then keep the rule of their time.
    """
    now = settings.TRACING_ISOLATION_DAYS
    rules = sorted(
        (
            IsolationRule(
                starts=_day(p["from"]), case=int(p["case"]), contact=int(p["contact"])
            )
            for p in settings.TRACING_ISOLATION_RULES
        ),
        key=lambda rule: rule.starts,
    )
    starts = rules[-1].starts if rules else date.min
    current = IsolationRule(starts=starts, case=now["case"], contact=now["contact"])
    return [*rules[:-1], current]


def isolation_rule_on(day: date) -> IsolationRule:
    """The rule for isolation counted from `day`: the latest period begun by then (a
    day before the first period takes the first)."""
    rules = isolation_rules()
    begun = [rule for rule in rules if rule.starts <= day]
    return begun[-1] if begun else rules[0]


def case_isolation_ends_on(*, symptom_onset: date | None, specimen_date: date) -> date:
    """Last day of isolation: N full days after onset, or after the test if no
    symptoms, N being the case rule of the period that day falls in."""
    start = symptom_onset or specimen_date
    return start + timedelta(days=isolation_rule_on(start).case)


def contact_isolation_ends_on(*, last_exposure: date) -> date:
    """Last day of isolation: N full days after the last exposure, N being the contact
    rule of the period the exposure falls in (14 days to 13 December 2020, 10 from
    the 14th, in England)."""
    return last_exposure + timedelta(days=isolation_rule_on(last_exposure).contact)


# Said of a contact whose isolation is over: why nobody asks anything of them.
NOT_TRACED = "there is nothing to ask of them now, so they are not traced"


def isolation_over(ends_on: date, *, today: date | None = None) -> bool:
    """Whether isolation to the end of `ends_on` is over on `today` (London's date,
    today's by default): from the next day on there is no day left to stay at home
    until, and nobody is asked to.

    The one statement of this rule: a contact named that late is refused
    (exposure_date_problem); one whose isolation ended before they were reached is
    told it ended, on the call handler's page, in the advice after a call (none is
    sent) and on a local team's page; and the escalation sweep closes them rather
    than hand them to a local team (isolation_over_q)."""
    return ends_on < (today or timezone.localdate())


def closed_when_due(item: Any, *, now: datetime | None = None) -> bool:
    """A contact whose isolation is over by the time it falls due for its local team
    (its escalation time, or now if that has passed): the sweep closes it rather
    than send it (work.escalation.contacts_close_isolation_over)."""
    if getattr(item, "kind", "") != "contact" or item.isolation_ends_on is None:
        return False
    now = now or timezone.now()
    due = max(item.escalate_due_at or now, now)
    return isolation_over(item.isolation_ends_on, today=timezone.localdate(due))


def isolation_over_q(*, today: date) -> Q:
    """The items whose isolation is over on `today`, as isolation_over says it, for
    a query (the escalation sweep)."""
    return Q(isolation_ends_on__lt=today)


# --- a case's infectious period, and exposures within it ---------------------------

# A case can pass the infection on from this long before the first sign of it: their
# symptoms, or (with none) their positive test. NHS Test and Trace's rule.
INFECTIOUS_BEFORE = timedelta(days=2)


def _further_specimen_dates(case: Any) -> list[date]:
    """The specimen dates of the further positive results kept with the case (read
    once by a caller that prefetched them; none for a case not yet saved)."""
    if case.pk is None:
        return []
    return [further.specimen_date for further in case.further_results.all()]


def infection_shown_from(case: Any) -> tuple[date, bool]:
    """The earliest day the case's infection shows, and whether that day is their
    symptoms' start: the earliest of their onset, their own specimen and the
    specimens of further positive results of the same episode kept with the case.

    Every date showing the infection counts, whichever was recorded first or last:
    an onset after the swab, or a further result swabbed before it, never moves the
    days they could have passed it on later, so a day accepted once is accepted
    whatever is recorded after it."""
    tests = [case.specimen_date, *_further_specimen_dates(case)]
    first_test = min(tests)
    onset = case.symptom_onset
    if onset is not None and onset <= first_test:
        return onset, True
    return first_test, False


def infectious_from(case: Any) -> date:
    """The first day the case could have passed it on: two days before the
    earliest sign of their infection (infection_shown_from)."""
    return infection_shown_from(case)[0] - INFECTIOUS_BEFORE


def _infection_shown_by(case: Any, *, by_symptoms: bool) -> str:
    """What infection_shown_from counted from, in words: their symptoms' start, or
    their test, and why the test when the symptoms' start is not counted (none
    recorded, as the local team's page cannot record one; or after the swab)."""
    if by_symptoms:
        return "their symptoms started"
    if case.symptom_onset is None:
        return "their test, as no symptom onset is recorded"
    return "their test, taken before their symptoms started"


def infectious_until(case: Any) -> date:
    """The last day the case could have passed it on by the rules: the last day of
    their own isolation, as it stands now (a clinician's longer isolation
    included)."""
    return case.isolation_ends_on


def exposure_date_problem(*, day: date, case: Any | None, today: date) -> str:
    """What is wrong with the day a case's contact was last exposed ("" when
    nothing): in the future, so long ago that a contact's isolation after it is
    already over, before the case could have passed it on, or after the case's own
    isolation ended, when they no longer could (with no case to hand, as the API's
    serializer has, the first two only).

    The one statement of this rule: the case page's rows, the API and the operation
    (work.casework.contact_add) all ask it, so every door refuses the same days with
    the same words. (The online pages say it in the page's language.)"""
    if day > today:
        return "The exposure date cannot be in the future."
    if isolation_over(
        over := contact_isolation_ends_on(last_exposure=day), today=today
    ):
        return (
            f"Their isolation after that contact ended on {long_date(over)}: "
            f"{NOT_TRACED}."
        )
    if case is None:
        return ""
    shown, by_symptoms = infection_shown_from(case)
    start = shown - INFECTIOUS_BEFORE
    if day < start:
        return (
            f"That is before {case.person.full_name} could have passed it on (from "
            f"{long_date(start)}, {INFECTIOUS_BEFORE.days} days before "
            f"{_infection_shown_by(case, by_symptoms=by_symptoms)}): check the date."
        )
    end = infectious_until(case)
    if day > end:
        return (
            f"That is after {case.person.full_name}'s isolation ended (on "
            f"{long_date(end)}): they could no longer have passed it on then. "
            "Check the date."
        )
    return ""


# The places a case went that matter: where they may have caught it (up to the
# longest incubation before the first sign of it) and since.
VISITS_BEFORE = timedelta(days=14)


def visits_from(case: Any) -> date:
    """The first day a setting the case visited is recorded for: 14 days before
    the earliest sign of their infection (infection_shown_from)."""
    return infection_shown_from(case)[0] - VISITS_BEFORE


def visit_date_problem(*, day: date, case: Any, today: date) -> str:
    """What is wrong with the day a case was at a setting ("" when nothing): in the
    future, or before the days that matter (visits_from). The one statement of this
    rule: the case page's form and the operation (work.casework.case_visit_add) ask
    it; the online pages say it in the page's language."""
    if day > today:
        return "The date of the visit cannot be in the future."
    shown, by_symptoms = infection_shown_from(case)
    start = shown - VISITS_BEFORE
    if day < start:
        return (
            f"Settings visited count from {VISITS_BEFORE.days} days before "
            f"{'their symptoms started' if by_symptoms else 'their test'}"
            f" ({long_date(start)}): check the date."
        )
    return ""


def isolation_after_fact(*, current: date, computed: date, overridden: bool) -> date:
    """The end date once a new fact gives `computed` (a case's onset revised, a
    contact becoming a case). A clinician's override is a judgement on the facts
    known then: a later fact that lengthens isolation beyond it applies, and the
    override stands otherwise. Without one, the new fact's date is the date."""
    return max(current, computed) if overridden else computed


# A clinician's override: the new end date is today or later (the person is told it),
# and no further ahead than a period plus its margin; the reason is required.
OVERRIDE_LONGEST = timedelta(days=28)
OVERRIDE_REASON_MAX = 1000


@dataclass(frozen=True)
class OwnCase:
    """A contact's person's own case isolating now (the one ending last): a positive
    test settles their date, and no contact row of theirs ends before it."""

    name: str  # the person, as staff read them
    tested_on: date  # the case's specimen date
    ends_on: date


def isolation_override_problems(
    *,
    ends_on: date | None,
    reason: str,
    current: date,
    today: date,
    own_case: OwnCase | None = None,
) -> dict[str, str]:
    """What is wrong with an override as entered, field by field (empty when fine).

    The one statement of these rules: the override form, the API and the operation
    all ask it, so every door refuses the same overrides with the same words.

    A contact row of someone with a case of their own isolating now (`own_case`,
    given by the operation, under the row's lock) is never set to end before that
    case: one person, one date, and a positive test settles it (work.isolation.
    contacts_become_cases). A later date is a clinician's judgement on the contact
    (a vulnerable household, say), which stands as an override stands
    (isolation_after_fact); an earlier one is made on their case, which the contact
    row follows.
    """
    problems: dict[str, str] = {}
    if ends_on is None:
        problems["ends_on"] = "Enter the new last day of isolation."
    elif ends_on < today:
        problems["ends_on"] = (
            "The last day of isolation cannot be in the past: they are told it."
        )
    elif ends_on > today + OVERRIDE_LONGEST:
        days = OVERRIDE_LONGEST.days
        problems["ends_on"] = (
            f"The last day of isolation must be within {days} days of today."
        )
    elif ends_on == current:
        problems["ends_on"] = (
            f"They already isolate until {long_date(ends_on)}: enter a different date."
        )
    elif own_case is not None and ends_on < own_case.ends_on:
        problems["ends_on"] = (
            f"{own_case.name} tested positive on {long_date(own_case.tested_on)}: "
            "their isolation follows their own case, to the end of "
            f"{long_date(own_case.ends_on)}, and a contact record of theirs cannot "
            "end sooner. To shorten it, change it on their case."
        )
    if not reason.strip():
        problems["reason"] = "Give the clinical reason for the change."
    elif len(reason) > OVERRIDE_REASON_MAX:
        problems["reason"] = f"Keep the reason to {OVERRIDE_REASON_MAX} characters."
    return problems


# --- calling hours ----------------------------------------------------------------


@dataclass(frozen=True)
class CallingHours:
    """settings.TRACING_CALLING_HOURS: calls are made from `opens` until `closes`,
    local time, every day; the same time for both, at any hour."""

    opens: time
    closes: time

    @classmethod
    def in_force(cls) -> CallingHours:
        opens, closes = calling_hours()
        return cls(opens=opens, closes=closes)

    @property
    def always(self) -> bool:
        return self.opens == self.closes

    def _on(self, day: date, at: time) -> datetime:
        try:
            return local_moment(datetime.combine(day, at))
        except NoSuchLocalTime as gap:  # opening in the hour the clocks skip
            return gap.gap_ends

    def _opening_after(self, moment: datetime) -> datetime:
        """The first opening after `moment` (which is outside the hours)."""
        local = timezone.localtime(moment)
        if local.time() < self.opens:
            return self._on(local.date(), self.opens)
        return self._on(local.date() + timedelta(days=1), self.opens)

    def contain(self, moment: datetime) -> bool:
        at = timezone.localtime(moment).time()
        return self.always or self.opens <= at < self.closes

    def first_at_or_after(self, moment: datetime) -> datetime:
        """`moment` if calls are made then, else the next opening (08:00 that
        morning or the next, local time: across a clock change too)."""
        return moment if self.contain(moment) else self._opening_after(moment)

    def last_at_or_before(self, moment: datetime) -> datetime:
        """The latest time at or before `moment` to set a call for: `moment` if calls
        are made then, else SHORTEST_RETRY before the last closing (so the call can
        be made before it)."""
        if self.contain(moment):
            return moment
        local = timezone.localtime(moment)
        day = local.date()
        if local.time() < self.opens:
            day -= timedelta(days=1)
        return self._on(day, self.closes) - SHORTEST_RETRY


def calls_from(moment: datetime) -> datetime:
    """When a call set for `moment` is due: then, or the next opening of the
    calling hours (CallingHours.first_at_or_after)."""
    return CallingHours.in_force().first_at_or_after(moment)


# --- call attempts ----------------------------------------------------------------


@dataclass(frozen=True)
class CallRule:
    max_attempts: int
    min_gap: timedelta
    window: timedelta

    @classmethod
    def for_kind(cls, kind: str) -> CallRule:
        rule = settings.TRACING_CALL_RULES[kind]
        return cls(
            max_attempts=rule["max_attempts"],
            min_gap=timedelta(hours=rule["min_gap_hours"]),
            window=timedelta(hours=rule["window_hours"]),
        )

    def last_attempt_from(self, first: datetime) -> datetime:
        """When the last attempt the rule allows falls, each made as soon as the
        gap and the calling hours let it, the first at `first` or its opening."""
        hours = CallingHours.in_force()
        at = hours.first_at_or_after(first)
        for _ in range(self.max_attempts - 1):
            at = hours.first_at_or_after(at + self.min_gap)
        return at

    def latest_first_attempt(self, deadline: datetime) -> datetime:
        """The latest first call that still leaves every attempt its gap, in
        calling hours, before `deadline`."""
        hours = CallingHours.in_force()
        at = deadline
        for _ in range(self.max_attempts):
            at = hours.last_at_or_before(at - self.min_gap)
        return at

    def in_calling_hours(self, deadline: datetime) -> datetime:
        """A deadline at night moves on to the next opening plus the gap: the item
        goes to its local team in the day, after a morning attempt."""
        hours = CallingHours.in_force()
        if hours.contain(deadline):
            return deadline
        return hours.first_at_or_after(deadline) + self.min_gap

    def escalate_due_at(self, arrived_at: datetime) -> datetime:
        """When an item arriving at `arrived_at` not reached by then is out of time:
        the window after it, but never before every attempt the rule allows could
        be made in calling hours (with LAST_CALL_BEFORE_DEADLINE to spare), and
        never at night (in_calling_hours). In the day, with the usual rules, this
        is the window after arrival."""
        due = max(
            arrived_at + self.window,
            self.last_attempt_from(arrived_at) + LAST_CALL_BEFORE_DEADLINE,
        )
        return self.in_calling_hours(due)


@dataclass(frozen=True)
class AfterCall:
    """What one call's outcome does to the item: the arguments of `mark_called`."""

    reached: bool = False
    back_to_pool: bool = False
    next_attempt_at: datetime | None = None
    escalate_due_at: datetime | None = None
    # Whether the call uses up one of the attempts: a call handed on because they
    # need an interpreter has not tried to reach them in their language.
    counts_attempt: bool = True


def after_call(
    *,
    kind: str,
    outcome: str,
    attempts_before: int,
    escalate_due_at: datetime | None,
    now: datetime,
    call_back_at: datetime | None = None,
) -> AfterCall:
    """Reached; or when to try next and when it is out of time; or out of tries.

    Raises IllegalTransition for a call back with no time in the future.
    """
    rule = CallRule.for_kind(kind)
    if outcome == Outcome.REACHED:
        return AfterCall(reached=True)
    if outcome == Outcome.CALL_BACK:
        if call_back_at is None or call_back_at <= now:
            raise IllegalTransition("A call back needs a time in the future.")
        # The person asked for a time (kept as they asked it, at night too): do
        # not escalate before it has been tried. How far it may put the deadline
        # off is call_problems' (CALL_BACK_HOLDS_OFF, their isolation's end).
        floor = rule.in_calling_hours(call_back_at + rule.min_gap)
        due = escalate_due_at if escalate_due_at and escalate_due_at > floor else floor
        return AfterCall(next_attempt_at=call_back_at, escalate_due_at=due)
    if outcome in (Outcome.WRONG_NUMBER, Outcome.REFUSED):
        # The phone route is spent: the local team takes it at the next sweep.
        return AfterCall(escalate_due_at=now)
    if outcome == Outcome.NEEDS_INTERPRETER:
        # Straight back to the pool for someone who speaks the language; not an
        # attempt: they get every attempt in their language.
        return AfterCall(
            back_to_pool=True,
            next_attempt_at=calls_from(now),
            escalate_due_at=escalate_due_at,
            counts_attempt=False,
        )
    if outcome == Outcome.SAFEGUARDING:
        # Escalated at once by the call's operation.
        return AfterCall(escalate_due_at=escalate_due_at)
    if attempts_before + 1 >= rule.max_attempts:
        return AfterCall(escalate_due_at=now)
    return _before_the_deadline(
        next_attempt_at=calls_from(now + rule.min_gap),
        escalate_due_at=escalate_due_at,
        now=now,
    )


# The last call is due this long before the item goes to the local team (so it can be
# made), and is never sooner than this after the call just made.
LAST_CALL_BEFORE_DEADLINE = timedelta(minutes=30)
SHORTEST_RETRY = timedelta(minutes=30)


def _before_the_deadline(
    *, next_attempt_at: datetime, escalate_due_at: datetime | None, now: datetime
) -> AfterCall:
    """Never schedule an attempt after the item's deadline for the local team.

    An attempt that would fall later is brought forward to LAST_CALL_BEFORE_DEADLINE
    before the deadline (or, that being at night, to the end of the calling hours
    before it: CallingHours.last_at_or_before); when even that is too soon after this call, the
    phone route is spent and the item is due for the local team now (the sweep gives
    the reason: not reached within the window, with the call history).
    """
    if escalate_due_at is None:
        return AfterCall(next_attempt_at=next_attempt_at)
    if next_attempt_at <= escalate_due_at - LAST_CALL_BEFORE_DEADLINE:
        return AfterCall(
            next_attempt_at=next_attempt_at, escalate_due_at=escalate_due_at
        )
    latest = CallingHours.in_force().last_at_or_before(
        escalate_due_at - LAST_CALL_BEFORE_DEADLINE
    )
    if latest >= now + SHORTEST_RETRY:
        return AfterCall(next_attempt_at=latest, escalate_due_at=escalate_due_at)
    return AfterCall(escalate_due_at=now)


# --- what a call, or a local team's note, must say --------------------------------

# A call back is booked within weeks, not years.
CALL_BACK_WITHIN = timedelta(days=28)
# ... and puts off the item's local team by a day at most: it must be by this long
# after the deadline the item has when it is booked (then the deadline is the call
# back plus the gap). A case's contacts are not left untraced for days.
CALL_BACK_HOLDS_OFF = timedelta(days=1)
CALL_NOTES_MAX = 4000
CALL_LONGEST = timedelta(hours=10)
ESCALATION_NOTE_MAX = 2000


def call_back_moment(wall: datetime) -> datetime:
    """The moment a call back time typed on the local clock, with no offset, names.

    The call form and the API both read it here, so a time in the hour the clocks
    change is the same moment at each: when they go back, the first of the two
    (summer time); when they go forward, none, refused (ValidationError, the field's
    own) with the gap named, never stored an hour off or refused in a riddle.
    """
    try:
        return local_moment(wall)
    except NoSuchLocalTime as gap:
        raise ValidationError(
            f"{gap} Ask them for a time outside that hour.", code="no_such_time"
        ) from None


# --- a number to call ---------------------------------------------------------------


def due_to_local_team_at(person: Any, deadline: datetime, now: datetime) -> datetime:
    """The deadline of an item of theirs arriving at `now`: `deadline` (its call
    rule's), or `now` when their record has no number to call: nothing for the
    phones to try, so due to their local team at once (read from the person in
    hand: no query)."""
    return deadline if has_number_to_call(person) else now


def no_number_to_call_q(prefix: str = "") -> Q:
    """The people (through `prefix`, such as "person__") with no number to ring, as
    has_number_to_call says it, for a query: no phone, or one a call logged "Wrong
    number" on; and no other phone, or one logged so. A test of rows found by their
    keys (a batch's people, a merge's items), as before: no index serves it, so it
    is no way to search everyone."""
    return (Q(**{f"{prefix}phone": ""}) | _LoggedWrong(prefix, "phone")) & (
        Q(**{f"{prefix}phone_alt": ""}) | _LoggedWrong(prefix, "phone_alt")
    )


class _LoggedWrong(Func):
    """Whether the person's number in `column` ("phone", "phone_alt") is one a call
    to them was logged "Wrong number" on (Person.wrong_numbers), in SQL: compared
    as has_number_to_call compares them, the number as stored (its text: E.164, or
    as typed when it could not be read) against the text the call recorded.

    PostgreSQL holds the list as jsonb: containment. SQLite, the embedded default,
    holds it as JSON text: a look through its items (json_each)."""

    output_field = BooleanField()

    def __init__(self, prefix: str, column: str) -> None:
        super().__init__(F(f"{prefix}{column}"), F(f"{prefix}wrong_numbers"))

    def _parts(self, compiler: Any, connection: Any) -> tuple[str, str, list[Any]]:
        """The number's SQL, the list's, and the parameters of both: the list's
        first, as each form below names the list first."""
        number, logged = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        return number[0], logged[0], [*logged[1], *number[1]]

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        number, logged, params = self._parts(compiler, connection)
        return (
            f"EXISTS (SELECT 1 FROM json_each({logged}) AS logged"
            f" WHERE logged.value = {number})",
            params,
        )

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> Any:
        number, logged, params = self._parts(compiler, connection)
        return f"({logged} @> jsonb_build_array({number}))", params


# The outcomes of a call that rang their number and got an answer or none: with no
# number on their record, none of them can have happened. The rest need no number:
# "Wrong number" (missing, here: it sends them to their local team), a concern or
# an interpreter needed, heard of however it was.
RANG_THEM = frozenset(
    {
        Outcome.REACHED,
        Outcome.NO_ANSWER,
        Outcome.VOICEMAIL,
        Outcome.REFUSED,
        Outcome.CALL_BACK,
    }
)
SEND_TO_LOCAL_TEAM = (
    f"Log “{Outcome.WRONG_NUMBER.label}” to send them to their local team now."
)
NO_NUMBER_TO_CALL = (
    "There is no number to call: they have no phone or other phone on their record. "
    + SEND_TO_LOCAL_TEAM
)
# ... and of someone whose numbers a stranger answered (has_number_to_call): their
# page still shows them, so "no phone" would contradict it.
NUMBERS_ANSWERED_BY_SOMEONE_ELSE = (
    "There is no number to call: each number on their record was answered by "
    f"someone else when it was called (logged “{Outcome.WRONG_NUMBER.label}”). "
    + SEND_TO_LOCAL_TEAM
)
# What the escalation sweep tells a local team of someone it never had a number for
# (and made no attempt on): the whole reason, not "not reached". Worded alike by
# work.escalation and the sweep's statement (work.escalation_sql), which choose
# between the two as no_number_escalated does.
NO_NUMBER_ESCALATED = (
    "No phone number to call: their record has no phone or other phone."
)
NUMBERS_ANSWERED_ESCALATED = (
    "No phone number to call: each number on their record was answered by someone "
    f"else when it was called (logged “{Outcome.WRONG_NUMBER.label}”)."
)


def no_number_to_call_said(person: Any) -> str:
    """What a caller is told of someone with no number to ring (has_number_to_call),
    "" for someone with one: that their record has none, or that each one on it was
    answered by someone else (the page shows those, so the words must not deny
    them)."""
    if has_number_to_call(person):
        return ""
    if _any_number(person.phone, person.phone_alt):
        return NUMBERS_ANSWERED_BY_SOMEONE_ELSE
    return NO_NUMBER_TO_CALL


def no_number_escalated(phone: Any, phone_alt: Any) -> str:
    """The first line of the escalation of someone with no number to ring, from the
    numbers on their record (Phones or their stored text): none, or only numbers
    answered by someone else."""
    if _any_number(phone, phone_alt):
        return NUMBERS_ANSWERED_ESCALATED
    return NO_NUMBER_ESCALATED


def _any_number(*numbers: Any) -> bool:
    """Whether any of `numbers` (stored phones) is a number at all."""
    return any(phone_text(number) for number in numbers)


# ... and its reason. The weekly figures read it: a case handed to its local team
# for it ended not reached for want of details, whatever its record says later
# (figures.weekly.case_aggregates).
NO_NUMBER_REASON = Escalation.Reason.WRONG_NUMBER


def call_problems(
    *,
    outcome: str,
    call_back_at: datetime | None,
    notes: str,
    duration_seconds: int,
    now: datetime,
    isolation_ends_on: date | None = None,
    escalate_due_at: datetime | None = None,
    number_to_call: bool = True,
) -> dict[str, str]:
    """What is wrong with a call as entered, field by field (empty when it is fine).

    The one statement of these rules: the call form, the API and the call's operation
    all ask it, so every door accepts and refuses the same calls with the same words.
    `isolation_ends_on` and `escalate_due_at`: the item's, a case's or a contact's
    (the operation knows the item; the form does not): a call back after their
    isolation would tell them too late, and one more than CALL_BACK_HOLDS_OFF after
    their deadline would hold their local team off till then. `number_to_call`:
    whether their record has a number to ring (has_number_to_call; the operation
    knows): without one, no call rang them (RANG_THEM), and none is counted as an
    attempt, nor told to their local team as one.
    """
    if not number_to_call and outcome in RANG_THEM:
        # The rest (a call back's time, the length of the call) is moot.
        return {"outcome": NO_NUMBER_TO_CALL}
    problems: dict[str, str] = {}
    if outcome == Outcome.CALL_BACK:
        if call_back_at is None:
            problems["call_back_at"] = (
                "Enter the date and time they asked to be called."
            )
        elif call_back_at <= now:
            problems["call_back_at"] = "The call back time must be in the future."
        elif call_back_at > now + CALL_BACK_WITHIN:
            days = CALL_BACK_WITHIN.days
            problems["call_back_at"] = f"A call back must be within {days} days."
        elif isolation_ends_on is not None and isolation_over(
            isolation_ends_on, today=timezone.localdate(now)
        ):
            problems["call_back_at"] = (
                f"Their time to stay at home ended on {long_date(isolation_ends_on)}:"
                " there is no call back to book. If you spoke to them, log the call "
                "as reached."
            )
        elif (
            isolation_ends_on is not None
            and timezone.localdate(call_back_at) > isolation_ends_on
        ):
            problems["call_back_at"] = (
                "That is after their isolation ends (at the end of "
                f"{long_date(isolation_ends_on)}): call them back before then."
            )
        elif escalate_due_at is not None and call_back_at > (
            latest := escalate_due_at + CALL_BACK_HOLDS_OFF
        ):
            problems["call_back_at"] = (
                "That is too late: not reached by "
                f"{short_time(escalate_due_at)}, they go to their local team, and "
                "a call back can put that off by a day at most. Call them back by "
                f"{short_time(latest)}."
            )
    elif call_back_at is not None:
        problems["call_back_at"] = (
            "Leave this empty unless they asked to be called back."
        )
    if outcome == Outcome.SAFEGUARDING and not notes.strip():
        problems["notes"] = (
            "Describe the safeguarding concern: the local team will read it."
        )
    if len(notes) > CALL_NOTES_MAX:
        problems["notes"] = f"Keep the notes to {CALL_NOTES_MAX} characters."
    if not 0 <= duration_seconds <= CALL_LONGEST.total_seconds():
        hours = int(CALL_LONGEST.total_seconds() // 3600)
        problems["duration_seconds"] = (
            f"A call lasts between 0 minutes and {hours} hours."
        )
    return problems
