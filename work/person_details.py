"""A person's details corrected by whoever is on the phone to them, or at their
door: a caseworker on the case page, a call handler on the contact page, the local
team working the item's open escalation on its page, an integration through the API
(person_details_correct, the one operation behind them all; who may:
details_correct_refusal).

"My email is ...", "I've moved, my postcode is ...", "my name is spelt Jon, not
John", "call me on this other mobile": before, nothing but a local team's send back
with a new phone, the online route and intake changed a person's details, and texts
went on to the wrong email, an unreached contact to the old area's local team.

A detail given as held (however typed: a phone in its national form, an email in
other capitals) changes nothing; only those that differ are checked and saved, each
kept in the person's history (PersonChange) and named in the audit trail, never
its value (the trail outlives pseudonymisation). A page's form says what it was
drawn with: only what its user changed is given, and a detail someone else changed
meanwhile is not undone (refused on its field, to be checked). A new phone keeps the
old one as their other phone unless another is given, as a local team's send back
does (work.escalation); their messages not yet sent to the phone or email no longer
theirs go where they are reached now (work.online). A new postcode brings its area,
and the person's contacts still to be reached, and their open cases with the
phones, follow it (work.contact_area); so does the copy of their address their
household was given (work.casework). A postcode the directory holds outside England
is taken, as intake and the online forms take one: the person then has no area of
the service, their work still with the phones follows them to none (the fallback
team's, if it is escalated), and the correction says so. An item with its local team
keeps its area and its team, whatever is corrected from it: the team holds it, and
sends it back itself if a call can now reach them. A name or a date of birth
corrected merges no one: when the person now looks like another record, the pair is
listed for a supervisor as intake lists one (people.services).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import phonenumbers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db.models import Min, Q
from django.utils import timezone

from areas.models import Area, LocalTeam
from areas.postcode_check import postcode_known
from areas.postcodes import locate_postcode, normalise_postcode
from areas.services import in_service, postcode_to_area
from audit.models import AuditEvent
from audit.services import audit_record
from cases.errors import IllegalTransition
from cases.models import Case, FurtherResult
from cases.workitem import Status, WorkItem
from escalations.models import Escalation
from notify.services import (
    message_requeue,
    messages_supersede,
    messages_withdraw,
)
from online.models import OnlineLink
from people.matching import Arrival, Candidate, has_number_to_call, phone_text
from people.models import Message, Person, PersonChange, PossibleDuplicate
from people.names import INVISIBLE_NAME, name_shows_nothing
from people.phones import uk_phone_e164
from people.services import (
    PersonFound,
    people_found_write,
    people_lookup_many,
    same_text,
)
from rows.retry import atomic_operation

from .access.actor import Actor
from .access.escalations import latest_escalation, may_work_escalation
from .access.items import may_work_item
from .casework import household_addresses_follow, items_back_to_the_phones
from .contact_area import contacts_follow_people
from .online import link_text_readdress, reachable_by_message
from .result_rules import (
    MAX_LENGTH,
    date_of_birth_check,
    date_of_birth_problem,
)
from .said import and_joined

# Where a correction came from, in the person's history and the audit trail.
CASE_PAGE = "case page"
CONTACT_PAGE = "contact page"
LOCAL_TEAM_PAGE = "local team page"
API = "api"

# The details that may be corrected, in the order the page and the API name them.
DETAILS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "phone_alt",
    "email",
    "address",
    "postcode",
)
# Each as a sentence names it ("Email and postcode updated.").
LABELS = {
    "first_name": "first name",
    "last_name": "last name",
    "date_of_birth": "date of birth",
    "phone": "phone",
    "phone_alt": "other phone",
    "email": "email",
    "address": "address",
    "postcode": "postcode",
}
# The details matching weighs (people/matching.py): one changed may make the person
# look like another record.
IDENTIFYING = frozenset(DETAILS) - {"address"}

NOTHING_TO_CHANGE = "Nothing to change: their details are as held."

# Details a person always has once given: emptied, they are asked for again.
REQUIRED = {
    "first_name": "Enter their first name.",
    "last_name": "Enter their last name.",
    "date_of_birth": "Enter their date of birth, such as 14/06/1985.",
    "phone": "Enter their phone number, such as 07911 123456. (A number that is "
    "not theirs: log the call as “Wrong number”.)",
    "postcode": "Enter their postcode, such as S1 2HE.",
}
LOGGED_WRONG = (
    "A call to that number was logged “Wrong number”: someone else answered it. "
    "Give another number."
)
SAME_AS_PHONE = "This is their phone number: give another number, or leave it blank."
BAD_EMAIL = "Enter an email address in the right form, such as name@example.com."
BAD_DATE = "Enter a real date, such as 14/06/1985."
NUL = "This cannot hold the character NUL: type it again."
MISMATCHED = (
    "Their record changed meanwhile (two records of one person were made one): open "
    "the page again and check their details."
)
NOT_A_DETAIL = "Not a detail that can be changed here."
# The code of a detail refused because someone else changed it since the form was
# drawn (the page draws it again as it is now).
CHANGED_MEANWHILE = "changed_meanwhile"
# Why a message to the phone or email corrected away is not sent (read on the staff
# pages beside the message): one for someone now reached elsewhere is queued there.
NOT_THEIRS_NOW = (
    "Not sent: the number or email it was to go to was corrected on their record"
)
# The event of a message sent again where they are reached now, in place of one to a
# number or email corrected away (its own event keeps the one not sent).
READDRESSED_KEY = "details_corrected:message:{pk}"
# A case still being worked: with the phones or with its local team.
NOT_ENDED = (Status.NEW, Status.ASSIGNED, Status.REACHED, Status.ESCALATED)
# The statuses of a message not sent yet (queued, or being sent: it may go).
TO_GO = (Message.Status.QUEUED, Message.Status.SENDING)

# An item in these states changes no one's details from the national service's
# doors: its work is over, or its local team's (ESCALATED: only whoever may work its
# open escalation corrects them from it: details_correct_refusal).
REFUSED_WHEN = (Status.WITHDRAWN, Status.CLOSED, Status.ESCALATED)
# An item the national service works (not ended, not with a local team).
WITH_THE_PHONES = (Status.NEW, Status.ASSIGNED, Status.REACHED)
# Why the team that had the item may no longer correct its person's details from it.
SENT_BACK = (
    "This {kind} was sent back to the national queue: their details are corrected "
    "by whoever works it now, not by your team."
)
ESCALATION_CLOSED = (
    "This escalation is closed: their details can no longer be changed from it."
)
# The details that may bring an item with its local team back to the phones, were
# it anyone's but the team's to decide (a number to call, a new home).
FOLLOWED_BY_TEAM = frozenset({"phone", "phone_alt", "postcode"})
# A case still the national service's to work follows its person's area, as one
# arriving takes the area of its result's address (work.intake).
CASE_FOLLOWS_WHEN = (Status.NEW, Status.ASSIGNED, Status.REACHED)


@dataclass(frozen=True)
class DetailsCorrected:
    """What a correction did: the person as saved, the details changed (in DETAILS'
    order; none when all were as held), and what followed."""

    person: Person
    changed: tuple[str, ...]
    # Their old phone became their other phone (they had none, or it was the new).
    old_phone_kept: bool = False
    # The person's area now, when a new postcode changed it.
    area_now: Area | None = None
    # Pairs newly listed as possibly one person, for a supervisor to decide.
    duplicates_listed: int = 0
    # Their new postcode is in no area of the service (outside England): what that
    # means for their work (_no_area_said), "" otherwise.
    no_area: str = ""
    # The item corrected from is with its local team, and stays there: said when a
    # phone or the postcode changed (_stays_said), "" otherwise.
    stays: str = ""

    @property
    def said(self) -> str:
        """What the page and the API's `detail` say: "Email and postcode updated."
        and what followed, or that there was nothing to change."""
        if not self.changed:
            return NOTHING_TO_CHANGE
        named = [
            LABELS[name]
            for name in self.changed
            if not (name == "phone_alt" and self.old_phone_kept)
        ]
        text = f"{and_joined(named)} updated."
        said = [text[0].upper() + text[1:]]
        if self.old_phone_kept:
            said.append("Their old number is kept as their other phone.")
        if self.area_now is not None:
            said.append(f"They now live in {self.area_now.name}.")
        if self.no_area:
            said.append(self.no_area)
        if self.stays:
            said.append(self.stays)
        if self.duplicates_listed:
            said.append(
                "They may be the same person as another record we hold: listed for "
                "a supervisor to check."
            )
        return " ".join(said)


def details_refusal(item: WorkItem) -> str:
    """Why the person's details may not be corrected from this item ("" when they
    may): it was withdrawn, closed, or is with its local team. The pages draw no
    form then, and the operation refuses it (IllegalTransition)."""
    if item.status not in REFUSED_WHEN:
        return ""
    where = (
        "with its local team"
        if item.status == Status.ESCALATED
        else item.get_status_display().lower()
    )
    return (
        f"This {item.kind} is {where}: their details can no longer be changed from it."
    )


def details_correct_refusal(
    who: Actor | Any, item: WorkItem, *, escalation: Escalation | None = None
) -> PermissionDenied | IllegalTransition | None:
    """Why `who` may not correct the person's details from `item` now, as the error
    to raise; None when they may. Read with the item locked (person_details_correct),
    so that its status and its escalation's are the ones the correction is saved
    against.

    With the phones (waiting, assigned, reached), whoever may work the item
    (may_work_item). With its local team (its escalation open: new or picked up;
    the item escalated, or completed when a concern raised afterwards went to the
    team alone), whoever may work that escalation (may_work_escalation), as may close
    it: any member of the team, not only who picked it up; a client bound to the
    team; an administrator, a national client. The team that knocks on the door is
    who learns the right number or address.

    Anyone else is told it is not theirs (PermissionDenied). One of them is told the
    details are no longer changed from it (IllegalTransition): withdrawn, closed,
    with a local team (for whoever works the item but not the escalation: a national
    supervisor), or, for its team, the escalation closed (ESCALATION_CLOSED) or sent
    back to the phones (SENT_BACK) since the page they typed on was drawn.

    `escalation`: the escalation whose page asks (its team's rule is that one's);
    else the item's open one, or its latest closed (one query, only when needed)."""
    actor = Actor.of(who)
    if escalation is None:
        if item.status not in REFUSED_WHEN and may_work_item(actor, item):
            # The national service's doors, as before the team's: no query more.
            return None
        escalation = latest_escalation(item)
    if escalation is not None and may_work_escalation(actor, escalation):
        if escalation.closed_at is None:
            # With the team (escalated; or completed, a concern raised after its
            # tracing was over: only the concern is the team's): theirs to correct.
            refusal = "" if item.status == Status.ESCALATED else details_refusal(item)
            return IllegalTransition(refusal) if refusal else None
        if (
            escalation.outcome == Escalation.Outcome.RETURNED
            and item.status in WITH_THE_PHONES
        ):
            return IllegalTransition(SENT_BACK.format(kind=item.kind))
        if item.status == Status.WITHDRAWN:
            return IllegalTransition(details_refusal(item))
        return IllegalTransition(ESCALATION_CLOSED)
    if may_work_item(actor, item):
        refusal = details_refusal(item)
        return IllegalTransition(refusal) if refusal else None
    return PermissionDenied(f"This {item.kind} is not yours to work.")


@atomic_operation
def person_details_correct(
    *,
    person: Person,
    item: WorkItem,
    given: Mapping[str, Any],
    by: Actor | Any | None,
    source: str,
    now: datetime | None = None,
    drawn: Mapping[str, Any] | None = None,
) -> DetailsCorrected:
    """Correct `person`'s details, as given (`given`: any of DETAILS, each as typed,
    a date of birth as a date or None), while `item` (their case or contact) is
    worked by `by` (None: the service itself).

    `drawn`: the details as a page's form was drawn with them (each as it showed
    it), when the form says so. A detail given as drawn was not changed by its
    user, and is never written (another may have changed it since: details_touched);
    one they changed that someone else also changed since it was drawn is refused
    on its field ("Changed meanwhile by ...: check it", code CHANGED_MEANWHILE),
    not overwritten. Without it (the API: only the details sent are given), each
    given is compared with the one held now.

    Refused (details_correct_refusal): someone who may not work the item, nor its
    escalation (PermissionDenied); an item withdrawn or closed, or with its local
    team for anyone but whoever may work its open escalation, or sent back or closed
    by the team since (IllegalTransition). The service itself (`by` None) corrects
    no item with its local team either.
    Each detail that differs from the one held is checked: a UK phone (not one a
    call to them was logged "Wrong number" on), an email, a postcode the directory
    knows (the one held is taken whether it does or not), a name that shows
    something, a date of birth neither in the future nor before 1890 nor after the
    earliest test of any of their cases not withdrawn (whichever item's page).
    Any refused: ValidationError by field, nothing saved. A name, phone, date of
    birth or postcode held is never emptied.

    In one transaction, the person's row locked: the details saved, one history row
    each (from `source`), one audit event on the item naming which changed, never
    the values. A new phone keeps the old as their other phone when they had none
    and no other phone is given (a number logged wrong is kept in the history
    only); a phone that was their other phone swaps with it. Someone with no number
    to call given one has their items waiting for their local team for want of it
    sent back to the phones (work.casework.items_back_to_the_phones): not the
    item a local team holds, corrected from its escalation (the team sends it back
    itself, if a call can now reach them: `stays` says so). Their
    messages not sent yet to a phone or email corrected away never go there: the
    text carrying a live link, and isolation advice, go where they are reached now
    (work.online), or nowhere (_messages_follow). A new postcode brings its area
    and grid position; their contacts still to be reached follow it
    (contacts_follow_people), and so does each of their cases still with the
    phones (_cases_follow): an item a local team holds keeps its area. A postcode
    outside England (no area of the service) takes them to none: flagged, for the
    fallback team if they are escalated, as intake routes an item of no area
    (work.contact_area, _cases_follow; `no_area` says so). A new address or
    postcode is followed by the copy their household was given
    (work.casework.household_addresses_follow). A change to who they are (names,
    date of birth, phones, email, postcode) merges no one: a record they now may
    be is listed with them as a possible duplicate, as intake lists one.

    Nothing differing: nothing written, and `changed` is empty (its `said`:
    NOTHING_TO_CHANGE)."""
    now = now or timezone.now()
    locked = item.locked()
    if by is not None:
        if (refused := details_correct_refusal(by, locked)) is not None:
            raise refused
    elif refusal := details_refusal(locked):
        raise IllegalTransition(refusal)
    if locked.person_id != person.pk:
        raise IllegalTransition(MISMATCHED)
    if unknown := [name for name in given if name not in DETAILS]:
        raise ValidationError({name: [NOT_A_DETAIL] for name in unknown})
    held = Person.objects.select_for_update().get(pk=person.pk)
    given, meanwhile = _since_drawn(held, given, drawn)
    values, errors = _values(held, given, today=timezone.localdate(now))
    if errors or meanwhile:
        raise ValidationError({**errors, **meanwhile})
    if not values:
        return DetailsCorrected(person=held, changed=())
    return _save(held, values, item=locked, by=by, source=source, now=now)


def person_details_problems(
    *,
    person: Person,
    item: WorkItem,
    given: Mapping[str, Any],
    drawn: Mapping[str, Any] | None = None,
) -> dict[str, list[str]]:
    """What person_details_correct would refuse of these details, by field, as held
    now (nothing locked, nothing written): for a door that refused some fields
    itself (a date it could not read) to say the others' problems at once."""
    known = {name: value for name, value in given.items() if name in DETAILS}
    known, meanwhile = _since_drawn(person, known, drawn)
    problems = _values(person, known, today=timezone.localdate())[1]
    for name, refusals in meanwhile.items():
        problems[name] = [message for error in refusals for message in error.messages]
    return problems


def details_changed_meanwhile(
    *, person: Person, given: Mapping[str, Any], drawn: Mapping[str, Any]
) -> set[str]:
    """The details given that person_details_correct would refuse as changed by
    someone else since the form was drawn (CHANGED_MEANWHILE), as held now: for a
    door that refused the form itself, to draw them again as they are."""
    known = {name: value for name, value in given.items() if name in DETAILS}
    return set(_since_drawn(person, known, drawn)[1])


def details_touched(
    given: Mapping[str, Any], drawn: Mapping[str, Any]
) -> dict[str, Any]:
    """The details given that differ from those a form was drawn with (`drawn`, as
    it showed them): those its user changed, however typed (a phone in another
    form, an email in other capitals is the one drawn). One given with nothing drawn
    for it is given."""
    return {
        name: value
        for name, value in given.items()
        if name not in drawn
        or _comparable(name, value) != _comparable(name, drawn[name])
    }


def _since_drawn(
    held: Person, given: Mapping[str, Any], drawn: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, list[ValidationError]]]:
    """The details given to be taken, and those refused because someone changed
    them since the form was drawn while its user changed them too (to another
    value than the one held now). Without `drawn`, every one given is taken."""
    if drawn is None:
        return dict(given), {}
    taken: dict[str, Any] = {}
    meanwhile: dict[str, list[ValidationError]] = {}
    for name, value in details_touched(given, drawn).items():
        now_held = _comparable(name, _stored_text(getattr(held, name, "")))
        if (
            name in drawn
            and _comparable(name, drawn[name]) != now_held
            and _comparable(name, value) != now_held
        ):
            meanwhile[name] = [
                ValidationError(
                    f"Changed meanwhile by {_changed_by(held, name)}: check it.",
                    code=CHANGED_MEANWHILE,
                )
            ]
        else:
            taken[name] = value
    return taken, meanwhile


def _comparable(name: str, value: Any) -> str:
    """A detail as typed, drawn or held, in the form two are compared in: the same
    detail however written (a phone in E.164, a postcode in its display form, an
    email or address but for case and spacing, a name composed, a date in ISO
    form); text that is none of these as typed."""
    if name == "date_of_birth":
        try:
            born = _date(value)
        except ValidationError:
            return str(value).strip()
        return born.isoformat() if born else ""
    typed = "" if value is None else str(value).strip()
    if name in ("phone", "phone_alt"):
        return _as_e164(typed) or typed
    if name == "postcode":
        try:
            return normalise_postcode(typed)
        except ValidationError:
            return typed.upper()
    if name in ("first_name", "last_name"):
        return unicodedata.normalize("NFC", typed)
    return " ".join(typed.split()).casefold()


def _changed_by(person: Person, name: str) -> str:
    """Who changed the detail last, from where and when, as its refusal names them
    ("Sam Jones (case page, 14:02)"): the member of staff its audit event names,
    else the service."""
    change = (
        PersonChange.objects.filter(person=person, field=name)
        .order_by("-at", "-pk")
        .first()
    )
    if change is None:
        return "someone else"
    event = (
        AuditEvent.objects.filter(
            person=person,
            action=AuditEvent.Action.UPDATE,
            at=change.at,
            detail__has_key=name,
            user__isnull=False,
        )
        .select_related("user")
        .first()
    )
    user = event.user if event is not None else None
    who = (user.get_full_name() or user.get_username()) if user else "the service"
    when = timezone.localtime(change.at)
    at = (
        f"{when:%H:%M}"
        if when.date() == timezone.localdate()
        else f"{when.day} {when:%b %H:%M}"
    )
    return f"{who} ({change.source}, {at})" if change.source else f"{who} ({at})"


def _values(
    person: Person, given: Mapping[str, Any], *, today: date
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The details to store (those differing from the ones held, and the other
    phone they bring: _phones_settle), and the problems of those refused."""
    values, errors = _read(person, given, today=today)
    if not errors:
        _phones_settle(person, values, errors, other_given="phone_alt" in given)
    return values, errors


def _read(
    person: Person, given: Mapping[str, Any], *, today: date
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The details given that differ from those held, as they are to be stored, and
    the problems of those that cannot be (by field). A detail as held is neither
    checked nor changed: a postcode the directory lacks, or a number from abroad,
    held already stays as it is."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def refuse(name: str, *messages: str) -> None:
        errors.setdefault(name, []).extend(messages)

    for name in DETAILS:
        if name not in given:
            continue
        value = given[name]
        if name == "date_of_birth":
            try:
                born = _date(value)
            except ValidationError as exc:
                refuse(name, *exc.messages)
                continue
            if born == person.date_of_birth:
                continue
            if problem := _birth_problem(born, person=person, today=today):
                refuse(name, problem)
            else:
                values[name] = born
            continue
        typed = "" if value is None else str(value).strip()
        if "\x00" in typed:
            refuse(name, NUL)
            continue
        try:
            stored = _checked(person, name, typed)
        except ValidationError as exc:
            refuse(name, *exc.messages)
            continue
        if stored is not None:
            values[name] = stored
    return values, errors


def _date(value: Any) -> date | None:
    """A date of birth given: a date (a door's field read it, or its ISO text), None
    for none; ValidationError for text that is no date."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(BAD_DATE) from None


def _birth_problem(born: date | None, *, person: Person, today: date) -> str:
    """What is wrong with a new date of birth ("" when nothing): none at all, one in
    the future or before 1890 (work.result_rules, as for a lab's result), or one
    after the earliest specimen of any of their cases not withdrawn was taken,
    whichever item's page it came from (a withdrawn case's test was never theirs)."""
    if born is None:
        return REQUIRED["date_of_birth"]
    try:
        date_of_birth_check(born, today=today)
    except ValidationError as exc:
        return exc.messages[0]
    theirs = Case.objects.filter(person=person).exclude(status=Status.WITHDRAWN)
    tests = [
        theirs.aggregate(first=Min("specimen_date"))["first"],
        # A further positive result of theirs may have been taken before the case's.
        FurtherResult.objects.filter(case__in=theirs).aggregate(
            first=Min("specimen_date")
        )["first"],
    ]
    first_test = min((day for day in tests if day is not None), default=None)
    if first_test is not None:
        return date_of_birth_problem(date_of_birth=born, specimen_date=first_test)
    return ""


def _checked(person: Person, name: str, typed: str) -> str | None:
    """A text detail as it is to be stored, or None when it is the one held; raises
    ValidationError with what is wrong with it."""
    if name in ("first_name", "last_name"):
        return _name(person, name, typed)
    if name in ("phone", "phone_alt"):
        return _number(person, name, typed)
    if name == "postcode":
        held = person.postcode
        if not typed:
            if held:
                raise ValidationError(REQUIRED[name])
            return None
        postcode = postcode_known(typed, held=held)
        return None if postcode == held else postcode
    held = getattr(person, name)
    if same_text(typed, held):
        return None
    if len(typed) > MAX_LENGTH[name]:
        raise ValidationError(
            f"Keep the {LABELS[name]} to {MAX_LENGTH[name]} characters or fewer."
        )
    if name == "email" and typed:
        try:
            validate_email(typed)
        except ValidationError:
            raise ValidationError(BAD_EMAIL) from None
    return typed


def _name(person: Person, name: str, typed: str) -> str | None:
    """A first or last name as kept: composed (NFC), as every door keeps one, so a
    name typed with a separate accent is the same name."""
    composed = unicodedata.normalize("NFC", typed)
    if composed == getattr(person, name):
        return None
    if not composed:
        raise ValidationError(REQUIRED[name])
    if len(composed) > MAX_LENGTH[name]:
        raise ValidationError(
            f"Keep the {LABELS[name]} to {MAX_LENGTH[name]} characters or fewer."
        )
    if name_shows_nothing(composed):
        raise ValidationError(INVISIBLE_NAME)
    return composed


def _number(person: Person, name: str, typed: str) -> str | None:
    """A phone or other phone in E.164, "" for an other phone emptied, None when it
    is the one held (however typed). A new one must be a UK number, and not one a
    call to them was logged "Wrong number" on: a stranger answers it."""
    held = phone_text(getattr(person, name))
    if not typed:
        if not held:
            return None
        if name in REQUIRED:
            raise ValidationError(REQUIRED[name])
        return ""
    # Typing that is no number at all ("n/a") is no match for none held: refused.
    as_typed = _as_e164(typed)
    if as_typed and as_typed == held:
        return None
    number = uk_phone_e164(typed)
    if number == held:
        return None
    if number in (person.wrong_numbers or []):
        raise ValidationError(LOGGED_WRONG)
    return number


def _as_e164(typed: str) -> str:
    """The number typed in E.164, however valid ("" when it is no number)."""
    try:
        number = phonenumbers.parse(typed, "GB")
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phones_settle(
    person: Person,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    other_given: bool,
) -> None:
    """The other phone, once the phone is new: given none of its own
    (`other_given`: an other phone given, even as held or blank, is the one they
    keep), it keeps the old phone when they had no other (as a local team's send
    back keeps it), or takes it in exchange when the new phone was their other
    phone; a number logged wrong is no number to keep. Two phones the same are
    refused."""
    held_phone = phone_text(person.phone)
    held_alt = phone_text(person.phone_alt)
    old_callable = bool(held_phone) and held_phone not in (person.wrong_numbers or [])
    if "phone" in values and not other_given:
        if held_alt and held_alt == values["phone"]:
            values["phone_alt"] = held_phone if old_callable else ""
        elif not held_alt and old_callable:
            values["phone_alt"] = held_phone
    phone = values.get("phone", held_phone)
    other = values.get("phone_alt", held_alt)
    if other and other == phone and ("phone" in values or "phone_alt" in values):
        errors.setdefault("phone_alt", []).append(SAME_AS_PHONE)


def _user(by: Actor | Any | None):
    return None if by is None else Actor.of(by).user


def _stored_text(value: Any) -> str:
    """A detail's value as its history keeps it: a date in ISO form, a phone in
    E.164, "" for none."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return phone_text(value) if not isinstance(value, str) else value


def _save(
    person: Person,
    values: dict[str, Any],
    *,
    item: WorkItem,
    by: Actor | Any | None,
    source: str,
    now: datetime,
) -> DetailsCorrected:
    """Write the corrected details, their history and audit event, and what follows
    from them (person_details_correct's docstring)."""
    changed = tuple(name for name in DETAILS if name in values)
    had_number = has_number_to_call(person)
    old_phone = phone_text(person.phone)
    # Where their messages went that they go no longer (reachable_by_message).
    disowned: list[tuple[str, str]] = []
    if "phone" in values and old_phone:
        disowned.append((Message.Channel.SMS, old_phone))
    if "email" in values and person.email:
        disowned.append((Message.Channel.EMAIL, person.email))
    area_before = person.area_id
    history: list[PersonChange] = []
    said: dict[str, str] = {}
    for name in changed:
        old = _stored_text(getattr(person, name))
        history.append(
            PersonChange(
                person=person,
                field=name,
                old_value=old,
                new_value=_stored_text(values[name]),
                source=source,
                at=now,
            )
        )
        said[name] = "changed" if old else "added"
        setattr(person, name, values[name])
    fields = list(changed)
    if "postcode" in values:
        located = postcode_to_area(values["postcode"])
        person.area = located.area
        person.easting, person.northing = located.easting, located.northing
        fields += ["area", "easting", "northing"]
    # The values are checked as a new person's are, a last time: the area was read
    # from its table just now.
    person.full_clean(
        exclude=[f.name for f in Person._meta.fields if f.name not in changed],
        validate_unique=False,
        validate_constraints=False,
    )
    person.save(update_fields=[*fields, "updated_at"])
    PersonChange.objects.bulk_create(history)
    user = _user(by)
    followed = (
        _cases_follow(person, item=item, user=user, source=source, now=now)
        if "postcode" in values
        else {}
    )
    audit_record(
        user=user,
        action=AuditEvent.Action.UPDATE,
        obj=item,
        person=person,
        detail={"source": source, **said, **followed},
        at=now,
    )
    moved = "postcode" in values and person.area_id != area_before
    household = (
        _household_follows(person, history, user=user, source=source, now=now)
        if {"address", "postcode"} & set(changed)
        else set()
    )
    if "postcode" in values or household:
        contacts_follow_people(
            people=[person.pk, *sorted(household)],
            by=user,
            now=now,
            detail={"follows": "their corrected postcode", "source": source},
        )
    _messages_follow(person, disowned, now=now)
    if not had_number and has_number_to_call(person):
        items_back_to_the_phones(people=[person.pk], source=source, user=user, now=now)
    listed = _duplicates_listed(person, now=now) if IDENTIFYING & set(changed) else 0
    return DetailsCorrected(
        person=person,
        changed=changed,
        old_phone_kept="phone" in values
        and bool(old_phone)
        and values.get("phone_alt") == old_phone,
        area_now=person.area if moved else None,
        duplicates_listed=listed,
        no_area=_no_area_said(person.postcode)
        if "postcode" in values and person.area_id is None
        else "",
        stays=_stays_said(item, changed),
    )


def _no_area_said(postcode: str) -> str:
    """What a new postcode in no area of the service means for the person's work:
    outside England (or, in England, in no area the service holds), their items
    still with the phones go to the fallback team if they are escalated."""
    located = locate_postcode(postcode)
    where = (
        "is in no area of the service:"
        if located is not None and in_service(located.area_code)
        else "is outside England: no local team of the service covers it, so"
    )
    fallback = (
        LocalTeam.objects.filter(is_fallback=True)
        .values_list("name", flat=True)
        .first()
    ) or "the fallback team"
    return (
        f"{postcode} {where} their cases and contacts still with the phones go to "
        f"{fallback} if they are escalated."
    )


def _stays_said(item: WorkItem, changed: tuple[str, ...]) -> str:
    """The item corrected from is with its local team: it stays theirs whatever
    phone or postcode was given (the team sends it back itself when a call can now
    reach them, if the national service still has work on it)."""
    if item.status != Status.ESCALATED or not FOLLOWED_BY_TEAM & set(changed):
        return ""
    if {"phone", "phone_alt"} & set(changed) and item.may_go_back_national:
        return (
            f"This {item.kind} stays with its local team: send it back to the "
            "national queue if a call can now reach them."
        )
    return f"This {item.kind} stays with its local team."


def _cases_follow(
    person: Person, *, item: WorkItem, user: Any, source: str, now: datetime
) -> dict[str, Any]:
    """Each of the person's cases the national service still works (new, assigned,
    reached: not a local team's, not over: work.contact_area's rule for a contact)
    takes their new area, so that a local team it goes to is theirs now, whichever
    item's page the postcode was corrected from; to none, flagged, when their new
    postcode is in no area of the service (the fallback team's if escalated, as
    intake routes a case of no area). Each moved is audited with the area before
    and after: the item's own in the correction's event, whose detail this returns
    (nothing when it stays); another in an event of its own."""
    follows = Case.objects.select_for_update().filter(
        person=person, status__in=CASE_FOLLOWS_WHEN
    )
    cases = list(
        (
            follows.exclude(area_id=person.area_id)
            if person.area_id is not None
            else follows.filter(area__isnull=False)
        ).order_by("pk")
    )
    said: dict[str, Any] = {}
    for case in cases:
        moved = {
            "follows": "their corrected postcode",
            "area": person.area_id,
            "area_was": case.area_id,
        }
        case.area_id = person.area_id
        case.area_unknown = person.area_id is None
        case.save(update_fields=["area", "area_unknown"])
        if isinstance(item, Case) and case.pk == item.pk:
            item.area_id, item.area_unknown = case.area_id, case.area_unknown
            said = moved
            continue
        audit_record(
            user=user,
            action=AuditEvent.Action.UPDATE,
            obj=case,
            person=person,
            detail={"source": source, **moved},
            at=now,
        )
    return said


def _household_follows(
    person: Person,
    history: list[PersonChange],
    *,
    user: Any,
    source: str,
    now: datetime,
) -> set[int]:
    """The copy of the person's address given to their household (named as living
    with them by any of their cases not withdrawn) follows its correction, as it
    follows one a lab sends (work.casework.household_addresses_follow, given the
    correction as intake gives it a person found: the history rows written). The
    ids of those given the new postcode: their contacts follow them too."""
    found = PersonFound(
        person=person,
        created=False,
        changed=[change.field for change in history],
        history=history,
        duplicates=[],
    )
    moved: set[int] = set()
    # Only the households of their cases being worked: one an ended case named
    # (last year's) may have stayed where it was, as intake leaves it.
    for case in Case.objects.filter(person=person, status__in=NOT_ENDED).order_by("pk"):
        moved |= household_addresses_follow(
            found, case=case, source=source, by=user, now=now
        )
    return moved


def _messages_follow(
    person: Person, disowned: list[tuple[str, str]], *, now: datetime
) -> None:
    """Their messages not sent yet (queued, waiting out a provider's outage, or
    being sent) to a phone or email corrected away (`disowned`) never go there, as
    a text to a number logged wrong never goes (work.calls): each is withdrawn
    (messages_withdraw, which leaves one the provider takes recorded as sent: it
    went). Where the service would send it again, it goes where a message to them
    goes now (reachable_by_message): the text carrying a live link, as a link's
    text held up is sent again (work.online.link_text_readdress: or withdrawn,
    the call held back for its answer due, when they can no longer be messaged or
    the link ran out), and isolation advice, as it was written. Under the row
    locks of the items whose links' texts change."""
    if not disowned:
        return
    where = reachable_by_message(person)
    to_old = Q()
    for channel, to in disowned:
        to_old |= Q(channel=channel, to__iexact=to)
    stale = list(
        Message.objects.select_for_update()
        .filter(to_old, person=person, status__in=TO_GO)
        .order_by("pk")
    )
    if where is not None:
        stale = [old for old in stale if (old.channel, old.to.lower()) != _lower(where)]
    links = {
        link.message_id: link
        for link in OnlineLink.objects.filter(
            message__in=[old.pk for old in stale],
            revoked_at__isnull=True,
            submitted_at__isnull=True,
        ).select_related("case", "contact")
    }
    for old in stale:
        link = links.get(old.pk)
        if link is not None:
            link_text_readdress(link, old, where=where, now=now)
        elif where is not None and old.kind == Message.Kind.ISOLATION_ADVICE:
            channel, to = where
            new = message_requeue(
                old,
                person=person,
                channel=channel,
                to=to,
                key=READDRESSED_KEY.format(pk=old.pk),
            )
            messages_supersede(Message.objects.filter(pk=old.pk), by=new)
        else:
            messages_withdraw(Message.objects.filter(pk=old.pk), reason=NOT_THEIRS_NOW)


def _lower(where: tuple[str, str]) -> tuple[str, str]:
    return where[0], where[1].lower()


def _duplicates_listed(person: Person, *, now: datetime) -> int:
    """List the person, as corrected, with each record matching finds they may be
    (people.matching, weighed as an arrival of them: once by their phone, once by
    their other phone), as intake lists a person found with the others the
    arrival may be (people.services.people_found_write: each pair weighed as a pair,
    a pair decided before left as it is). Nobody is merged. How many pairs are new."""
    phones = [phone_text(person.phone)]
    if other := phone_text(person.phone_alt):
        phones.append(other)
    arrivals = [
        Arrival(
            first_name=person.first_name,
            last_name=person.last_name,
            date_of_birth=person.date_of_birth,
            nhs_number=person.nhs_number,
            phones=(phone,) if phone else (),
            postcode=person.postcode,
            email=(person.email or "").strip().lower(),
        )
        for phone in phones
    ]
    found: dict[int, Candidate] = {}
    for match in people_lookup_many(arrivals):
        for candidate in (match.linked, *match.duplicates):
            if candidate is not None and candidate.person.pk != person.pk:
                found.setdefault(candidate.person.pk, candidate)
    if not found:
        return 0
    theirs = PossibleDuplicate.objects.filter(Q(person_a=person) | Q(person_b=person))
    before = theirs.count()
    people_found_write(
        [
            PersonFound(
                person=person,
                created=False,
                changed=[],
                history=[],
                duplicates=list(found.values()),
            )
        ],
        now=now,
    )
    return theirs.count() - before
