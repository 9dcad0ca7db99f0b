"""Reads for the local team's workspace: the queue, search, an item's history."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import phonenumbers
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.db.models.lookups import (
    Contains,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    StartsWith,
)
from django.utils import timezone

from areas.postcodes import normalise_postcode
from audit.models import AuditEvent
from audit.selectors import Cursor
from calls.models import CallAttempt

from .models import Cluster, Escalation, EscalationAction

# Related rows every queue row shows, fetched in the queue's one query.
QUEUE_RELATED = (
    "case__person",
    "case__area",
    "contact__person",
    "contact__area",
    "picked_up_by",
)

# The reasons a team has less time to act on, most urgent first (work.escalation.
# DUE_WITHIN: a safeguarding concern 4 hours, a complex setting 12, the rest 24). The
# open tabs list them first, then by due time: ordered by due time alone, a concern
# raised in a surge sat below every escalation of the day's backlog already overdue,
# pages down.
URGENT_FIRST: tuple[str, ...] = (
    Escalation.Reason.SAFEGUARDING,
    Escalation.Reason.COMPLEX,
)
NOT_URGENT = len(URGENT_FIRST)


# The reasons an escalation of a contact asks its team only to reach them: the
# sweep's own (not reached, a wrong or missing number, refused by phone). Once the
# contact's isolation is over there is nothing to ask of them, so such an escalation
# is no longer late for anything (escalation_counts), and the sweep closes those
# nobody picked up (work.escalation.escalations_close_isolation_over, which says why
# the other reasons stay).
TO_REACH_ONLY: tuple[str, ...] = (
    Escalation.Reason.UNREACHED,
    Escalation.Reason.WRONG_NUMBER,
    Escalation.Reason.REFUSED,
)


def open_escalation_of(item) -> Escalation | None:
    """The case's or contact's escalation still open with its local team (its team
    read with it), if any: at most one (one_open_escalation_per_case/_contact)."""
    return (
        Escalation.objects.filter(
            **{f"{item.kind}_id": item.pk}, closed_at__isnull=True
        )
        .select_related("local_team")
        .first()
    )


def nothing_left_to_ask_q(*, today: date) -> Q:
    """The escalations asking only to reach a contact whose isolation is over on
    `today` (London's date): over from the day after its last, as
    work.rules.isolation_over says (this layer cannot ask it)."""
    return Q(
        contact__isnull=False,
        reason__in=TO_REACH_ONLY,
        contact__isolation_ends_on__lt=today,
    )


def urgency() -> Case:
    """An escalation's place in the open tabs' order: its reason's place in
    URGENT_FIRST, NOT_URGENT for the rest. The expression of the index the open
    tabs are read by (escalations migration 0013, escalation_open_queue): written
    otherwise, the index no longer serves the order and every page sorts the tab."""
    return Case(
        *(
            When(reason=reason, then=Value(rank))
            for rank, reason in enumerate(URGENT_FIRST)
        ),
        default=Value(NOT_URGENT),
        output_field=IntegerField(),
    )


def urgency_of(escalation: Escalation) -> int:
    """urgency() of one escalation, as the database reckons it."""
    reason = escalation.reason
    return URGENT_FIRST.index(reason) if reason in URGENT_FIRST else NOT_URGENT


_OUTWARD_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
# Digits with the spaces and dashes people type between them.
_PARTIAL_PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]*[0-9]$")


def _folded(*names: F | Value) -> Func:
    """people_name_fold() of these texts joined by a space (people migration 0010):
    lower case, no accents, no apostrophes."""
    return Func(
        *names,
        function="people_name_fold",
        arg_joiner=" || ' ' || ",
        output_field=CharField(),
    )


def person_name_q(prefix: str, text: str, *, word_starts: bool = False) -> Q:
    """Match a person (under `prefix`) whose name has every word typed in it (with
    `word_starts`, at the start of a word of it).

    Both sides are folded as the people search folds them
    (work.access.people), so "Sian OBrien" finds Siân O'Brien and "Müller" Muller.
    The name is the expression of the trigram index person_name_fold_trgm; a list
    (the queue, a supervisor's work) reads its rows by its own index, and this
    narrows those rows. SQLite (make run) folds alike: each of its connections has a
    people_name_fold of its own (people/apps.py)."""
    words = text.split()
    found = Q()
    name = _folded(F(f"{prefix}first_name"), F(f"{prefix}last_name"))
    for word in words:
        typed = _folded(Value(word))
        if word_starts:
            found &= Q(StartsWith(name, typed)) | Q(
                Contains(name, Concat(Value(" "), typed))
            )
        else:
            found &= Q(Contains(name, typed))
    return found


def _person_q(prefix: str, text: str) -> Q:
    """Match a person (under `prefix`) by phone number, postcode or name."""
    q = Q()
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        q |= Q(**{f"{prefix}phone": e164}) | Q(**{f"{prefix}phone_alt": e164})
    elif _PARTIAL_PHONE_RE.match(text) and len(re.sub(r"\D", "", text)) >= 6:
        # Part of a number as people write it ("07911 123"): numbers are held as
        # +44..., so drop the trunk 0 and match the digits anywhere.
        digits = re.sub(r"\D", "", text).removeprefix("0")
        q |= Q(**{f"{prefix}phone__contains": digits}) | Q(
            **{f"{prefix}phone_alt__contains": digits}
        )
    try:
        q |= Q(**{f"{prefix}postcode": normalise_postcode(text)})
    except ValidationError:
        compact = text.replace(" ", "").upper()
        if _OUTWARD_RE.match(compact):
            q |= Q(**{f"{prefix}postcode__startswith": f"{compact} "})
    if text.split():
        q |= person_name_q(prefix, text)
    return q


def escalation_search(qs: QuerySet[Escalation], text: str) -> QuerySet[Escalation]:
    """Escalations whose case or contact matches a name, phone number or postcode."""
    text = text.strip()
    if not text:
        return qs
    return qs.filter(
        _person_q("case__person__", text) | _person_q("contact__person__", text)
    )


def escalation_queue(
    escalations: QuerySet[Escalation],
    *,
    status: str,
    search: str = "",
    reason: str = "",
    picked_up_by=None,
) -> QuerySet[Escalation]:
    """One tab of the queue: open tabs the urgent reasons first (URGENT_FIRST), each
    soonest due first; closed most recent first."""
    qs = escalations.filter(status=status)
    if reason:
        qs = qs.filter(reason=reason)
    if picked_up_by is not None:
        qs = qs.filter(picked_up_by=picked_up_by)
    qs = escalation_search(qs, search)
    if status == Escalation.Status.CLOSED:
        qs = qs.order_by("-closed_at", "-pk")
    else:
        qs = qs.order_by(urgency(), "due_at", "pk")
    return qs.select_related(*QUEUE_RELATED)


@dataclass(frozen=True)
class QueueKey(Cursor):
    """Where a page of the queue ended: the time it is ordered by (due, or closed)
    and the id of its last row, and for an open tab the urgency of that row
    (urgency()). The next page starts after it, so the rows a colleague picks up
    meanwhile do not shift the rest under the reader. Written as the audit trail's
    cursor is, `<iso time>,<id>`, with an urgent row's urgency before it
    (`<urgency>,<iso time>,<id>`); anything else is the first page."""

    urgency: int = NOT_URGENT

    def __str__(self) -> str:
        at_and_id = super().__str__()
        if self.urgency >= NOT_URGENT:
            return at_and_id
        return f"{self.urgency},{at_and_id}"

    @classmethod
    def parse(cls, value: str | None) -> QueueKey | None:
        """A key as __str__ writes it, or None (the first page)."""
        first, _, rest = (value or "").strip().partition(",")
        urgent = first.isdigit() and "," in rest
        key = super().parse(rest if urgent else value)
        if key is None:
            return None
        # A number past the urgent ones (a link from another order): the rest.
        rank = min(int(first), NOT_URGENT) if urgent else NOT_URGENT
        return cls(at=key.at, id=key.id, urgency=rank)

    @classmethod
    def of(cls, escalation: Escalation, *, status: str) -> QueueKey:
        """The key of a row of the tab `status`."""
        if status == Escalation.Status.CLOSED and escalation.closed_at is not None:
            return cls(at=escalation.closed_at, id=escalation.pk)
        return cls(
            at=escalation.due_at, id=escalation.pk, urgency=urgency_of(escalation)
        )


def escalation_queue_after(
    rows: QuerySet[Escalation], *, status: str, after: QueueKey
) -> QuerySet[Escalation]:
    """The rows of a tab (escalation_queue) after `after` in the tab's order: the
    urgent first then due soonest then id for the open tabs, closed most recently
    then id for closed."""
    if status == Escalation.Status.CLOSED:
        return rows.filter(
            Q(closed_at__lt=after.at) | Q(closed_at=after.at, pk__lt=after.id)
        )
    rank = after.urgency
    later = Q(due_at__gt=after.at) | Q(due_at=after.at, pk__gt=after.id)
    # urgency >= rank bounds the index's read; the rest cuts within it.
    return rows.filter(
        GreaterThanOrEqual(urgency(), rank),
        Q(GreaterThan(urgency(), rank)) | (Q(Exact(urgency(), rank)) & later),
    )


def escalation_counts(
    escalations: QuerySet[Escalation], *, now: datetime | None = None
) -> dict[str, int]:
    """Open work at a glance, in one query: new, picked up, and overdue.

    Not overdue, whatever its due time: an escalation asking only to reach a contact
    whose isolation is over (nothing_left_to_ask_q). The sweep closes those nobody
    picked up; one picked up stays with its holder, but the team is not behind on
    it, and the figure says how far behind the team is."""
    now = now or timezone.now()
    open_statuses = [Escalation.Status.NEW, Escalation.Status.PICKED_UP]
    # The contacts are LEFT JOINed: the cases' escalations still count.
    still_to_do = ~nothing_left_to_ask_q(today=timezone.localdate(now))
    return escalations.filter(status__in=open_statuses).aggregate(
        new=Count("pk", filter=Q(status=Escalation.Status.NEW)),
        picked_up=Count("pk", filter=Q(status=Escalation.Status.PICKED_UP)),
        overdue=Count("pk", filter=Q(due_at__lt=now) & still_to_do),
    )


@dataclass(frozen=True)
class Correction:
    """A call's outcome corrected (logged by mistake): the outcome logged, who
    corrected it, when and why. The history tells it as the item's call panel does:
    "Outcome corrected from Reached by Sam Lee at 10:20, Tue 12 Jan: reason"."""

    logged: str  # the outcome logged, as the call panel names it
    at: datetime
    who: str
    reason: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    # "created", "call", "escalated", "action", "picked_up", "given", "closed"
    kind: str
    title: str
    who: str = ""
    note: str = ""
    earlier: bool = False  # part of an earlier escalation, not the one on screen
    # A call whose outcome was corrected: the title names the corrected outcome.
    correction: Correction | None = None


def _who(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


@dataclass(frozen=True)
class _HandOver:
    """A supervisor's giving an escalation to a member (work.escalation
    .escalation_reassign): to whom, when, by whom; and the pick-up it replaced,
    whose and when (`replaced_at` None when given before hand-overs kept it)."""

    to: object
    at: datetime
    by: object
    replaced_by: object
    replaced_at: datetime | None


@dataclass(frozen=True)
class _Trail:
    """What the history reads of the item's audit trail, by escalation: who closed
    each, the pick-ups reopenings by someone else took over, the hand-overs."""

    closed_by: dict[int, object]
    taken_over: dict[int, list[tuple[object, datetime]]]
    handed_over: dict[int, list[_HandOver]]


def _holder_pick_up(
    escalation: Escalation, hand_overs: list[_HandOver]
) -> tuple[object, datetime] | None:
    """Who picked up the escalation, and when, as its holder's pick-up time tells.
    A hand-over made before they restamped it left the time of the pick-up it
    replaced beside the new holder's name: that was the pick-up (or hand-over) of
    whoever the first such hand-over since was from."""
    if not (escalation.picked_up_at and escalation.picked_up_by):
        return None
    for hand_over in hand_overs:
        if hand_over.replaced_at is None and hand_over.at > escalation.picked_up_at:
            if hand_over.replaced_by is None:
                return None  # a new escalation given: its own row tells it
            return hand_over.replaced_by, escalation.picked_up_at
    return escalation.picked_up_by, escalation.picked_up_at


def _escalation_entries(
    escalation: Escalation, *, earlier: bool, trail: _Trail
) -> list[HistoryEntry]:
    team = f" to {escalation.local_team.name}" if earlier else ""
    how = (
        f", {ASKED_ON_A_CALL}"
        if escalation.reason == Escalation.Reason.SUPPORT and escalation.created_by_id
        else ""
    )
    entries = [
        HistoryEntry(
            escalation.created_at,
            "escalated",
            f"Escalated{team}: {escalation.get_reason_display()}{how}",
            _who(escalation.created_by) or _raised_by_system(escalation),
            escalation.detail,
            earlier,
        )
    ]
    actions = list(escalation.actions.all())
    reopenings = {
        (action.by_id, action.at)
        for action in actions
        if action.kind == EscalationAction.Kind.REOPENED
    }
    hand_overs = trail.handed_over.get(escalation.pk, [])
    # Each pick-up: those a reopening by someone else took over, those a hand-over
    # replaced, then the holder's; a hand-over's own is told as given, not picked up.
    pick_ups = list(trail.taken_over.get(escalation.pk, []))
    pick_ups += [
        (hand_over.replaced_by, hand_over.replaced_at)
        for hand_over in hand_overs
        if hand_over.replaced_by is not None and hand_over.replaced_at is not None
    ]
    holder = _holder_pick_up(escalation, hand_overs)
    if holder is not None:
        pick_ups.append(holder)
    given = {(getattr(h.to, "pk", None), h.at) for h in hand_overs}
    on_reopening = []
    for user, at in dict.fromkeys(sorted(pick_ups, key=lambda pick_up: pick_up[1])):
        if (getattr(user, "pk", None), at) in given:
            continue
        if (getattr(user, "pk", None), at) in reopenings:
            # After its reopening's row, at the same moment (the sort keeps order).
            on_reopening.append(
                HistoryEntry(
                    at, "picked_up", "Picked up on reopening", _who(user), "", earlier
                )
            )
        else:
            entries.append(
                HistoryEntry(at, "picked_up", "Picked up", _who(user), "", earlier)
            )
    entries += [
        HistoryEntry(
            action.at,
            "action",
            action.get_kind_display(),
            _who(action.by),
            action.note,
            earlier,
        )
        for action in actions
    ]
    entries += on_reopening
    entries += [
        HistoryEntry(
            hand_over.at,
            "given",
            f"Given to {_who(hand_over.to)}",
            _who(hand_over.by),
            "",
            earlier,
        )
        for hand_over in hand_overs
    ]
    if escalation.closed_at:
        entries.append(
            HistoryEntry(
                escalation.closed_at,
                "closed",
                f"Closed: {escalation.get_outcome_display()}",
                _who(trail.closed_by.get(escalation.pk)),
                escalation.outcome_note,
                earlier,
            )
        )
    return entries


def _correction(call: CallAttempt) -> Correction | None:
    """The correction of a call's outcome, told to the local team as the call's
    notes and its caller are (the item's call panel tells the same)."""
    if not call.corrected_from or call.corrected_at is None:
        return None
    return Correction(
        logged=call.get_corrected_from_display(),
        at=call.corrected_at,
        who=_who(call.corrected_by),
        reason=call.correction_reason,
    )


# Where an escalation nobody raised came from, as its history tells it (the page's
# "Escalated" row says the same): help asked for by the person online
# (work.online.online_contact_answer), never raised by the sweep. Help asked for on
# a call is raised by its caller (work.calls.call_record), named as who raised it,
# and its title says it was asked on a call (ASKED_ON_A_CALL).
RAISED_ONLINE = "From their answer online, asking for help"
ASKED_ON_A_CALL = "on a call"


def _raised_by_system(escalation: Escalation) -> str:
    if escalation.reason == Escalation.Reason.COMPLEX:
        return "On arrival (complex setting)"
    if escalation.reason == Escalation.Reason.SUPPORT:
        return RAISED_ONLINE
    return "Escalation sweep"


def _trail(item, escalations: list[Escalation]) -> _Trail:
    """What the escalations keep only in the item's audit trail, in one query: who
    closed or sent back each (the escalation keeps no closer, but the trail written
    in the same transaction does); the pick-ups that reopenings by someone else
    took over (work.escalation.escalation_reopen) and the hand-overs
    (work.escalation.escalation_reassign), each keeping the pick-up it replaced,
    oldest first. The escalation itself keeps only its holder's pick-up."""
    if not escalations:
        return _Trail({}, {}, {})
    events = list(
        AuditEvent.objects.filter(
            Q(action=AuditEvent.Action.UPDATE, detail__has_key="outcome")
            | Q(action=AuditEvent.Action.UPDATE, detail__has_key="picked_up_by")
            | Q(action=AuditEvent.Action.REASSIGN),
            object_type=item._meta.label_lower,
            object_id=str(item.pk),
            detail__escalation__in=[e.pk for e in escalations],
        )
        .select_related("user")
        .order_by("at", "pk")
    )
    closed = {e.pk for e in escalations if e.closed_at}
    reopened = {
        e.pk
        for e in escalations
        if any(a.kind == EscalationAction.Kind.REOPENED for a in e.actions.all())
    }
    # Given to a member; given back to the queue ("to" None) is not told here.
    given = [
        event
        for event in events
        if event.action == AuditEvent.Action.REASSIGN
        and event.detail.get("to") is not None
    ]
    taking_over = [
        event.detail
        for event in events
        if event.action == AuditEvent.Action.UPDATE
        and "picked_up_by" in event.detail
        and event.detail["escalation"] in reopened
    ]
    users = get_user_model().objects.in_bulk(
        {detail["picked_up_by"] for detail in taking_over}
        | {event.detail["to"] for event in given}
        | {event.detail["from"] for event in given if event.detail.get("from")}
    )
    trail = _Trail(
        closed_by={
            event.detail["escalation"]: event.user
            for event in events
            if event.action == AuditEvent.Action.UPDATE
            and "outcome" in event.detail
            and event.detail["escalation"] in closed
        },
        taken_over={},
        handed_over={},
    )
    for detail in taking_over:
        user = users.get(detail["picked_up_by"])
        if user is not None:
            trail.taken_over.setdefault(detail["escalation"], []).append(
                (user, datetime.fromisoformat(detail["picked_up_at"]))
            )
    for event in given:
        replaced_at = event.detail.get("picked_up_at")
        trail.handed_over.setdefault(event.detail["escalation"], []).append(
            _HandOver(
                to=users.get(event.detail["to"]),
                at=event.at,
                by=event.user,
                replaced_by=users.get(event.detail.get("from")),
                replaced_at=(
                    datetime.fromisoformat(replaced_at) if replaced_at else None
                ),
            )
        )
    return trail


@dataclass(frozen=True)
class EarlierEscalation:
    """One line of "Earlier escalations". `team` is empty for another team's
    escalation, which the page tells only as a fact: when, and how it ended."""

    pk: int
    at: datetime
    team: str
    reason: str
    closed_at: datetime | None
    ended: str  # the outcome, lower case; "closed" for another team's closing
    in_full: bool


@dataclass(frozen=True)
class ItemHistory:
    entries: list[HistoryEntry]  # oldest first
    earlier: list[EarlierEscalation]  # the item's other escalations, oldest first


def _other_teams_entries(escalation: Escalation) -> list[HistoryEntry]:
    """Another team's escalation of the item, as a fact with no names or notes:
    what a local team does with an item is the team's (docs/access.md), so the
    team it went to, who picked it up, the actions and the notes stay with it. That
    it went to a local team, and came back to the national queue, is the national
    service's own record."""
    entries = [
        HistoryEntry(
            escalation.created_at,
            "escalated",
            f"Escalated to another local team: {escalation.get_reason_display()}",
            earlier=True,
        )
    ]
    if escalation.closed_at:
        title = (
            "Sent back to the national queue by the other team"
            if escalation.outcome == Escalation.Outcome.RETURNED
            else "Closed by the other team"
        )
        entries.append(
            HistoryEntry(escalation.closed_at, "closed", title, earlier=True)
        )
    return entries


def _earlier(escalation: Escalation, *, in_full: bool) -> EarlierEscalation:
    if in_full or escalation.outcome == Escalation.Outcome.RETURNED:
        ended = escalation.get_outcome_display().lower()
    else:
        ended = "closed"
    return EarlierEscalation(
        pk=escalation.pk,
        at=escalation.created_at,
        team=escalation.local_team.name if in_full else "",
        reason=escalation.get_reason_display(),
        closed_at=escalation.closed_at,
        ended=ended,
        in_full=in_full,
    )


def escalation_history(
    escalation: Escalation, *, visible: QuerySet[Escalation] | None = None
) -> ItemHistory:
    """Everything that happened to the escalated item: its arrival, every call
    attempt, this and every earlier escalation.

    `visible` is what the viewer may see (work.access.escalations
    .escalations_visible_to): those escalations are shown in full, with who picked
    them up, the team's actions and notes. Any other, another team's before the item
    moved to this one, is shown only as a fact (when it went to another local team,
    why, and when it ended), so neither its team's people nor their notes are told to
    a team that may not see it. Without `visible`, only the escalations of the team
    on screen are shown in full.
    """
    item = escalation.item
    actions = Prefetch(
        "actions", queryset=EscalationAction.objects.select_related("by")
    )
    all_escalations = list(
        Escalation.objects.filter(**{item.kind: item})
        .select_related("local_team", "created_by", "picked_up_by")
        .prefetch_related(actions)
        .order_by("created_at", "pk")
    )
    own_team = {
        e.pk for e in all_escalations if e.local_team_id == escalation.local_team_id
    }
    if visible is None or len(own_team) == len(all_escalations):
        # The viewer may see the escalation on screen, and so its team's: asked
        # only when the item has been another team's too.
        shown = own_team
    else:
        shown = set(
            visible.filter(pk__in=[e.pk for e in all_escalations]).values_list(
                "pk", flat=True
            )
        )
    shown.add(escalation.pk)
    calls = CallAttempt.objects.filter(**{item.kind: item}).select_related(
        "caller", "corrected_by"
    )
    entries = [HistoryEntry(item.created_at, "created", f"{item.kind.title()} created")]
    entries += [
        HistoryEntry(
            call.started_at,
            "call",
            f"Call: {call.get_outcome_display()}",
            _who(call.caller),
            call.notes,
            correction=_correction(call),
        )
        for call in calls
    ]
    # Asked of those ever picked up or closed: one never held was never given.
    trail = _trail(
        item,
        [
            e
            for e in all_escalations
            if e.pk in shown and (e.picked_up_at or e.closed_at)
        ],
    )
    for other in all_escalations:
        if other.pk in shown:
            entries += _escalation_entries(
                other, earlier=other.pk != escalation.pk, trail=trail
            )
        else:
            entries += _other_teams_entries(other)
    return ItemHistory(
        entries=sorted(entries, key=lambda e: e.at),
        earlier=[
            _earlier(e, in_full=e.pk in shown)
            for e in all_escalations
            if e.pk != escalation.pk
        ],
    )


def clusters_list(clusters: QuerySet[Cluster]) -> QuerySet[Cluster]:
    """Newest first, unreviewed on top, with the setting and the number of cases."""
    return (
        clusters.select_related("setting", "area")
        .annotate(case_count=Count("cases"))
        .order_by(F("reviewed_at").asc(nulls_first=True), "-detected_at", "-pk")
    )
