"""The online route: a new case is sent a link to enter their contacts and the places
they have been; each contact with a number or email is told by message to isolate,
with a link to confirm they will or ask for support. Only those who do not answer in
time are phoned.

A link is an unguessable token bound to one person and one item, expiring, used once
for an answer; only its hash is kept. The person answering is not signed in: the
operations here act as the service itself (`by` None), and the link is the authority.
Every page a link opens is audited against the person, as "online".
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache, partial
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from areas.postcodes import locate_postcode
from areas.services import postcode_to_area
from audit.models import AuditEvent
from audit.services import audit_record, audit_view
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import Route, Status, WorkItem
from contacts.models import Contact
from escalations.models import Escalation
from notify.services import (
    message_queue,
    messages_queue_many,
    messages_supersede,
    messages_withdraw,
)
from online.models import OnlineLink
from online.texts import addressed, language_of, long_date, say, subject_for
from people.matching import written_as_themselves
from people.models import Language, Message, Person, PersonChange
from people.phone_field import Phone
from people.services import (
    arrivals_one_at_a_time,
    person_arrival,
    person_find_or_create,
)
from rows.insert import insert_rows
from rows.retry import atomic_operation

from .access.items import may_work_item
from .casework import (
    ContactDetails,
    ContactRowsRefused,
    VisitDetails,
    case_visit_add,
    contact_told_as_case,
    contacts_add_many,
    items_back_to_the_phones,
    namesake_named_before,
)
from .compiled import instances_compiled_once, rows_compiled_once
from .effects import assignment_run_after_commit
from .escalation import item_escalate
from .rules import (
    CallingHours,
    CallRule,
    calls_from,
    due_to_local_team_at,
    has_number_to_call,
    isolation_over,
)

PATH = "/o/"  # where a link opens: the online pages' address, before the token
SUPPORT_KINDS = {
    "money": "the Test and Trace support payment",
    "food": "food",
    "medicine": "medicine",
}


class LinkUnusable(Exception):
    """A link that is wrong, expired, replaced or used: all the same to its holder."""


class NothingNew(LinkUnusable):
    """A case's link sent again with no one and nowhere not sent before (Send tapped
    twice, the page sent from a second device with the same people): its answers
    are in already."""


# --- links ---------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _links_address() -> str:
    """Where every link starts: the site's online pages, before the token."""
    return f"{settings.TRACING_SITE_URL.rstrip('/')}{PATH}"


def link_url(token: str, language: str = "en") -> str:
    """The link's address; one sent in another language than English says which
    (?lang=), so every page it opens, even one given before the link is looked up
    (the rate limit's), is in it."""
    language = language_of(language)
    asked = "" if language == "en" else f"?lang={language}"
    return f"{_links_address()}{token}/{asked}"


def _token_in(text: str, link: OnlineLink) -> str | None:
    """The link's token, as the text carrying it wrote it (only its hash is kept);
    None if the text has no such link."""
    for token in re.findall(rf"{re.escape(_links_address())}([\w-]+)/", text):
        if token_hash(token) == link.token_hash:
            return str(token)
    return None


def is_mobile(person: Person) -> bool:
    """Whether their phone is a mobile a text reaches them on. A number a call to
    them was logged "Wrong number" on is not (Person.phone_logged_wrong): a
    stranger answered it, and is not to be texted about them (nor is it the phone
    a merge keeps by default, when the other record has a mobile)."""
    phone = person.phone
    # A Phone (the field makes every value one), or "" when there is none; not
    # checked valid first: the type of an invalid number is UNKNOWN. The type is
    # worked out once per number.
    if not isinstance(phone, Phone) or person.phone_logged_wrong:
        return False
    return phone.line_type() in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def reachable_by_message(person: Person) -> tuple[str, str] | None:
    """Where a message reaches them: a mobile number (is_mobile: not one logged as a
    wrong number for them), else an email; None if neither (a landline is phoned;
    someone whose number was logged wrong is found by their local team)."""
    if is_mobile(person):
        return Message.Channel.SMS, person.phone.as_e164
    if person.email:
        return Message.Channel.EMAIL, person.email
    return None


def _links_of(item: WorkItem) -> QuerySet[OnlineLink]:
    """The item's links, the latest first."""
    return OnlineLink.objects.filter(**{item.kind: item}).order_by("-created_at", "-pk")


def _first_written_in(item: WorkItem) -> str:
    """The language of the item's latest link: the one we first wrote to its person
    in, such as the Welsh of the case who named them; with none, of their latest
    link on any item (_last_written_in); "" when they have had none."""
    return _links_of(item).values_list("language", flat=True).first() or (
        _last_written_in([item.person_id]).get(item.person_id, "")
    )


def _last_written_in(person_ids: list[int]) -> dict[int, str]:
    """For each of these people sent a link before in another language than English,
    on any case or contact, the language of the latest such: one who answered a
    Welsh page is written to in Welsh when named again, whatever the language of the
    page that named them (English, the default, says nothing of a choice: a Welsh
    page naming them still has them told in Welsh). One query."""
    latest = (
        OnlineLink.objects.filter(person_id__in=person_ids)
        .exclude(language__in=("", "en"))
        .order_by("created_at", "pk")
        .values_list("person_id", "language")
    )
    return dict(latest)  # the latest of each person's comes last, and stays


# The language of the page whose people online_case_submit is adding (CaseAnswer.
# language, else its link's). Someone it names again is told their later date from
# within work.casework (contact_told_later_date), which every naming goes through
# and which knows nothing of pages: so it is read from here, not passed down.
_naming_page_language: ContextVar[str] = ContextVar("naming_page", default="")


@contextmanager
def _naming_on_page(language: str) -> Iterator[None]:
    """The people added within are named on a page in `language`."""
    token = _naming_page_language.set(language)
    try:
        yield
    finally:
        _naming_page_language.reset(token)


def naming_page_language() -> str:
    """The language of the page naming the people being added now; "" when they
    are not being named online (the case page, a merge)."""
    return _naming_page_language.get()


def _told_in(item: WorkItem, named_in: str) -> str:
    """The language a message to the item's person is written in: their recorded
    language; else, named on a page in `named_in`, as a new link would be
    (_links_send): a link sent them in Welsh before, else the page's; else the
    language of the item's link (_first_written_in)."""
    person = item.person
    if person.language:
        return str(person.language.code)
    if named_in:
        earlier = _last_written_in([item.person_id]).get(item.person_id, "")
        return earlier or named_in
    return _first_written_in(item)


def person_told(
    item: WorkItem,
    *,
    key: str,
    body_of: Callable[[str], str],
    named_in: str = "",
) -> Message | None:
    """Queue one message about the item to its person (sent once the transaction
    commits; the event `key` has one message, however often asked): to a mobile,
    else an email, never a text to a landline (None when neither), in their
    language; with none recorded, in the language of the item's link (a contact
    named on a Welsh page goes on being written to in Welsh), else English. Told
    because a page in `named_in` names them, as a new link would be: in the
    language of a link sent them in Welsh before, else in the page's (_told_in).
    `body_of(language)` writes it; it is headed with their first name (addressed):
    one number can be given for several people."""
    person = item.person
    where = reachable_by_message(person)
    if where is None:
        return None
    channel, to = where
    language = language_of(_told_in(item, named_in))
    is_case = isinstance(item, Case)
    return message_queue(
        person=person,
        case=item if is_case else None,
        contact=None if is_case else item,
        kind=Message.Kind.ISOLATION_ADVICE,
        channel=channel,
        to=to,
        body=addressed(body_of(language), person.first_name, language),
        key=key,
        language=language,
        personalisation={"subject": subject_for(person.first_name, language)},
    )


def _send_link(
    *, item: WorkItem, by, now: datetime, language: str = ""
) -> OnlineLink | None:
    """A new link for the item, older ones replaced, and the message carrying it
    queued (sent once the transaction commits). None when they cannot be messaged.
    With no `language` given, a new link is in the old one's (their recorded
    language, if any, still comes first). The texts of the links replaced, if not
    sent yet (waiting out a provider's outage), never are: their links no longer
    work."""
    if reachable_by_message(item.person) is None:
        return None
    language = language or _first_written_in(item)
    replaced = OnlineLink.objects.filter(
        **{item.kind: item}, revoked_at__isnull=True, submitted_at__isnull=True
    )
    replaced_texts = list(replaced.values_list("message_id", flat=True))
    replaced.update(revoked_at=now)
    [link] = _links_send([item], by=by, now=now, language=language)
    if link.message is not None:
        messages_supersede(
            Message.objects.filter(pk__in=replaced_texts), by=link.message
        )
    return link


def _held_up(message: Message) -> bool:
    """Tried and waiting to be tried again (a provider's outage), or being sent: it
    may arrive after a text queued now. (One not tried yet goes within seconds, in
    the order queued.)"""
    waiting = (Message.Status.QUEUED, Message.Status.SENDING)
    return message.status in waiting and message.attempts > 0


def link_text_redate(
    item: WorkItem, *, now: datetime, ends_on: date | None = None
) -> Message | None:
    """The text carrying the item's live link gives its end date; an override has
    changed that date, and the text is held up (waiting out a provider's outage, or
    being sent: _held_up): it is replaced by the same link's text giving the new
    date (`ends_on`: the person's date in force, when another of their rows ends
    later; else the item's own), so whichever of their texts arrives last gives the
    date in force. The new text goes where a message to the item's person goes now
    (a number changed while the old one waited, a record merged into another),
    never to the old address; to someone who can no longer be messaged none goes
    (_link_text_withdrawn). The link is unchanged: it still works. The new text,
    or None (none waiting to go, or none can). Under the item's lock."""
    link = (
        _links_of(item)
        .filter(revoked_at__isnull=True, submitted_at__isnull=True)
        .select_related("message")
        .first()
    )
    old = link.message if link is not None else None
    if link is None or old is None or not _held_up(old):
        return None
    where = reachable_by_message(item.person)
    if where is None:
        _link_text_withdrawn(item, old, now=now)
        return None
    token = _token_in(old.body, link)
    if token is None:
        # Not a text we wrote: a new link, and its text, replace both.
        fresh = _send_link(item=item, by=link.created_by, now=now)
        return fresh.message if fresh is not None else None
    new = _link_text_again(item, link, token, where=where, now=now, ends_on=ends_on)
    OnlineLink.objects.filter(pk=link.pk).update(message=new)
    messages_supersede(Message.objects.filter(pk=old.pk), by=new)
    return new


def _link_text_again(
    item: WorkItem,
    link: OnlineLink,
    token: str,
    *,
    where: tuple[str, str],
    now: datetime,
    ends_on: date | None = None,
) -> Message:
    """The link's text again, giving `ends_on` (the item's end date as it is now,
    by default), queued to the person as they are now (`where`:
    reachable_by_message), in their language (the link's when none is recorded), as
    _links_send writes it."""
    person = item.person
    language = language_of(person.language.code if person.language else link.language)
    first_key = _link_key(link.purpose, link.token_hash)
    redated = Message.objects.filter(key__startswith=f"{first_key}:").count()
    return message_queue(
        **_link_message(
            item,
            where=where,
            language=language,
            token=token,
            now=now,
            ends_on=ends_on,
        ),
        key=f"{first_key}:{redated + 1}",
    )


def _link_key(purpose: str, hashed: str) -> str:
    """The event key of the text first carrying a link (its texts sent again with a
    new date add ":1", ":2"...)."""
    return f"{purpose}_link:{hashed[:32]}"


def _link_message(
    item: WorkItem,
    *,
    where: tuple[str, str],
    language: str,
    token: str,
    now: datetime,
    ends_on: date | None = None,
) -> dict[str, Any]:
    """The fields of the message carrying an item's link (all but its key): to the
    item's person at `where` (reachable_by_message), in `language`, giving
    `ends_on` (the item's end date as it is now, by default), headed with their
    first name (addressed): one number can be given for several people."""
    is_case = isinstance(item, Case)
    channel, to = where
    until = item.isolation_ends_on if ends_on is None else ends_on
    return {
        "person": item.person,
        "case": item if is_case else None,
        "contact": None if is_case else item,
        "kind": Message.Kind.CASE_LINK if is_case else Message.Kind.CONTACT_LINK,
        "channel": channel,
        "to": to,
        "body": addressed(
            say(
                _link_text(item, now, until),
                language,
                until=long_date(until, language),
                url=link_url(token, language),
            ),
            item.person.first_name,
            language,
        ),
        "language": language,
        "personalisation": {"subject": subject_for(item.person.first_name, language)},
    }


# Why a held-up link text giving an old date never goes, to someone whose mobile and
# email were taken off while it waited (read on the staff pages beside the message).
LINK_TEXT_WITHDRAWN = "Not sent: the date changed and they can no longer be messaged"


def link_text_readdress(
    link: OnlineLink, old: Message, *, where: tuple[str, str] | None, now: datetime
) -> None:
    """The text `old` carrying the live `link`, to a number or email no longer
    theirs (a correction of their details, work.person_details), sent again as
    link_text_redate sends a held-up one: the same link's text, to `where` (their
    item's end date as it is now), or a new link when the text is not one we
    wrote; to someone who can no longer be messaged, or with the link run out,
    none (_link_text_withdrawn: the call held back for its answer is due now).
    Under the item's lock."""
    owner = link.case if link.case_id is not None else link.contact
    assert owner is not None, "a link is of a case or a contact"
    item: WorkItem = owner.locked()
    if where is None or link.expires_at <= now:
        # Nowhere to send it, or a link run out while its text waited: no dead
        # link is sent; the call held back for its answer is due now.
        _link_text_withdrawn(item, old, now=now)
        return
    token = _token_in(old.body, link)
    if token is None:
        _send_link(item=item, by=link.created_by, now=now)
        return
    new = _link_text_again(item, link, token, where=where, now=now)
    OnlineLink.objects.filter(pk=link.pk).update(message=new)
    messages_supersede(Message.objects.filter(pk=old.pk), by=new)


def _link_text_withdrawn(item: WorkItem, old: Message, *, now: datetime) -> None:
    """The held-up link text would give an old date at a number or address no
    longer theirs: it is never sent (replaced, with the reason, as messages_supersede
    leaves one replaced while being sent: if the provider takes it, it went). No
    answer online can come, so the call held back for one is due now, as when a
    link's text fails (online_link_message_failed); the clinician is told to phone
    them (the override's own message: none)."""
    messages_withdraw(Message.objects.filter(pk=old.pk), reason=LINK_TEXT_WITHDRAWN)
    if _wait_online_ended(item, now=now):
        assignment_run_after_commit()


def _wait_online_ended(item: WorkItem, *, now: datetime) -> bool:
    """No answer online can come (its link's text failed, or was withdrawn): the
    call held back for one is due now, or at the calling hours' next opening
    (end_wait_online); for someone with no number to call, waiting only for that
    answer (_online_wait), their local team's deadline is now: nothing is left to
    wait for. Whether it changed."""
    if not item.end_wait_online(now=now, due_at=calls_from(now)):
        return False
    due_at = item.escalate_due_at
    if (due_at is None or due_at > now) and not has_number_to_call(item.person):
        item.escalate_due_at = now
        item.save(update_fields=["escalate_due_at"])
    return True


def _link_text(item: WorkItem, now: datetime, ends_on: date) -> str:
    """Which text carries the link, giving `ends_on`. A case whose time to stay at
    home ended before the link is sent is told when it ended, and counted from
    what: their symptoms, or their test when they had none."""
    if not isinstance(item, Case):
        return "contact_link"
    if ends_on >= timezone.localdate(now):
        return "case_link"
    return "case_link_over" if item.symptom_onset else "case_link_over_test"


def _links_send(
    items: list, *, by, now: datetime, language: str = ""
) -> list[OnlineLink]:
    """A link for each case or contact who can be messaged, and the message carrying
    it, queued: a few statements however many items. Each in the person's language
    when one is recorded, else in that of the latest link they were sent in Welsh on
    any item (_last_written_in), else in `language` (the one the case named them
    in)."""
    codes = dict(
        Language.objects.filter(
            pk__in={i.person.language_id for i in items if i.person.language_id}
        ).values_list("pk", "code")
    )
    written_in = _last_written_in(
        [i.person_id for i in items if not i.person.language_id]
    )
    links, messages = [], []
    for item in items:
        where = reachable_by_message(item.person)
        if where is None:
            continue
        is_case = isinstance(item, Case)
        purpose = OnlineLink.Purpose.CASE if is_case else OnlineLink.Purpose.CONTACT
        spoken = language_of(
            codes.get(item.person.language_id or 0, "")
            or written_in.get(item.person_id, "")
            or language
        )
        token = secrets.token_urlsafe(32)
        hashed = token_hash(token)
        messages.append(
            Message(
                **_link_message(
                    item, where=where, language=spoken, token=token, now=now
                ),
                key=_link_key(purpose, hashed),
            )
        )
        links.append(
            OnlineLink(
                token_hash=hashed,
                purpose=purpose,
                person=item.person,
                language=spoken,
                created_at=now,
                created_by=by,
                expires_at=now + timedelta(days=settings.TRACING_ONLINE_LINK_DAYS),
                **{item.kind: item},
            )
        )
    for link, message in zip(links, messages_queue_many(messages), strict=True):
        link.message = message
    return insert_rows(links)


def _wait_until(item: WorkItem, hours: int, now: datetime) -> datetime:
    """When an item told online becomes due for a call: after `hours`, but early
    enough to leave every call attempt its gap before the deadline; in calling
    hours (the next opening, for a wait ending at night) unless that leaves the
    attempts too little time in them, when it is the latest first call that does
    (CallRule.latest_first_attempt)."""
    return _wait_ends(
        hours,
        now,
        item.escalate_due_at,
        CallRule.for_kind(item.kind),
        CallingHours.in_force(),
        timezone.get_current_timezone(),
    )


@lru_cache(maxsize=64)
def _wait_ends(
    hours: int,
    now: datetime,
    escalate_due_at: datetime | None,
    rule: CallRule,
    calling: CallingHours,
    zone: tzinfo,
) -> datetime:
    """_wait_until's answer, worked out once for what it depends on: every case of
    an intake batch arrives at the batch's time with the same deadline, so waits
    the same (each is a score of conversions to local time)."""
    until = now + timedelta(hours=hours)
    if escalate_due_at is None:
        return calling.first_at_or_after(until)
    latest = escalate_due_at - rule.min_gap * rule.max_attempts
    until = min(until, max(now, latest))
    if (due := calling.first_at_or_after(until)) <= max(now, latest):
        return due
    return calling.first_at_or_after(
        max(now, rule.latest_first_attempt(escalate_due_at))
    )


def _online_wait(item: WorkItem, hours: int, now: datetime) -> datetime:
    """When the wait of an item told online ends (_wait_until). Someone with no
    number to call (no phone, no other phone: work.rules.has_number_to_call) is due
    to their local team at once on arrival; sent a link by email, they may still
    answer online, so their local team's deadline is the end of the wait instead
    (set on the item, not saved): only then do they go straight to the local team,
    never to the phones (the pool hands out nothing past its deadline). Their wait
    is the one set, in calling hours, with no call rule's deadline to leave room
    for."""
    if has_number_to_call(item.person):
        return _wait_until(item, hours, now)
    until = _wait_ends(
        hours,
        now,
        None,
        CallRule.for_kind(item.kind),
        CallingHours.in_force(),
        timezone.get_current_timezone(),
    )
    item.escalate_due_at = until
    return until


def online_case_wait(case: Case, now: datetime) -> bool:
    """On intake, before the case is saved: a case they can be messaged on waits
    for their answer online, no call due until the set hours are up (then the
    phones, as before, or their local team for someone with no number to call:
    _online_wait). True when it is to be sent a link (online_cases_invite)."""
    if reachable_by_message(case.person) is None:
        return False
    case.next_attempt_at = _online_wait(case, settings.TRACING_ONLINE_CASE_HOURS, now)
    return True


def online_cases_invite(*, cases: list[Case], now: datetime) -> list[OnlineLink]:
    """Send each new case (already waiting: online_case_wait) their link: a few
    statements for a whole intake batch, whatever its size."""
    return _links_send(cases, by=None, now=now)


def online_case_invite(*, case: Case, now: datetime) -> OnlineLink | None:
    """Send a case already saved, new and held by nobody, its link, if they can be
    messaged (intake does the same for a whole batch as it saves the cases)."""
    if reachable_by_message(case.person) is None:
        return None
    _mark_waiting_online(case, settings.TRACING_ONLINE_CASE_HOURS, now)
    return _send_link(item=case, by=None, now=now)


def online_contact_tell(
    *, contact: Contact, now: datetime, language: str = ""
) -> OnlineLink | None:
    """A contact named online who can be messaged is told to isolate, with a link
    (in their language, else in `language`: the one the case named them in); no call
    is due before the set hours are up."""
    link = _send_link(item=contact, by=None, now=now, language=language)
    if link is not None:
        _mark_waiting_online(contact, settings.TRACING_ONLINE_CONTACT_HOURS, now)
    return link


def _mark_waiting_online(item: WorkItem, hours: int, now: datetime) -> None:
    """The saved item waits for an answer online (_online_wait); with no number to
    call, its local team's deadline moves to the end of the wait too."""
    due_at = item.escalate_due_at
    item.mark_waiting_online(until=_online_wait(item, hours, now))
    if item.escalate_due_at != due_at:
        item.save(update_fields=["escalate_due_at"])


# The most people one case's link names in all, whatever its sendings (counting
# everyone the case has named, by phone too). Households, and the settings people
# name (a class, a shift), are well within it; past it a link with no sign-in
# becomes a way to text strangers in bulk. Those past it are listed back with the
# number to ring, where a contact tracer hears them out.
CASE_LINK_PEOPLE_MAX = 30

# The most of one case's contacts told by message at one number or email address: a
# family sharing a phone each get their own link; a fourth named on it is phoned
# instead (online_link_withheld says why), so one link cannot flood a phone.
CONTACT_TEXTS_PER_ADDRESS = 3


# A link sent by hand is not sent again within this long.
RESEND_AFTER = timedelta(minutes=1)


def link_not_resent_why(item: WorkItem, *, now: datetime) -> str:
    """Why no new link is sent to the item now, as its page and online_link_resend
    say it; "" when one may be. A contact whose isolation is over is sent none: a
    contact's link asks them to stay at home, and the online route sends no one a
    link once their time at home has ended (naming them is refused). A link sent
    before still opens on the page for a date gone by (pages/online)."""
    if isinstance(item, Contact) and isolation_over(
        item.isolation_ends_on, today=timezone.localdate(now)
    ):
        return (
            "Their time to stay at home ended on "
            f"{long_date(item.isolation_ends_on)}: no new link is sent, as it would "
            "ask them to stay at home. Phone them to tell them it has ended."
        )
    return ""


@atomic_operation
def online_link_resend(
    *, item: WorkItem, by, now: datetime | None = None
) -> OnlineLink:
    """A caseworker sends the person a new link (the old one stops working); none
    to a contact whose isolation is over (link_not_resent_why)."""
    now = now or timezone.now()
    locked = item.locked()
    if not may_work_item(by, locked):
        raise PermissionDenied(f"This {locked.kind} is not yours to work.")
    still_open = (
        locked.status in (Status.NEW, Status.ASSIGNED, Status.REACHED)
        if isinstance(locked, Case)
        else locked.is_unreached
    )
    if not still_open:
        raise IllegalTransition(
            f"This {locked.kind} is {locked.get_status_display().lower()}: "
            "no link is sent for it now."
        )
    if why := link_not_resent_why(locked, now=now):
        raise IllegalTransition(why)
    user = getattr(by, "user", by)
    # "Send a new link" pressed twice (a double click, two of them at once: the
    # item's lock orders them) sent two texts, the first link dead on arrival.
    sent = _links_of(locked).filter(created_by__isnull=False).first()
    if sent is not None and now - sent.created_at < RESEND_AFTER:
        at = timezone.localtime(sent.created_at)
        raise IllegalTransition(
            f"A new link was sent at {at:%H:%M}: a text can take a minute to arrive. "
            "Send another after a minute if it has not come."
        )
    link = _send_link(item=locked, by=user, now=now)
    if link is None:
        raise IllegalTransition(
            "There is no mobile number or email to send a link to: add one, or phone "
            "them."
        )
    audit_record(
        user=user,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        detail={"online_link": "resent", "link": link.pk},
        at=now,
    )
    item.refresh_from_db()
    return link


def takes_more(link: OnlineLink, now: datetime) -> bool:
    """A case's link used already, still its person's (not expired, not replaced):
    a later sending (the page left open on another device, someone remembered)
    adds the people and places not sent before (online_case_submit). Its case
    must still take them (case_takes_answers)."""
    return (
        link.purpose == OnlineLink.Purpose.CASE
        and link.submitted_at is not None
        and link.revoked_at is None
        and link.expires_at > now
    )


def case_takes_answers(link: OnlineLink, case: Case) -> bool:
    """The case still takes what its link sends: open; or, for people sent later,
    completed by the link's own first answer (nobody held it) and not touched
    since. A case its caseworker finished, or its local team has, takes no more
    online (they are told to phone)."""
    if case.status in (Status.NEW, Status.ASSIGNED, Status.REACHED):
        return True
    return (
        link.submitted_at is not None
        and case.status == Status.COMPLETED
        and case.assignee_id is None
        and case.reached_route == Route.ONLINE
        and case.completed_at == link.submitted_at
    )


def online_link_find(
    token: str, *, now: datetime | None = None, more: bool = False
) -> OnlineLink:
    """The usable link with this token, or LinkUnusable (wrong, tampered, expired,
    replaced or used: the holder is told the same for each). `more`: a case's link
    used already is found too, while it takes more (takes_more)."""
    now = now or timezone.now()
    if not token or len(token) > 100:
        raise LinkUnusable()
    link = (
        OnlineLink.objects.select_related(
            "person", "case", "contact", "person__language"
        )
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None or not (link.usable(now) or (more and takes_more(link, now))):
        raise LinkUnusable()
    return link


def online_link_opened(*, link: OnlineLink, now: datetime | None = None) -> None:
    """The page of a link was shown: the first time is its 'opened'; every time is
    in the audit trail, against the person, by no user, through "online"."""
    now = now or timezone.now()
    if link.opened_at is None:
        OnlineLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(
            opened_at=now
        )
        link.opened_at = now
    audit_view(user=None, obj=link.item, via="online", detail={"link": link.pk})


def _locked_link(
    link: OnlineLink, now: datetime, purpose: str, *, more: bool = False
) -> OnlineLink:
    locked = OnlineLink.objects.select_for_update().get(pk=link.pk)
    if locked.purpose != purpose or not (
        locked.usable(now) or (more and takes_more(locked, now))
    ):
        raise LinkUnusable()
    return locked


# --- the language they answered in ----------------------------------------------------


def person_language_from_page(
    person: Person, page_language: str, *, now: datetime
) -> bool:
    """Someone who answers on a page in another language than English (Welsh) has it
    recorded as their language, so the call handler and their local team know to
    speak it (and later messages are written in it); only while none is recorded:
    a language staff recorded is never replaced. Nothing is said of an interpreter
    (a Welsh speaker may well speak English too). Whether it was recorded, for the
    answer's audit event ("language": "added"), as intake says of a language filled
    in; no history row, as none is kept of a language filled in."""
    code = language_of(page_language)
    if code == "en" or person.language_id is not None:
        return False
    language = Language.objects.filter(code=code).first()
    if language is None:
        return False
    # Conditional: a language recorded meanwhile (a call logged "needs an
    # interpreter" as they answer) is theirs, and stays.
    recorded = Person.objects.filter(pk=person.pk, language__isnull=True).update(
        language=language, updated_at=now
    )
    if recorded:
        person.language = language
    return bool(recorded)


# --- a case's answer -----------------------------------------------------------------


@dataclass
class CaseAnswer:
    contacts: list[ContactDetails]
    visits: list[VisitDetails]
    language: str = ""  # the page's: the people named are told in it


@dataclass(frozen=True)
class CaseAnswered:
    """What a case's answer added: its people (made or joined) and places, and
    whether it came after the first (the link sent again: only what was new)."""

    case: Case
    contacts: int
    visits: int
    more: bool
    # The names of the people past what the link takes (CASE_LINK_PEOPLE_MAX): not
    # saved, listed back to the person with the number to ring.
    not_added: tuple[str, ...] = ()


@atomic_operation
def online_case_submit(
    *, link: OnlineLink, answer: CaseAnswer, now: datetime | None = None
) -> CaseAnswered:
    """A case's contacts and places, entered by them: the contacts added through the
    same operation as on the case page (ContactRowsRefused says which rows will not
    do, and nothing is saved), the visits recorded, and the case reached online. Each
    contact who can be messaged is told; the others are phoned.

    Sent again while the link still works (takes_more: the page left open on a
    second device, someone remembered), the people and places not sent before are
    added the same way, the case left as the first answer left it, and audited as
    "added"; those sent before are not named twice. NothingNew when there is no one
    and nowhere new; LinkUnusable once the case takes no more (case_takes_answers).

    Someone named with the case's own name and number or email is, as on the case
    page, a new person listed as a possible duplicate of the case (a son of his
    father's name on the family's mobile): added, not refused, but phoned rather
    than texted at the case's own address (online_link_withheld says why).

    Bounded, whoever holds the link: the people past CASE_LINK_PEOPLE_MAX are not
    added (CaseAnswered.not_added names them), and a contact at a number or address
    CONTACT_TEXTS_PER_ADDRESS of the case's contacts were told at already is added
    but not messaged: phoned, as one with no mobile is. Those not added are told to
    ring 119, so the case must be open to a caseworker then: not completed by the
    first answer, nor left completed by it (reopened, reached and in the pool,
    unless someone holds it), and audited so.
    """
    now = now or timezone.now()
    locked_link = _locked_link(link, now, OnlineLink.Purpose.CASE, more=True)
    assert locked_link.case_id is not None  # a case's link (the check constraint)
    more = locked_link.submitted_at is not None
    arrivals = [
        person_arrival(r.person, postcode=r.person.postcode) for r in answer.contacts
    ]
    # The people named held before the case, in the order the case page takes them
    # (work.casework.contacts_add_many): the caseworker adding the same household
    # at the same moment waits, rather than each waiting for the other (a deadlock).
    arrivals_one_at_a_time(arrivals)
    case = Case.objects.select_for_update().get(pk=locked_link.case_id)
    if not case_takes_answers(locked_link, case):
        raise LinkUnusable()
    # Someone of the case's own name at their number or email (a son of his
    # father's name on the family's mobile) is, as on the case page, a new person
    # listed with the case (contact_add: only the case's NHS number or date of birth,
    # never given here, makes them the case). No text goes to them: at the case's
    # own address, in the case's own name, it cannot tell the son from the father
    # (or the case listing themselves); a call handler phones and asks.
    namesakes = {
        index
        for index, arrival in enumerate(arrivals)
        if written_as_themselves(arrival, case.person)
    }
    rows = list(enumerate(answer.contacts))
    if more:
        named = _named_before(case, [r for _, r in rows], now=now)
        # A son of his father's name named before (contact_add would refuse him):
        # matching cannot find him, so he is found among the case's contacts.
        named |= {
            index
            for index in namesakes
            if namesake_named_before(case, arrivals[index]) is not None
        }
        rows = [(i, r) for i, r in rows if i not in named]
    room = _room_on_the_link(case)
    rows, beyond = rows[:room], [r for _, r in rows[room:]]
    # People left out are told to ring 119: a caseworker must be able to add them.
    reopened = bool(beyond) and case.status == Status.COMPLETED
    if reopened:
        case.mark_reopened_online()  # completed by this link (case_takes_answers)
    # The people named are told in the page's language (a new link, a later date).
    named_in = answer.language or locked_link.language
    with _taking_answers(case), _naming_on_page(named_in):
        try:
            added = contacts_add_many(
                case=case, rows=[r for _, r in rows], by=None, now=now
            )
        except ContactRowsRefused as exc:
            # By their place among the rows sent, not those left to add.
            raise ContactRowsRefused(
                {rows[i][0]: reason for i, reason in exc.errors.items()}
            ) from exc
        visits = 0
        for visit in answer.visits:
            try:
                case_visit_add(case=case, details=visit, by=None)
            except IllegalTransition:
                continue  # the same visit twice: it is recorded once
            visits += 1
    if more and not added and not visits and not beyond:
        raise NothingNew()
    withheld = 0
    for (index, _), contact in zip(rows, added, strict=True):
        # A contact joined (another case's, already told or being phoned) is not
        # sent a link of its own: the call tells them the latest date.
        if contact.joined is not None:
            continue
        # A case isolating now was told to stay at home, and until when, as a case:
        # no text as a contact on top ("you have been near someone...").
        if contact_told_as_case(contact, now=now) is not None:
            continue
        where = reachable_by_message(contact.person)
        if where is not None and index in namesakes and _at_own_address(case, where):
            _link_withheld(contact, channel=where[0], namesake=True, now=now)
            withheld += 1
            continue
        told = _told_at(contact, where)
        if where is not None and told >= CONTACT_TEXTS_PER_ADDRESS:
            _link_withheld(contact, channel=where[0], told=told, now=now)
            withheld += 1
            continue
        online_contact_tell(contact=contact, now=now, language=named_in)
    language_added = person_language_from_page(case.person, named_in, now=now)
    if not more:
        case.mark_reached_online(now=now, more_to_hear=bool(beyond))
        locked_link.submitted_at = now
        locked_link.save(update_fields=["submitted_at"])
    # Reached and unheld, with people to add by phone: to the pool's next taker.
    left_open = bool(beyond) and (reopened or not more) and case.assignee_id is None
    if left_open:
        assignment_run_after_commit()
    audit_record(
        user=None,
        action=AuditEvent.Action.UPDATE,
        obj=case,
        detail={
            "online": "added" if more else "answered",
            "link": locked_link.pk,
            "contacts": len(added),
            "visits": visits if more else len(answer.visits),
            # How many, never who: the trail outlives pseudonymisation.
            **({"not added": len(beyond)} if beyond else {}),
            # Why a case its link would complete, or had, is a caseworker's again.
            **(
                {"reopened" if reopened else "left open": _TO_HEAR} if left_open else {}
            ),
            **({"links withheld": withheld} if withheld else {}),
            # Answered on a Welsh page, with no language recorded: now Welsh.
            **({"language": "added"} if language_added else {}),
        },
        at=now,
    )
    return CaseAnswered(
        case=case,
        contacts=len(added),
        visits=visits,
        more=more,
        not_added=tuple(f"{r.person.first_name} {r.person.last_name}" for r in beyond),
    )


_TO_HEAR = "people past the link's limit, asked to call 119"


def _at_own_address(case: Case, where: tuple[str, str]) -> bool:
    """A message to `where` (reachable_by_message) would go to one of the case's own
    numbers or their email."""
    person = case.person
    own = {
        phone.as_e164
        for phone in (person.phone, person.phone_alt)
        if isinstance(phone, Phone)
    } | ({person.email.strip().lower()} if person.email else set())
    return where[1].strip().lower() in own


def _room_on_the_link(case: Case) -> int:
    """How many more people the case's link may name: CASE_LINK_PEOPLE_MAX less
    everyone the case has named (its contacts and those its naming joined)."""
    return max(0, CASE_LINK_PEOPLE_MAX - Contact.objects.named_by(case.pk).count())


def _told_at(contact: Contact, where: tuple[str, str] | None) -> int:
    """How many of the case's other contacts were sent their link at the number or
    address a message to this contact would go to (`where`: reachable_by_message;
    a link sent again counted once)."""
    if where is None:
        return 0
    return (
        Message.objects.filter(
            kind=Message.Kind.CONTACT_LINK,
            contact__case_id=contact.case_id,
            to__iexact=where[1],
        )
        .exclude(contact_id=contact.pk)
        .values("contact_id")
        .distinct()
        .count()
    )


_LINK_WITHHELD = "link withheld"


def _link_withheld(
    contact: Contact,
    *,
    channel: str,
    now: datetime,
    told: int = 0,
    namesake: bool = False,
) -> None:
    """Record, on the contact, that no link went and why (online_link_withheld reads
    it): `told` of the case's other contacts had theirs at the same address, or
    (`namesake`) they were named with the case's own name and number or email.
    Worked out later from their number as it is then, a number corrected since
    would give a reason that never was."""
    why: dict[str, Any] = (
        {"namesake of the case": True} if namesake else {"told at the address": told}
    )
    audit_record(
        user=None,
        action=AuditEvent.Action.UPDATE,
        obj=contact,
        detail={"online": _LINK_WITHHELD, **why, "channel": channel},
        at=now,
    )


def online_link_withheld(item: WorkItem) -> str:
    """For an item with no link (online_progress None): why a contact named online
    was sent none, as the call handler is told it: CONTACT_TEXTS_PER_ADDRESS of the
    case's other contacts had theirs at the same number or address, or they were
    named with the case's own name at the case's own number or email, as recorded
    when it was named (online_case_submit). "" for anyone else. At most one query
    (the contact's trail, by its index)."""
    if not isinstance(item, Contact) or item.identified_by_id is not None:
        return ""
    detail = (
        AuditEvent.objects.filter(
            object_type=Contact._meta.label_lower,
            object_id=str(item.pk),
            detail__online=_LINK_WITHHELD,
        )
        .order_by("-at")
        .values_list("detail", flat=True)
        .first()
    )
    if detail is None:
        return ""
    sms = detail.get("channel") == Message.Channel.SMS
    if detail.get("namesake of the case"):
        place = "number" if sms else "email address"
        return (
            f"No link sent: named with the case's own name and {place}, so a text "
            "could not tell them from the case (a son of his father's name on the "
            "family's phone, say). Phone them to ask who they are, and tell them to "
            "stay at home."
        )
    told = detail.get("told at the address", CONTACT_TEXTS_PER_ADDRESS)
    texts, place = ("texts", "number") if sms else ("emails", "address")
    return (
        f"No link sent: {told} {texts} had gone to the same {place} for other people "
        f"this case named, and no more than {CONTACT_TEXTS_PER_ADDRESS} go to one. "
        "Phone them to tell them to stay at home."
    )


def _not_saved_query(case_id: int) -> QuerySet[AuditEvent, tuple[Any]]:
    """The case's changes that said how many people its link could not save."""
    return (
        AuditEvent.objects.filter(
            Q(detail__has_key="not added") | Q(detail__online="not saved"),
            object_type=Case._meta.label_lower,
            # The id as the trail's text holds it, cast in the SQL: the id is then a
            # parameter of a query composed once.
            object_id=Cast(Value(case_id), CharField()),
        )
        .exclude(action=AuditEvent.Action.VIEW)
        .order_by()
        .values_list("detail")
    )


# A case a caseworker may work, and so add the people it could not save online.
_OPEN_TO_A_CASEWORKER = (Status.NEW, Status.ASSIGNED, Status.REACHED)


def online_people_not_saved(case: Case) -> str:
    """For the case's page: how many people the case typed on their link were not
    saved (past CASE_LINK_PEOPLE_MAX, or sent once the link took no more), whom
    they were told to call 119 about, as their caseworker is told; "" for none.
    Counted from the case's trail, which keeps how many, never who: someone sent
    twice counts twice. Only while the case is open to a caseworker, who may add
    them: once completed or closed, or with its local team, "" (the team's page
    says it then: online_people_not_saved_to_team). One query (the case's changes,
    by their index: not its views, which a case opened thousands of times has
    thousands of), none then."""
    if case.status not in _OPEN_TO_A_CASEWORKER:
        return ""
    people = _people_not_saved(case)
    if not people:
        return ""
    return (
        f"{_people(people)} they entered online could not be saved, and they were "
        "asked to call 119 about them. Ask who they are, and add them as contacts. "
        f"({_COUNTED_AS_SENT})"
    )


def case_with_its_team(case: Case) -> bool:
    """The case is with its local team, its escalation open: the team adds the
    people it names (work.access.cases.contacts_refusal), not a caseworker, so the
    people its link could not save are the team's to ask about."""
    return (
        case.status == Status.ESCALATED
        and Escalation.objects.filter(case=case, closed_at__isnull=True).exists()
    )


def online_people_not_saved_to_team(case: Case) -> str:
    """For the escalation page of a case with its local team (case_with_its_team):
    how many people the case typed on their link were not saved, counted as
    online_people_not_saved counts them, for the team to ask about and add; ""
    for none, and for a case not with its team (its caseworker's page says it)."""
    if not case_with_its_team(case):
        return ""
    people = _people_not_saved(case)
    if not people:
        return ""
    return (
        f"{_people(people)} they entered online could not be saved. Ask them who "
        f"they are, and add them as contacts here. ({_COUNTED_AS_SENT})"
    )


_COUNTED_AS_SENT = "Counted as sent: someone sent twice is counted twice."


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def _people_not_saved(case: Case) -> int:
    """How many people the case's link could not save, from the case's trail."""
    # Read on every case page: composed once per process (work.compiled).
    rows = rows_compiled_once(
        "people not saved online", _not_saved_query, case_id=case.pk
    )
    details = [json.loads(d) if isinstance(d, str) else d for (d,) in rows]
    return sum(
        int(d.get("not added", 0))
        if d.get("online") != "not saved"
        else int(d.get("contacts", 0))
        for d in details
    )


@atomic_operation
def online_case_not_saved(
    *, link: OnlineLink, people: list[str], now: datetime | None = None
) -> None:
    """People typed on a case's page that its link could no longer take (the case
    finished, or with its local team, or the link replaced or out of time moments
    before): the person is shown them all, with the number to ring. The case's
    trail records how many were listed, and how many of them the case had not named
    ("contacts", what its page tells staff: online_people_not_saved), never who (the
    trail outlives pseudonymisation). Staff may know whom the case named: counting
    against it tells no one outside anything.

    Those it had not named are for a caseworker to add when they ring: a case this
    link's own answer completed, nobody holding it (case_takes_answers), is reopened
    under its lock, as a sending past the link's limit reopens it (reached, in the
    pool). One a caseworker completed, or its local team has, or closed, is not:
    the trail says why, and its page says nothing (no one may add to it). One with
    its local team is not either: the team adds them, and its escalation page says
    how many (online_people_not_saved_to_team)."""
    now = now or timezone.now()
    assert link.case_id is not None  # a case's link (the check constraint)
    case = Case.objects.select_for_update().get(pk=link.case_id)
    not_named = _not_named_by(case, people)
    why: dict[str, str] = {}
    if not_named and case.status not in _OPEN_TO_A_CASEWORKER:
        if case.status == Status.COMPLETED and case_takes_answers(link, case):
            case.mark_reopened_online()
            assignment_run_after_commit()
            why = {"reopened": _TYPED_LATE}
        else:
            why = {"not reopened": _why_not_reopened(case)}
    audit_record(
        user=None,
        action=AuditEvent.Action.UPDATE,
        obj=case,
        detail={
            "online": "not saved",
            "link": link.pk,
            "listed": len(people),
            "contacts": not_named,
            **why,
        },
        at=now,
    )


_TYPED_LATE = "people sent as its link stopped, asked to call 119"


def _not_named_by(case: Case, people: list[str]) -> int:
    """How many of the names typed are not those of people the case has named (its
    contacts, and those its naming joined), matched as typed, case and spacing
    aside."""

    def plain(name: str) -> str:
        return " ".join(name.split()).casefold()

    named = {
        plain(f"{first} {last}")
        for first, last in Contact.objects.named_by(case.pk).values_list(
            "person__first_name", "person__last_name"
        )
    }
    return sum(1 for name in people if plain(name) not in named)


def _why_not_reopened(case: Case) -> str:
    if case.status == Status.ESCALATED:
        return "with its local team"
    if case.status == Status.CLOSED:
        return "closed"
    if case.assignee_id is not None:
        return "completed by a caseworker"
    return "completed, not by this link's answer"


def _named_before(case: Case, rows: list[ContactDetails], *, now: datetime) -> set[int]:
    """Which of the rows are people the case has named already (its contacts, and
    those its naming joined), found as contact_add finds them; tried in a
    savepoint rolled back, so a person found or made here is not kept."""
    before = set(Contact.objects.named_by(case.pk).values_list("person_id", flat=True))
    found: set[int] = set()

    class _Undo(Exception):
        pass

    try:
        with transaction.atomic():
            for index, row in enumerate(rows):
                person, _ = person_find_or_create(
                    details=row.person,
                    source="named as a contact",
                    now=now,
                    not_person=case.person_id,
                )
                if person.pk in before:
                    found.add(index)
            raise _Undo()
    except _Undo:
        pass
    except ValidationError:
        return found  # a bad row: contacts_add_many says which, in its words
    return found


@contextmanager
def _taking_answers(case: Case) -> Iterator[None]:
    """A case its link's own first answer completed takes the people sent later
    (case_takes_answers) through the case page's operations, which take changes to
    an open case only: open for them, as reached, and completed again, its
    completion time and route as they were. Both inside the case's lock, so no one
    else sees it open. Any other case as it is."""
    if case.status != Status.COMPLETED:
        yield
        return
    Case.objects.filter(pk=case.pk).update(status=Status.REACHED)
    yield
    Case.objects.filter(pk=case.pk).update(status=Status.COMPLETED)


# --- a contact's answer --------------------------------------------------------------


# A contact's postcode well formed but not in the directory: a typo, most likely.
POSTCODE_NOT_FOUND = "We cannot find this postcode. Check it and enter it again."

# Where a person's details came from, in their history and the audit trail.
ONLINE = "online"

# Said first to the local team when a contact asking for help also says so.
CANNOT_STAY_HOME = "Says they cannot stay at home, and asked to be phoned."


def support_detail(kinds: list[str], note: str, *, on_a_call: bool = False) -> str:
    """What the local team reads of help to stay at home asked for: online, with
    their note, or told to a call handler (`on_a_call`: work.calls.call_record),
    with the call's notes."""
    where = "on a call" if on_a_call else "online"
    wanted = ", ".join(SUPPORT_KINDS[k] for k in kinds if k in SUPPORT_KINDS)
    text = (
        f"Asked {where} for help with {wanted}."
        if wanted
        else f"Asked {where} for help."
    )
    return f"{text} {note.strip()}".strip()


def _place(contact: Contact, postcode: str, *, now: datetime) -> dict[str, Any]:
    """Where a contact says they are isolating: their person's postcode and area,
    and the contact's area (which local team would help them). A postcode other than
    the one held is kept in the person's history (source "online"), as intake and
    the case page keep theirs. Returns what the audit event says of it: whether it
    changed, and the history row if one was written; never the postcodes (the
    trail outlives pseudonymisation, which keeps only the district).

    ValidationError (code "postcode_not_found") for a postcode not in the
    directory: taken, it would replace the one held and send their help to the
    fallback team. One found outside England is taken (help from the fallback team).
    """
    if locate_postcode(postcode) is None:
        raise ValidationError(POSTCODE_NOT_FOUND, code="postcode_not_found")
    located = postcode_to_area(postcode)
    person = contact.person
    before = person.postcode
    said: dict[str, Any] = {"changed": before != located.postcode}
    if before and before != located.postcode:
        said["person_change"] = PersonChange.objects.create(
            person=person,
            field="postcode",
            old_value=before,
            new_value=located.postcode,
            source=ONLINE,
            at=now,
        ).pk
    person.postcode = located.postcode
    person.area = located.area
    person.easting, person.northing = located.easting, located.northing
    person.save(update_fields=["postcode", "area", "easting", "northing", "updated_at"])
    contact.area = located.area
    contact.area_unknown = located.area is None
    contact.save(update_fields=["area", "area_unknown"])
    return said


@atomic_operation
def online_contact_answer(
    *,
    link: OnlineLink,
    will_isolate: bool | None,
    support: list[str] | None = None,
    note: str = "",
    postcode: str = "",
    phone: str = "",
    language: str = "",
    now: datetime | None = None,
) -> Contact:
    """A contact's answer to their link, once. Sent from a page in Welsh (`language`,
    the page's; else their link's), their language is recorded as Welsh if none is
    (person_language_from_page). They will isolate: reached online,
    no call needed. They ask for support: reached, and the local team of their area
    gets an escalation saying what they asked for; when they also said they cannot
    stay at home and asked to be phoned, the escalation says so first (the team
    phones them, as it helps them stay at home) and they are not reached: nobody
    has spoken to them yet. They will not,
    or cannot, and ask for no help: a call handler phones them now. A `phone` given
    (asked for when none is held) becomes theirs, to be called on, within the call
    rule's hours from now; with still no number to ring, their local team gets
    them now. Having had no number to call, their other items waiting for their
    local team for want of one (their own case, say) are the phones' again
    (items_back_to_the_phones), as is this contact's deadline when they ask to be
    phoned. A postcode they
    give (where they are isolating) places them in an area, so support goes to the
    right local team; ValidationError if it is malformed or not in the postcode
    directory, and nothing is saved. `will_isolate` None: not asked (their time to
    stay at home had ended), and asking for no call, reached as if they had
    confirmed, but not recorded as confirming. LinkUnusable once the contact is no longer
    waiting to be reached (reached by phone, or escalated, meanwhile): none of that
    would happen then."""
    now = now or timezone.now()
    support = [k for k in (support or []) if k in SUPPORT_KINDS]
    locked_link = _locked_link(link, now, OnlineLink.Purpose.CONTACT)
    assert locked_link.contact_id is not None  # a contact's link
    contact = Contact.objects.select_for_update().get(pk=locked_link.contact_id)
    if not contact.is_unreached:
        raise LinkUnusable()
    detail: dict[str, Any] = {"online": "answered", "link": locked_link.pk}
    if postcode.strip():
        detail["postcode"] = _place(contact, postcode, now=now)
    # Due to their local team when their wait ends, for want of a number to call
    # (_online_wait), unless they give one now.
    had_number = has_number_to_call(contact.person)
    if phone and not contact.person.phone:
        contact.person.phone = phone
        contact.person.save(update_fields=["phone", "updated_at"])
        detail["phone"] = "added"  # never the number itself in the trail
    if person_language_from_page(
        contact.person, language or locked_link.language, now=now
    ):
        detail["language"] = "added"
    number_added = not had_number and has_number_to_call(contact.person)
    if support:
        asked = support_detail(support, note)
        if will_isolate is False:
            # Not reached: they said they cannot stay at home, and nobody has
            # spoken to them yet (their local team phones them, told so).
            asked = f"{CANNOT_STAY_HOME} {asked}"
        else:
            contact.note_reached_online(now=now)
        item_escalate(
            item=contact,
            reason=Escalation.Reason.SUPPORT,
            detail=asked,
            by=None,
            now=now,
        )
        detail["support"] = support
    elif will_isolate is not False:
        held = contact.assignee_id is not None
        contact.mark_reached_online(now=now)
        if held:
            assignment_run_after_commit()  # the handler has a free slot
    else:
        # A call is due now (in calling hours): they need someone to talk to. Had
        # they no number, the number they give now gives a call handler the call
        # rule's time to reach them (items_back_to_the_phones, below, with their
        # other items); still none, their local team is due now.
        due: dict[str, Any] = {"next_attempt_at": calls_from(now)}
        if not had_number and not number_added:
            due["escalate_due_at"] = due_to_local_team_at(
                contact.person,
                CallRule.for_kind(contact.kind).escalate_due_at(now),
                now,
            )
        Contact.objects.filter(pk=contact.pk).update(**due)
        assignment_run_after_commit()
    if number_added:
        # After the answer: this contact, reached or with its local team by now, is
        # left alone; asking to be phoned, its call is due now (above), and it takes
        # the call rule's deadline here with the rest, audited once.
        items_back_to_the_phones(
            people=[contact.person_id], source=ONLINE, user=None, now=now
        )
    locked_link.confirmed_at = now if will_isolate else None
    locked_link.support = support
    locked_link.submitted_at = now
    # Kept whatever they answered, for the call handler (the contact's page): before,
    # a note came through only with support asked for, in what the team was told.
    locked_link.note = note.strip()
    locked_link.save(update_fields=["confirmed_at", "support", "submitted_at", "note"])
    if locked_link.note:
        detail["note"] = "given"  # never its words in the trail
    detail["will_isolate"] = will_isolate
    audit_record(
        user=None, action=AuditEvent.Action.UPDATE, obj=contact, detail=detail, at=now
    )
    contact.refresh_from_db()
    return contact


@atomic_operation
def online_link_message_failed(
    *, message_id: int, now: datetime | None = None
) -> WorkItem | None:
    """The message carrying a case's or contact's link failed for good (refused,
    its tries ran out, a failure receipt): no answer online can come, so the call
    held back for one is due now, not hours on. Only for the item's latest link
    (a newer one may have reached them), while the item waits unheld and unreached.
    The item whose call is now due, or None. Told by notify (notify.signals)."""
    now = now or timezone.now()
    link = (
        OnlineLink.objects.filter(message_id=message_id)
        .only("pk", "case_id", "contact_id", "created_at")
        .first()
    )
    if link is None:
        return None
    model: type[WorkItem] = Case if link.case_id is not None else Contact
    item_id = link.case_id if link.case_id is not None else link.contact_id
    item = model.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        return None
    if _links_of(item).values_list("pk", flat=True).first() != link.pk:
        return None
    # Called since the link went: the time of the next call is the call's (a call
    # back they asked for, the gap after no answer), not the wait for an answer.
    if item.last_attempt_at is not None and item.last_attempt_at >= link.created_at:
        return None
    if not _wait_online_ended(item, now=now):
        return None
    assignment_run_after_commit()
    return item


def online_progress(item: WorkItem) -> OnlineLink | None:
    """The latest link of a case or contact, for the staff pages (with its message:
    sent, delivered or failed)."""
    # Read on every case and contact page: composed once per process (work.compiled).
    found = instances_compiled_once(
        ("latest link", item.kind),
        OnlineLink,
        partial(_latest_link, kind=item.kind),
        item_id=item.pk,
    )
    return found[0] if found else None


def _latest_link(item_id: int, *, kind: str) -> QuerySet[OnlineLink]:
    return (
        OnlineLink.objects.select_related("message")
        .filter(**{f"{kind}_id": item_id})
        .order_by("-created_at", "-pk")[:1]
    )
