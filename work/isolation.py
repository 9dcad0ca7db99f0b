"""Isolation that follows the facts: a clinician's override of an end date, and a
contact who becomes a case.

The rules (work.rules) give each case and contact its end date from its own facts, by
the rule of the period those facts fall in; a further exposure moves a contact's to
the latest (work.casework.contact_add). Two more facts are applied here, each with an
IsolationChange row saying why, who and when, and an audit event:

- A tier 2 clinician may override a case's or a contact's end date, with a reason;
  the person is told the new date by message. An override is a judgement on the facts
  known then: a later fact that lengthens isolation beyond it applies (a further
  exposure, becoming a case, a case's onset revised), and the override stands
  otherwise (work.rules.isolation_after_fact).
- A person with a contact still to reach, or told to isolate, whose isolation has not
  ended, who then tests positive (a case made by intake): the contact's isolation
  switches to the case's, counted from the case's onset or test by the rule of that
  day (see contacts_become_cases for why it may end sooner); of two or more cases,
  to the one ending last, in whatever order their results arrive. The same when two
  records of one person, a case and a contact, are merged (contacts_follow_own_cases),
  and whenever that case's date changes afterwards, earlier or later (its onset
  revised, a clinician's override of the case: contacts_follow_case), into the
  past and back again. A person told a date by message whose onset, revised,
  changes it is told the new one (case_onset_revised).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_event, audit_record, audit_record_many
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import Status, WorkItem
from clock.written import short_time
from contacts.models import Contact, IsolationChange
from notify.services import message_standing, messages_supersede
from online.texts import long_date, say
from people.models import Message
from rows.retry import atomic_operation

from .access.actor import Actor
from .access.isolation import override_refusal
from .casework import _own_case_isolating
from .online import (
    link_text_redate,
    naming_page_language,
    person_told,
    reachable_by_message,
)
from .rules import OwnCase, isolation_after_fact, isolation_override_problems


@dataclass
class IsolationOverridden:
    """What an override did, for the page or the API to say."""

    change: IsolationChange
    # The text or email telling them the new date; None when they have neither a
    # mobile nor an email (they are to be phoned), or when their date in force did
    # not change (`unchanged`).
    message: Message | None
    # The person's date in force now: the latest end of their cases and contact
    # rows isolating now (_date_in_force); later than the override's when another
    # of their records ends later.
    in_force: date | None = None
    # Their date in force is the one it was: another of their records ends later
    # and stands, so they have nothing new to be told, and are told nothing.
    unchanged: bool = False


def person_rows_isolating(
    person_id: int, today: date
) -> tuple[QuerySet[Case], QuerySet[Contact]]:
    """A person's cases and contact rows isolating now: what their date in force is
    the latest end of. A contact row closed never reached told them nothing, and a
    withdrawn one isolates no more (OPEN_OR_TOLD)."""
    now_on = Q(person_id=person_id, isolation_ends_on__gte=today)
    return Case.objects.filter(now_on), Contact.objects.filter(now_on).filter(
        OPEN_OR_TOLD
    )


def _rows_isolating(item: WorkItem, today: date) -> tuple[QuerySet, QuerySet]:
    """The person's other cases and contact rows (not `item`) isolating now, as
    _told_later reads them (person_rows_isolating)."""
    cases, contacts = person_rows_isolating(item.person_id, today)
    if isinstance(item, Case):
        cases = cases.exclude(pk=item.pk)
    else:
        contacts = contacts.exclude(pk=item.pk)
    return cases, contacts


def _date_in_force(item: WorkItem, today: date) -> date | None:
    """The person's date in force: the latest end of the item and of their other
    cases and contact rows isolating now (None: none is). What the call handler
    reads out, and what a person told by message holds: one person, one date."""
    cases, contacts = _rows_isolating(item, today)
    ends = [
        *cases.values_list("isolation_ends_on", flat=True),
        *contacts.values_list("isolation_ends_on", flat=True),
    ]
    if item.isolation_ends_on >= today:
        ends.append(item.isolation_ends_on)
    return max(ends, default=None)


def _own_case_of(contact: Contact, today: date) -> OwnCase | None:
    """The contact's person's own case isolating now, ending last (work.casework.
    _own_case_isolating), as the override rules read it."""
    case = _own_case_isolating(contact.person, today=today)
    if case is None:
        return None
    return OwnCase(
        name=contact.person.full_name,
        tested_on=case.specimen_date,
        ends_on=case.isolation_ends_on,
    )


def _told_before(
    item: WorkItem,
    replacing: QuerySet[Message],
    link_text: Message | None,
    *,
    now: datetime | None = None,
) -> bool:
    """Given a date already: reached, or sent a link or advice, about this item or
    another of the person's cases and contact rows isolating now (a contact who
    tested positive was told their case's date: a clinician's change of their
    contact row is a change of that, never a contact's first advice). A contact
    nobody has told anything yet is sent the advice itself, not a change of "the
    date we gave you before": a message replaced before it went told them nothing,
    nor does one of the item's own held up (tried, waiting out a provider's
    outage), one this override replaces (`replacing`, still waiting to be sent),
    or the item's link's text just queued again with the new date (`link_text`:
    link_text_redate): this message says what that one would have. One queued and
    not yet tried goes first, within seconds, in the order queued: it has told
    them. So does a text of another of their rows still to go, held up or not: it
    will go, giving the date in force (_tell sends a held-up link text again with
    it), and this message is a change of that date, never a first message (a
    contact's advice, to someone their case's text says tested positive)."""
    if item.reached_at is not None:
        return True
    replaced = Q(status=Message.Status.SUPERSEDED) | Q(
        pk__in=replacing.filter(status=Message.Status.QUEUED).values("pk")
    )
    never_went = replaced | Q(status=Message.Status.QUEUED, attempts__gt=0)
    if link_text is not None:
        never_went |= Q(pk=link_text.pk)
    if Message.objects.filter(**{item.kind: item}).exclude(never_went).exists():
        return True
    cases, contacts = _rows_isolating(item, timezone.localdate(now))
    if (
        cases.filter(reached_at__isnull=False).exists()
        or contacts.filter(reached_at__isnull=False).exists()
    ):
        return True
    return (
        Message.objects.filter(
            Q(case__in=cases.values("pk")) | Q(contact__in=contacts.values("pk")),
            kind__in={*GAVE_A_DATE, *GAVE_A_CASE_DATE},
        )
        .exclude(replaced)
        .exists()
    )


def _override_key(item: WorkItem, nth: int | str) -> str:
    """The event of the item's nth override, named by its message."""
    return f"isolation_override:{item.kind}:{item.pk}:{nth}"


def override_message(item: WorkItem, change: IsolationChange) -> Message | None:
    """The message that told the person of this override (None: they had neither
    a mobile nor an email), for an answer sent again as the first was."""
    nth = (
        IsolationChange.objects.of_item(item).overrides().filter(pk__lte=change.pk)
    ).count()
    message = Message.objects.filter(key=_override_key(item, nth)).first()
    # As it stands: sent again to their new number or email while it waited.
    return message_standing(message) if message is not None else None


def text_of(
    item: WorkItem,
    replacing: QuerySet[Message],
    link_text: Message | None,
    changed: str = "isolation_changed",
    *,
    now: datetime | None = None,
) -> str:
    """Which text gives the new date: a change of the date told before about any of
    the person's rows (`changed`: a clinician's, by default); else, to a case never
    told anything, their own positive test (never a contact's advice); to a
    contact, the advice. A message replacing one never sent carries the text that
    one had: what the person has not yet been told."""
    if _told_before(item, replacing, link_text, now=now):
        return changed
    return "case_isolation_set" if isinstance(item, Case) else "isolation_advice"


def exposure_key(contact: Contact, exposure_id: int | str) -> str:
    """The event of a further exposure moving the contact's end date later, named by
    its message: one per naming (its Exposure row)."""
    return f"isolation_exposure:contact:{contact.pk}:{exposure_id}"


def _onset_key(item: WorkItem, nth: int | str) -> str:
    """The event of the nth end date a revised symptom onset gave the item's person,
    named by its message (case_onset_revised)."""
    return f"isolation_onset:{item.kind}:{item.pk}:{nth}"


def earlier_dates(item: WorkItem) -> QuerySet[Message]:
    """The messages of the item's earlier overrides, revised onsets and further
    exposures, each giving an end date."""
    dated = Q(key__startswith=_override_key(item, "")) | Q(
        key__startswith=_onset_key(item, "")
    )
    if isinstance(item, Contact):
        dated |= Q(key__startswith=exposure_key(item, ""))
    return Message.objects.filter(dated, **{item.kind: item})


def tell_end_date(
    item: WorkItem,
    *,
    text: str,
    ends_on: date,
    key: str,
    replacing: QuerySet[Message],
    named_in: str = "",
) -> Message | None:
    """Queue the message `text` (online.texts) giving the item's person `ends_on`,
    once for the event `key`, in their language (work.online.person_told; named on
    a page online, `named_in`), replacing the earlier end dates not sent yet
    (`replacing`): their last text is the date in force. The message, or None
    (they cannot be messaged). What an override, a further exposure, a revised
    onset and a merge moving a date each send."""
    message = person_told(
        item,
        key=key,
        body_of=lambda language: say(
            text, language, until=long_date(ends_on, language)
        ),
        named_in=named_in,
    )
    if message is not None:
        messages_supersede(replacing, by=message)
    return message


def _tell(
    item: WorkItem, change: IsolationChange, *, in_force: date, unchanged: bool
) -> Message | None:
    """Queue the message giving the person their date in force (`in_force`: the
    override's, or a later one of another of their records that stands), sent once
    the transaction commits; one per override (the event is the item's nth
    override, counted under the item's lock). Nothing when their date in force is
    the one it was (`unchanged`): a date in force nowhere is never texted as
    "replacing" the one they hold (as case_onset_revised: _told_later), and no
    text of theirs still to go is touched (each gives that date already).

    Every text still to go to them giving a date then gives the one in force, or
    never goes: the earlier end dates not sent yet of the item and of the person's
    other rows isolating now (an override's, a further exposure's, a revised
    onset's: waiting out a provider's outage) are replaced by this message, so
    their last text is the date in force, never one overridden since; and the text
    carrying the link of the item or of any of those rows, held up and giving the
    old date, is sent again with the date in force (link_text_redate: the link, to
    name their contacts or answer, still works), or, to someone who can no longer
    be messaged, withdrawn."""
    if unchanged:
        return None  # the date they go by stands: nothing new to tell
    cases, contacts = _rows_isolating(item, timezone.localdate(change.at))
    others: list[WorkItem] = [*cases, *contacts]
    link_text = link_text_redate(item, now=change.at, ends_on=in_force)
    for row in others:
        # Under the row's lock, as link_text_redate asks: a call or a merge may be
        # changing what its link's text waits on.
        link_text_redate(row.locked(), now=change.at, ends_on=in_force)
    if reachable_by_message(item.person) is None:
        return None  # to be phoned: nothing to count
    nth = IsolationChange.objects.of_item(item).overrides().count()
    earlier = earlier_dates(item)
    for row in others:
        earlier |= earlier_dates(row)
    text = text_of(item, replacing=earlier, link_text=link_text, now=change.at)
    return tell_end_date(
        item,
        text=text,
        ends_on=in_force,
        key=_override_key(item, nth),
        replacing=earlier,
    )


# The messages that give a contact an end date: the text carrying their link, and
# the advice (a call's, an override's, a further exposure's).
GAVE_A_DATE = (Message.Kind.CONTACT_LINK, Message.Kind.ISOLATION_ADVICE)


def contact_told_later_date(
    *, contact: Contact, exposure_id: int, now: datetime
) -> Message | None:
    """A further exposure has moved a contact's end date later (a second case naming
    them: work.casework.contact_add). Someone already told a date by message (a
    text or email that went or is going, not one replaced or failed) is told the
    new one, as an override tells them (_tell): once for this naming (the event is
    its Exposure row), in their language (named on a page online, the language a
    new link would be in: work.online._told_in), replacing any earlier end date of
    theirs not sent yet. The text carrying their link, if it is held up (a provider's
    outage) and gives the old date, is sent again with the new one instead
    (link_text_redate): one message, not two. Someone told nothing by message is
    sent nothing: their call, or their first text, gives the date in force. Under
    the contact's lock. The message giving the new date, or None."""
    if not told_a_date(contact):
        return None
    earlier = earlier_dates(contact)
    link_text = link_text_redate(contact, now=now)
    if link_text is not None:
        messages_supersede(earlier, by=link_text)
        return link_text
    if reachable_by_message(contact.person) is None:
        return None  # to be phoned: the call gives the date
    text = text_of(
        contact, replacing=earlier, link_text=None, changed="named_again_later"
    )
    return tell_end_date(
        contact,
        text=text,
        ends_on=contact.isolation_ends_on,
        key=exposure_key(contact, exposure_id),
        replacing=earlier,
        named_in=naming_page_language(),
    )


def told_a_date(item: WorkItem) -> bool:
    """A text or email gave them the item's end date, and went or is going (not one
    replaced or failed): the text carrying their link, or advice (a call's, an
    override's, a further exposure's, a revised onset's)."""
    kinds = GAVE_A_DATE if isinstance(item, Contact) else GAVE_A_CASE_DATE
    return (
        Message.objects.filter(**{item.kind: item}, kind__in=kinds)
        .exclude(status__in=(Message.Status.SUPERSEDED, Message.Status.FAILED))
        .exists()
    )


# The messages that give a case an end date: the text carrying their link, and the
# advice (an override's, a revised onset's).
GAVE_A_CASE_DATE = (Message.Kind.CASE_LINK, Message.Kind.ISOLATION_ADVICE)


def case_onset_revised(*, case: Case, by=None, now: datetime) -> Message | None:
    """A case's end date changed with the symptom onset saved in its risk assessment
    (work.casework.case_assessment_record, under the case's lock): a correction of a
    mistyped onset, say. The person's contact rows follow the case's date
    (contacts_follow_case), and the person is told the date in force.

    One message, for the one person: through the case if a text or email gave them
    its date (told_a_date), else through a contact row this moves that was told
    its date so; someone told nothing by message is sent nothing (the caseworker on
    the phone, or their first text, gives the date in force), nor is someone told by
    message of another of their rows still ending later (a contact row a clinician
    overrode to a later date, say: _told_later): that date stands, and they were
    never to be told an earlier one "replacing" it. It replaces their
    earlier end dates not sent yet (an override's, a further exposure's, an earlier
    revision's). A text carrying their link, held up (a provider's outage) and
    giving the old date, is sent again with the new one instead (link_text_redate):
    no second message. The wording is neutral ("we have updated how long you need
    to self-isolate"): nobody reviewed it as a clinician overrides; a date already
    past says their time to stay at home ended then. One per revision: the same
    save sent again changes nothing, and tells nothing. The message, or None."""
    changes = contacts_follow_case(case=case, by=by, now=now)
    moved = [change.contact for change in changes if change.ends_on != change.replaced]
    items: list[WorkItem] = [case, *(c for c in moved if c is not None)]
    told = [item for item in items if told_a_date(item)]
    if not told:
        return None
    earlier = earlier_dates(case)
    for item in items[1:]:
        earlier |= earlier_dates(item)
    redated = [
        again for item in told if (again := link_text_redate(item, now=now)) is not None
    ]
    if redated:
        messages_supersede(earlier, by=redated[0])
        return redated[0]
    teller = told[0]
    if reachable_by_message(teller.person) is None:
        return None  # to be phoned: the call gives the date
    ends_on = teller.isolation_ends_on
    if _told_later(case.person_id, items, after=ends_on, now=now):
        return None  # a later date they were told stands: nothing new for them
    if ends_on < timezone.localdate(now):
        text = "isolation_revised_over"
    else:
        text = text_of(
            teller, replacing=earlier, link_text=None, changed="isolation_revised"
        )
    nth = (
        Message.objects.filter(
            **{teller.kind: teller}, key__startswith=_onset_key(teller, "")
        ).count()
        + 1
    )
    return tell_end_date(
        teller,
        text=text,
        ends_on=ends_on,
        key=_onset_key(teller, nth),
        replacing=earlier,
    )


def _told_later(
    person_id: int, items: Sequence[WorkItem], *, after: date, now: datetime
) -> bool:
    """Another of the person's cases or contact rows (not among `items`, those this
    revision changed), isolating now, ends later than `after` and was told its
    date by message (told_a_date): that date is the one in force for them (the
    call handler reads it out), and they hold it already."""
    today = timezone.localdate(now)
    later = Q(person_id=person_id, isolation_ends_on__gt=after) & Q(
        isolation_ends_on__gte=today
    )
    cases = Case.objects.filter(later).exclude(
        pk__in=[item.pk for item in items if isinstance(item, Case)]
    )
    contacts = (
        Contact.objects.filter(later)
        .filter(OPEN_OR_TOLD)
        .exclude(pk__in=[item.pk for item in items if isinstance(item, Contact)])
    )
    rows: list[WorkItem] = [*cases, *contacts]
    return any(told_a_date(row) for row in rows)


class IsolationChangedSince(IllegalTransition):
    """The end date was changed after the one an override was made from (by another
    clinician, in another tab, or by a fact: a positive result, a further exposure):
    saving it would undo that change unseen, and the person would be told a second,
    different date. Says what the date is now, and who changed it and when, as far as
    the records tell (`how`: the IsolationChange's kind, "exposure", or "" unknown)."""

    EXPOSURE = "exposure"

    def __init__(
        self,
        *,
        ends_on: date,
        how: str = "",
        by=None,
        at: datetime | None = None,
        change: IsolationChange | None = None,
        by_them: bool = False,
        case_revised: bool = False,
    ):
        self.ends_on, self.how, self.by, self.at = ends_on, how, by, at
        self.change, self.by_them = change, by_them
        # A contact following their case's date as it changed, not its first switch.
        self.case_revised = case_revised
        super().__init__(
            f"{self.changed()}, after the date this change was made from: it is "
            "not saved."
        )

    @property
    def changed_by(self) -> str:
        """Who changed it, as staff read a name ("": a fact, not a person)."""
        if self.by is None:
            return ""
        return self.by.get_full_name() or self.by.get_username()

    def changed(self) -> str:
        """What happened to the date: "Sarah Okafor changed the end date to Monday
        25 January 2021 at 10:05 on Tue 12 Jan", "You changed ... in another tab or
        window", "The end date changed to ... when their positive test result
        arrived"."""
        to = f"the end date to {long_date(self.ends_on)}"
        at = f" at {short_time(self.at)}" if self.at is not None else ""
        if self.how == IsolationChange.Kind.OVERRIDE and self.by_them:
            return f"You changed {to}{at} in another tab or window"
        if self.how == IsolationChange.Kind.OVERRIDE and self.by is not None:
            return f"{self.changed_by} changed {to}{at}"
        fact = {
            IsolationChange.Kind.BECAME_CASE: ", when their case's end date changed"
            if self.case_revised
            else ", when their positive test result arrived",
            self.EXPOSURE: ", when they were named as a contact again",
        }.get(self.how, "")
        return f"The end date changed to {long_date(self.ends_on)}{at}{fact}"


def _changed_since(locked: WorkItem, clinician) -> IsolationChangedSince:
    """What changed the item's date to the one in force: its latest IsolationChange
    when that set this date (an override, or becoming a case), else a further
    exposure recorded with this date (kept in the audit trail only), else unknown."""
    now_ends = locked.isolation_ends_on
    change = IsolationChange.objects.of_item(locked).select_related("by").first()
    if change is not None and change.ends_on == now_ends:
        person = change.by if change.kind == IsolationChange.Kind.OVERRIDE else None
        user = Actor.of(clinician).user
        return IsolationChangedSince(
            ends_on=now_ends,
            how=change.kind,
            by=person,
            at=change.at,
            change=change,
            by_them=person is not None and person.pk == user.pk,
            case_revised=_follows_a_revision(change),
        )
    exposure = (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.UPDATE,
            object_type=locked._meta.label_lower,
            object_id=str(locked.pk),
            detail__has_key="exposure",
            detail__isolation_ends_on=now_ends.isoformat(),
        )
        .order_by("-at", "-pk")
        .first()
    )
    if exposure is not None:
        return IsolationChangedSince(
            ends_on=now_ends, how=IsolationChangedSince.EXPOSURE, at=exposure.at
        )
    return IsolationChangedSince(ends_on=now_ends)


def _follows_a_revision(change: IsolationChange) -> bool:
    """A contact's "became a case" that followed its case's changed date: one to
    the same case came before it."""
    if change.kind != IsolationChange.Kind.BECAME_CASE or change.contact_id is None:
        return False
    return IsolationChange.objects.filter(
        contact_id=change.contact_id,
        kind=IsolationChange.Kind.BECAME_CASE,
        became_case_id=change.became_case_id,
        pk__lt=change.pk,
    ).exists()


@atomic_operation
def isolation_override(
    *,
    item: WorkItem,
    ends_on: date,
    reason: str,
    clinician,
    by=None,
    now: datetime | None = None,
    current_ends_on: date | None = None,
) -> IsolationOverridden:
    """A clinician sets a case's or a contact's last day of isolation, for a reason.

    `clinician` decided it and must be a tier 2 clinician who may (work.access.
    isolation: PermissionDenied with the reason otherwise); `by` recorded it when
    that is someone else (an integration), for the audit trail. Raises
    ValidationError, field by field, for a date or reason the rules refuse. The
    person is told the new date by text (a mobile) or email, in their language.

    Given `current_ends_on` (the date the page showed, or the client last read),
    a change made from a date no longer in force is refused (IsolationChangedSince,
    saying who or what changed it and when): the clinician decided against a date
    that is gone, and saving would silently undo a colleague's change, or the
    lengthening a new fact brought, and tell the person a second date. Checked after
    the rules, so the same change sent twice is still refused as "They already
    isolate until ..." (work.sent_twice knows it as saved once).

    A case's new date is their contact rows' too (contacts_follow_case): the person
    is told it once, by this message. One person has one date: a contact row of
    someone with their own case isolating now is never set to end before that case
    (work.rules.isolation_override_problems says so, and where to change it), and
    the person is told their date in force, the latest of their rows' ends, as
    case_onset_revised tells it: nothing when that did not change (another of their
    records ends later and stands).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    locked = item.locked()
    if (refusal := override_refusal(clinician, locked)) is not None:
        raise PermissionDenied(refusal)
    problems = isolation_override_problems(
        ends_on=ends_on,
        reason=reason,
        current=locked.isolation_ends_on,
        today=today,
        own_case=_own_case_of(locked, today) if isinstance(locked, Contact) else None,
    )
    if problems:
        raise ValidationError(problems)
    if current_ends_on is not None and current_ends_on != locked.isolation_ends_on:
        raise _changed_since(locked, clinician)
    user = Actor.of(clinician).user
    in_force_before = _date_in_force(locked, today)
    change = IsolationChange.objects.create(
        **{locked.kind: locked},
        kind=IsolationChange.Kind.OVERRIDE,
        ends_on=ends_on,
        replaced=locked.isolation_ends_on,
        reason=reason.strip(),
        by=user,
        at=now,
    )
    locked.isolation_ends_on = ends_on
    locked.save(update_fields=["isolation_ends_on"])
    audit_record(
        user=by or user,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        detail={
            "isolation_change": change.pk,
            "isolation_ends_on": ends_on.isoformat(),
            "replaced": change.replaced.isoformat(),
            "clinician": user.pk,
        },
        at=now,
    )
    if isinstance(locked, Case):
        contacts_follow_case(case=locked, by=by or user, now=now)
    # Read once the contact rows have followed the case: ends_on is today or later.
    in_force = _date_in_force(locked, today) or ends_on
    unchanged = in_force == in_force_before
    message = _tell(locked, change, in_force=in_force, unchanged=unchanged)
    item.isolation_ends_on = ends_on
    return IsolationOverridden(
        change=change, message=message, in_force=in_force, unchanged=unchanged
    )


# A contact whose isolation a positive test switches to the case's: one still to be
# reached (new, held, with a local team) or told to isolate (reached, completed, or
# closed by a local team that reached them): all but those closed never reached.
# Never a contact withdrawn (its case's positive result sent in error: work.withdraw):
# no date of it is moved again.
OPEN_OR_TOLD = ~Q(status=Status.CLOSED, reached_at__isnull=True) & ~Q(
    status=Status.WITHDRAWN
)


def contacts_become_cases(
    *, cases: Sequence[Case], by=None, now: datetime
) -> list[IsolationChange]:
    """New cases whose people are contacts isolating now: each such contact isolates
    until the end date of the person's case ending last from here on, recorded as
    "became a case" (with the date it replaced) and audited. A few statements for a
    whole intake batch.

    The case's rule supersedes the contact's even where it ends sooner: a contact
    isolates for the incubation period, not knowing whether they were infected; a
    positive test settles that, and from then their isolation is the infectious
    period counted from their onset or test, by the rule of that day. One person is
    told one date, the one their case gives: of the person's cases (these new ones,
    and those isolating now), the one ending last, as work.casework._own_case_isolating
    gives a contact named after their case. A result arriving late, its specimen
    older than a case they have, never shortens the date that case gave. A
    clinician's override of the contact still stands against an earlier date
    (work.rules.isolation_after_fact).
    """
    if not cases:
        return []
    return _contacts_follow_cases(
        people={case.person_id for case in cases}, new=cases, by=by, now=now
    )


def contacts_follow_own_cases(
    *, people: Collection[int], by=None, now: datetime
) -> list[IsolationChange]:
    """The people's contacts isolating now that do not yet follow the case of theirs
    ending last take its date, by the rule of contacts_become_cases, recorded and
    audited as it records them. For when a case and a contact come to be one
    person's otherwise than by a new case (two records of one person merged,
    work.merge): as if the result had arrived after the naming. A contact that
    follows that case already is left as it is."""
    if not people:
        return []
    return _contacts_follow_cases(people=people, new=(), by=by, now=now)


def contacts_follow_case(
    *, case: Case, by=None, now: datetime
) -> list[IsolationChange]:
    """A case's end date changed (its onset revised, a clinician's override of it):
    the person's contacts isolating now follow their case ending last to its date
    as it is now, earlier or later, recorded and audited as contacts_become_cases
    records them, so that one person is still told one date. A clinician's override
    of a contact stands against an earlier date (work.rules.isolation_after_fact),
    and against a case's date sooner than the one the contact switched at: a
    shortening of the case never lengthens the clinician's date. A case no longer
    isolating is followed only by the contacts following it already: a contact
    named since, isolating on its own date, is not sent into the past by an old
    case's correction; and a contact following the case into the past (an onset
    mistyped) follows it back when it is corrected. Nothing is sent here: an
    override of the case tells the person its date (_tell), a revised onset
    through case_onset_revised."""
    return _contacts_follow_cases(
        people={case.person_id}, new=(), by=by, now=now, revised=case
    )


def _nothing_new(
    last: tuple[int, date] | None,
    *,
    ending_last: Sequence[Case],
    ends_on: date,
    current: date,
    revised: Case | None,
    overridden: bool,
) -> bool:
    """The contact's last switch (`last`: the case and the date it took) was to the
    case it is to follow, and that brings nothing new: their date would stay as it
    is, or the case's date is the one it switched at (a result of an earlier
    specimen, a merge, another of their cases revised), so an override made since
    stands. After a revision of that very case's date (`revised`) that date is new,
    whatever it switched at before; but after a clinician's override, a date sooner
    than the one it switched at is a shortening, and never lengthens theirs."""
    if last is None or last[0] not in {case.pk for case in ending_last}:
        return False
    case_ends_on = ending_last[0].isolation_ends_on
    if ends_on == current:
        return True
    if revised is None or last[0] != revised.pk:
        return last[1] == case_ends_on
    return overridden and case_ends_on < last[1]


def _ending_last(cases: Iterable[Case]) -> list[Case]:
    """The cases ending last (more than one when they end the same day)."""
    ending_last: list[Case] = []
    for case in cases:
        if not ending_last or case.isolation_ends_on > ending_last[0].isolation_ends_on:
            ending_last = [case]
        elif case.isolation_ends_on == ending_last[0].isolation_ends_on:
            ending_last.append(case)
    return ending_last


def _contacts_follow_cases(
    *,
    people: Collection[int],
    new: Sequence[Case],
    by,
    now: datetime,
    revised: Case | None = None,
) -> list[IsolationChange]:
    """Each of the people's contacts isolating now follows the person's case ending
    last: among `new` (cases just made) and their cases isolating now, and `revised`
    (a case whose date just changed) when it is isolating now or is the one the
    contact follows. A contact whose isolation is over follows `revised` too when
    that is the case it follows: it went into the past with that case's date (an
    onset mistyped), and comes back with its correction. A contact whose last switch was to that case, at its date, has
    nothing new to follow (a later result of an earlier specimen, a merge bringing
    nothing later, another case revised): no change is recorded, and an override
    made since it switched stands. After a revision of that case its date is new:
    the contact follows it unless that leaves their date as it is, or it is a
    shortening against a clinician's override (_nothing_new)."""
    today = timezone.localdate(now)
    locking = Contact.objects.select_for_update(of=("self",)).filter(
        OPEN_OR_TOLD, person_id__in=people
    )
    if revised is None:
        locking = locking.filter(isolation_ends_on__gte=today)
    # After a revision, the person's contacts whose isolation is over are locked
    # too: those following the revised case follow it back (below).
    contacts = list(locking.order_by("pk"))
    if not contacts:
        return []
    # Read after the rows are locked, in a statement of its own: a clinician's
    # override committed while this waited for the lock is seen (a subquery of the
    # locking statement reads the snapshot from before the wait, and the override
    # was lost to the case's shorter date).
    overridden: set[int] = set()
    # Each contact's last switch: the case it followed, and the date it took.
    followed: dict[int, tuple[int, date]] = {}
    for contact_id, kind, case_id, ends_on in (
        IsolationChange.objects.filter(contact__in=contacts)
        .order_by("pk")
        .values_list("contact_id", "kind", "became_case_id", "ends_on")
    ):
        if kind == IsolationChange.Kind.OVERRIDE:
            overridden.add(contact_id)
        elif kind == IsolationChange.Kind.BECAME_CASE:
            followed[contact_id] = (case_id, ends_on)
    if revised is not None:
        # A contact sent into the past by its case's date (an onset mistyped, say)
        # follows that case when it is corrected, as it followed it there; any
        # other contact whose isolation is over stays as it is.
        contacts = [
            contact
            for contact in contacts
            if contact.isolation_ends_on >= today
            or followed.get(contact.pk, (None,))[0] == revised.pk
        ]
        if not contacts:
            return []
    # The cases any contact may follow: the new ones, and every case of the person
    # isolating now, whichever batch (or record) it came with.
    cases: dict[int, Case] = {case.pk: case for case in new}
    if revised is not None and revised.isolation_ends_on >= today:
        cases[revised.pk] = revised
    for case in Case.objects.filter(
        person_id__in={contact.person_id for contact in contacts},
        isolation_ends_on__gte=today,
    ):
        cases.setdefault(case.pk, case)
    cases_of: dict[int, list[Case]] = {}
    for case in cases.values():
        cases_of.setdefault(case.person_id, []).append(case)
    user = by if by is not None and by.is_authenticated else None
    changes, changed, moved = [], [], []
    for contact in contacts:
        last = followed.get(contact.pk)
        own = cases_of.get(contact.person_id, [])
        # A revised case that has ended is still the one its followers follow.
        follows_revised = revised is not None and last and last[0] == revised.pk
        if revised is not None and follows_revised and revised.pk not in cases:
            own = [*own, revised]
        ending_last = _ending_last(own)
        if not ending_last:
            continue
        # Two cases ending the same day: the newer, as _own_case_isolating.
        case = max(ending_last, key=lambda c: c.pk)
        ends_on = isolation_after_fact(
            current=contact.isolation_ends_on,
            computed=case.isolation_ends_on,
            overridden=contact.pk in overridden,
        )
        if _nothing_new(
            last,
            ending_last=ending_last,
            ends_on=ends_on,
            current=contact.isolation_ends_on,
            revised=revised,
            overridden=contact.pk in overridden,
        ):
            continue
        changes.append(
            IsolationChange(
                contact=contact,
                kind=IsolationChange.Kind.BECAME_CASE,
                became_case=case,
                ends_on=ends_on,
                replaced=contact.isolation_ends_on,
                by=user,
                at=now,
            )
        )
        changed.append(contact)
        if ends_on != contact.isolation_ends_on:
            contact.isolation_ends_on = ends_on
            moved.append(contact)
    if not changes:
        return []
    changes = IsolationChange.objects.bulk_create(changes)
    Contact.objects.bulk_update(moved, ["isolation_ends_on"])
    audit_record_many(
        audit_event(
            user=user,
            action=AuditEvent.Action.UPDATE,
            obj=contact,
            detail={
                "isolation_change": change.pk,
                "became_case": change.became_case_id,
                "isolation_ends_on": change.ends_on.isoformat(),
                "replaced": change.replaced.isoformat(),
            },
            at=now,
        )
        for contact, change in zip(changed, changes, strict=True)
    )
    return changes
