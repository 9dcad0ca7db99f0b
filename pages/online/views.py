"""The pages a link opens, with no sign-in: a case enters the people they were near
and the places they have been; a contact says they will stay at home, or asks to be
phoned, or for help. The token in the address is the authority (work.online).

- A link that is wrong, tampered with, expired or replaced gives one page, the
  same to the byte, with one status (404): its holder learns nothing from it.
- A link that was used says so ("We already have your answers": a second tap of
  Send, or the text opened again); one whose person is now with their local team,
  or being helped by a contact tracer, says that there is nothing to do here. Each
  only to the holder of the token, who is that person.
- A contact or case whose time to stay at home has ended is told so, and not
  asked to stay at home (work.rules.isolation_over).
- A contact's link whose person was named again since, for a later date (a new
  contact, told on its own), gives that date as theirs, never its own earlier one.
- Every request counts against its address's allowance (pages.online.limits).
- English or Welsh: the link's language first, `?lang=` (kept through a POST by a
  hidden field) to switch; on a page with a form the switch is a button of the
  form (SWITCH), so what was typed comes back in the other language, with or
  without the page's script. A page listing people that could not be saved has
  no switch: the list came with the sending, which a link would not carry.
- No caching, no Referer (the token is in the address), no indexing. No CSRF check
  either: with no Referer the browser sends `Origin: null`, which Django's check
  refuses; there is no cookie or session here for a forged post to ride on, and a
  forger would need the token, which is all the authority there is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cases.workitem import Status
from contacts.models import Contact
from online.models import OnlineLink
from online.texts import language_of, long_date, name_fit_to_text
from people.matching import age_on
from work.casework import ContactRowsRefused
from work.online import (
    CASE_LINK_PEOPLE_MAX,
    CaseAnswered,
    LinkUnusable,
    NothingNew,
    case_takes_answers,
    case_with_its_team,
    online_case_not_saved,
    online_case_submit,
    online_contact_answer,
    online_link_find,
    online_link_opened,
    token_hash,
)
from work.rules import infectious_from, isolation_over, visits_from

from ..templatetags.people_tags import GUARDIAN_UNDER_AGE
from . import limits
from .forms import (
    CONTACT_ROWS,
    POSTCODE_NOT_FOUND_CY,
    CaseAnswerForm,
    ContactAnswerForm,
    Errors,
)
from .texts import language_or_none, text

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
OPEN = (Status.NEW, Status.ASSIGNED, Status.REACHED)


def _thanks_key(answered: CaseAnswered) -> str:
    """The thanks for a case's answer: the first, or one sent later (its people, its
    places, or both, as were new)."""
    if not answered.more:
        return "thanks_case"
    if answered.contacts and answered.visits:
        return "thanks_case_more_both"
    return "thanks_case_more" if answered.contacts else "thanks_case_more_places"


class Words:
    """`{{ t.key }}` in a template: the text in the page's language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __getitem__(self, key: str) -> str:
        return text(key, self.language)


def _asked_language(request: HttpRequest) -> str | None:
    """The language asked for: the switch pressed while typing, the form's hidden
    field, else ?lang=."""
    return (
        language_or_none(request.POST.get(SWITCH))
        or language_or_none(request.POST.get("lang"))
        or language_or_none(request.GET.get("lang"))
    )


# The language switch of a page with a form: a button of that form (templates/online/
# base.html), so that what was typed comes back in the other language, unsaved (a
# link would lose it).
SWITCH = "switch_lang"


def _switching(request: HttpRequest) -> bool:
    return request.method == "POST" and bool(request.POST.get(SWITCH))


def _page(
    request: HttpRequest,
    template: str,
    language: str,
    *,
    title: str,
    status: int = 200,
    errors: Errors | None = None,
    **context: Any,
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "language": language,
            "html_lang": "cy" if language == "cy" else "en-GB",
            "other_language": "en" if language == "cy" else "cy",
            "t": Words(language),
            "title": title,
            "errors": errors or [],
            **context,
        },
        status=status,
    )


def _titled(key: str, first_name: str, language: str) -> str:
    """The title `key` of a person's own page, headed with their first name as the
    text carrying its link is (online.texts.addressed: one phone can be given for
    several people, and each must see whose page it is); the title `key`_unnamed
    when the name is not fit to show (name_fit_to_text: a contact's name is typed by
    whoever named them). Never more than the first name: a link can be
    forwarded."""
    name = name_fit_to_text(first_name)
    if not name:
        return text(f"{key}_unnamed", language)
    return text(key, language, name=name)


def _for_a_child(person, language: str) -> str:
    """For the page of someone under 16 (GUARDIAN_UNDER_AGE, as the staff pages
    judge it): that it is about them, and asking their parent or guardian to answer
    for them; "" for anyone else, or a date of birth not known. By first name only,
    when it is fit to show (as _titled)."""
    born = person.date_of_birth
    if born is None or not 0 <= age_on(born, timezone.localdate()) < GUARDIAN_UNDER_AGE:
        return ""
    name = name_fit_to_text(person.first_name)
    if not name:
        return text("for_a_child_unnamed", language)
    return text("for_a_child", language, name=name)


def _unusable(request: HttpRequest, language: str) -> HttpResponse:
    return _page(
        request,
        "online/message.html",
        language,
        title=text("unusable_title", language),
        body=text("unusable_body", language),
        status=404,
        # Nothing typed at this address can be sent or put back any more (a newer
        # link has a new address): the typing kept in the tab is dropped, not left
        # for the next person at a shared computer (static/js/online_draft.js).
        # Marked whatever the reason, so that every such page stays the same.
        drop_typing=True,
    )


def _answerable(link: OnlineLink) -> bool:
    """Its item still waits for what the link asks. A contact's link asks what a
    call would: once they are reached by phone, or handed to their local team,
    nothing it says would be acted on."""
    if link.purpose == OnlineLink.Purpose.CASE:
        assert link.case is not None
        return case_takes_answers(link, link.case)
    assert link.contact is not None
    return link.contact.is_unreached


def _typed_people(request: HttpRequest) -> list[str]:
    """The names of the people typed on a case's page sent (or switched) to a link
    that can no longer take them."""
    if request.method != "POST":
        return []
    names = (
        " ".join(
            request.POST.get(f"contact-{i}-{part}", "").strip()
            for part in ("first_name", "last_name")
        ).strip()
        for i in range(CONTACT_ROWS)
    )
    return [name for name in names if name]


def _named_again_later(link: OnlineLink) -> Contact | None:
    """A contact's link whose person was named again since, for a later date not
    gone by (a new contact: work.casework.contact_add): that later contact, whose
    date is theirs now; never the link's own, earlier one."""
    if link.contact is None:
        return None
    later = Contact.objects.other_dates(link.contact).named_again_later
    if later is None or later.isolation_ends_on < timezone.localdate():
        return None
    return later


def _date_changed(later: Contact, language: str) -> list[str]:
    """Their date now, and, while the later contact is still to be told, how: the
    text with its own link sent to it, or else a call (or their local team)."""
    lines = [
        text(
            "date_changed", language, until=long_date(later.isolation_ends_on, language)
        )
    ]
    if later.reached_at is None and later.status != Status.CLOSED:
        sent = OnlineLink.objects.filter(contact=later).exists()
        lines.append(
            text("date_changed_sent" if sent else "date_changed_in_touch", language)
        )
    return lines


# How long after a case's link stopped working (replaced by a newer one, or out of
# time) a page opened while it worked may still be sent: what was typed on it is
# listed back, to call 119 about. Long enough to finish typing; past it, the link
# is one that does not work, whatever is sent to it (a text kept on a shared phone).
TYPING_GRACE = timedelta(hours=1)


def _stopped_at(link: OnlineLink, now: datetime) -> datetime | None:
    """When the link stopped working, replaced or out of time; None while it works
    (used or not)."""
    ends = [link.revoked_at] if link.revoked_at is not None else []
    if link.expires_at <= now:
        ends.append(link.expires_at)
    return min(ends, default=None)


def _typed_on_a_working_page(link: OnlineLink, now: datetime) -> bool:
    """What is sent may have been typed on a page the link showed while it worked:
    it works still, or stopped within TYPING_GRACE, after it was first opened."""
    stopped = _stopped_at(link, now)
    if stopped is None:
        return True
    return (
        link.opened_at is not None
        and link.opened_at <= stopped
        and now - stopped <= TYPING_GRACE
    )


def _refused(
    request: HttpRequest, hashed: str, asked: str | None, *, saved: bool = False
) -> HttpResponse:
    """A link that will not take an answer. The person's own link, not replaced,
    is told why, in its language: their answers were sent already (a second tap of
    Send, the text opened again), or, unexpired, that their local team or a
    contact tracer has it in hand, or has finished it (audited as the link's page
    is); with their date to stay at home, or, named again since for a later date,
    that it has changed and to when (_named_again_later). People typed on a case's
    page are never dropped unsaid, even when its link was replaced or ran out of
    time moments before (TYPING_GRACE): the page lists them all, as typed, and whom
    to tell: the number to ring, or, the case with its local team, the team, whose
    page says how many (and the trail of the case says so; a case their link's own
    answer completed is reopened for a caseworker to add them: online_case_not_saved).
    The list is never checked against whom the case named: it would tell whoever
    holds an old text who was. Any other gets the one page of every link that does
    not work; and whatever is sent to a link gets the page its opening would, but
    for that list."""
    link = (
        OnlineLink.objects.select_related("case", "contact")
        .filter(token_hash=hashed)
        .first()
    )
    if link is None:
        return _unusable(request, asked or "en")
    item = link.item
    if item.status == Status.WITHDRAWN:
        # The result behind it was sent in error (work.withdraw): said so, whatever
        # was sent, and nothing typed is listed to phone about.
        language = asked or language_of(link.language)
        online_link_opened(link=link)
        body = (
            "withdrawn_case"
            if link.purpose == OnlineLink.Purpose.CASE
            else ("withdrawn_contact")
        )
        return _page(
            request,
            "online/message.html",
            language,
            title=text("moved_on_title", language),
            lines=[text(body, language)],
            people=[],
            after=[],
            drop_typing=True,
        )
    now = timezone.now()
    unsaved: list[str] = []
    if (
        not saved
        and link.purpose == OnlineLink.Purpose.CASE
        and _typed_on_a_working_page(link, now)
    ):
        # Whatever stopped the link (the case moved on, a newer link sent just now,
        # its time just up), the people typed on the page it showed are listed.
        unsaved = _typed_people(request)
    if link.revoked_at is not None and not unsaved:
        return _unusable(request, asked or "en")
    if unsaved:
        title, body = "not_saved_title", "not_saved_body"
        online_case_not_saved(link=link, people=unsaved, now=now)
    elif link.submitted_at is not None:
        title, body = "already_title", "already_body"
    elif link.expires_at <= now or _answerable(link):
        # Expired; or nothing has moved on (the link was refused for another
        # reason): nothing more to say.
        return _unusable(request, asked or "en")
    elif item.status == Status.ESCALATED:
        title, body = "moved_on_title", "moved_on_local_team"
    elif item.status in (Status.COMPLETED, Status.CLOSED):
        # Finished: a caseworker completed the case by phone, or it was closed.
        title, body = "moved_on_title", "moved_on_done"
    else:  # reached by phone
        title, body = "moved_on_title", "moved_on_tracer"
    language = asked or language_of(link.language)
    lines = [text(body, language)]
    if unsaved:
        # Told whom to tell: the case's local team while it is with them (its page
        # shows how many: work.online.online_people_not_saved_to_team), else 119.
        with_team = link.case is not None and case_with_its_team(link.case)
        lines.append(
            text("not_saved_local_team" if with_team else "not_saved_phone", language)
        )
    elif later := _named_again_later(link):
        lines += _date_changed(later, language)
    elif item.status != Status.CLOSED and not isolation_over(item.isolation_ends_on):
        until = long_date(item.isolation_ends_on, language)
        lines.append(text("remember", language, until=until))
    online_link_opened(link=link)
    return _page(
        request,
        "online/message.html",
        language,
        title=text(title, language),
        lines=lines[:1],
        people=unsaved,
        after=lines[1:],
        # The link takes no typing any more (the answers are in, the case moved
        # on, or the people typed are listed here to phone about): the typing kept
        # in the tab is dropped (static/js/online_draft.js).
        drop_typing=True,
    )


def online_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The rate limit, and the headers every link page carries. The page asking
    them to wait looks up no link: it is in the language asked, which a link sent
    in Welsh asks in its address (work.online.link_url), else English."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if limits.allowed(request):
            response = view(request, *args, **kwargs)
        else:
            language = _asked_language(request) or "en"
            response = _page(
                request,
                "online/message.html",
                language,
                title=text("busy_title", language),
                body=text("busy_body", language),
                status=429,
            )
            response["Retry-After"] = str(limits.WINDOW_SECONDS)
        for name, value in HEADERS.items():
            response[name] = value
        return response

    return wrapped


@csrf_exempt
@online_page
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    asked = _asked_language(request)
    try:
        try:
            found = online_link_find(token)
        except LinkUnusable:
            if request.method != "POST":
                raise
            # Sent (or switched) from a page opened before the answers went in:
            # a case's link still takes the people not sent before.
            found = online_link_find(token, more=True)
        if not _answerable(found):
            raise LinkUnusable()
    except LinkUnusable:
        # (A token too long to be one finds nothing: no link has its hash.)
        return _refused(request, token_hash(token), asked)
    language = asked or language_of(found.language)
    if found.purpose == OnlineLink.Purpose.CASE:
        return _case_page(request, found, language)
    return _contact_page(request, found, language)


def _answered(
    request: HttpRequest, answered: CaseAnswered, language: str
) -> HttpResponse:
    """The thanks for a case's answer; the people past what one link takes
    (CASE_LINK_PEOPLE_MAX) listed, not saved, with the number to ring, as a link
    that takes no more lists them."""
    case = answered.case
    remember = (
        [text("remember", language, until=long_date(case.isolation_ends_on, language))]
        if not isolation_over(case.isolation_ends_on)
        else []
    )
    if not answered.not_added:
        return _page(
            request,
            "online/done.html",
            language,
            title=text("thanks_title", language),
            answered=True,
            lines=[text(_thanks_key(answered), language), *remember],
        )
    beyond = text("not_saved_beyond", language, most=CASE_LINK_PEOPLE_MAX)
    saved_some = bool(answered.contacts or answered.visits or not answered.more)
    return _page(
        request,
        "online/message.html",
        language,
        title=text("thanks_title" if saved_some else "not_saved_title", language),
        lines=[text(_thanks_key(answered), language), beyond]
        if saved_some
        else [beyond],
        people=list(answered.not_added),
        after=[text("not_saved_phone", language), *remember],
        # Sent: the typing kept in the tab is dropped (those past what the link
        # takes are listed here, to phone about).
        drop_typing=True,
    )


def _case_page(request: HttpRequest, found: OnlineLink, language: str) -> HttpResponse:
    case = found.case
    assert case is not None
    if _switching(request):
        form = CaseAnswerForm(request.POST, case=case, language=language)
        form.unchecked()
    elif request.method == "POST":
        form = CaseAnswerForm(request.POST, case=case, language=language)
        if form.is_valid():
            try:
                answered = online_case_submit(link=found, answer=form.answer())
            except ContactRowsRefused as exc:
                form.refused(exc.errors)
            except NothingNew:
                # Sent twice (a double tap, a second device): the answers are in.
                return _refused(request, found.token_hash, language, saved=True)
            except LinkUnusable:
                # The case moved on meanwhile: what was typed is listed, unsaved.
                return _refused(request, found.token_hash, language)
            else:
                return _answered(request, answered, language)
    else:
        form = CaseAnswerForm(case=case, language=language)
    online_link_opened(link=found)
    # Their time to stay at home ended before the result came (symptoms weeks
    # back): told so, never a date gone by to stay at home until, nor the list of
    # what to do while at home.
    over = isolation_over(case.isolation_ends_on)
    return _page(
        request,
        "online/case.html",
        language,
        switch_in_form=True,
        typed_unsaved=_switching(request),
        title=_titled("case_title", found.person.first_name, language),
        for_a_child=_for_a_child(found.person, language),
        errors=form.error_list(),
        form=form,
        over=over,
        isolate_until=text(
            "isolation_over" if over else "isolate_until",
            language,
            until=long_date(case.isolation_ends_on, language),
        ),
        people_hint=text(
            "people_hint",
            language,
            start=long_date(infectious_from(case), language, after_o=True),
        ),
        places_hint=text(
            "places_hint", language, start=long_date(visits_from(case), language)
        ),
    )


def _contact_page(
    request: HttpRequest, found: OnlineLink, language: str
) -> HttpResponse:
    """Nothing of the case: the contact's own first name, date and choices. One
    with no phone number on record (told by email) is asked for one, to be
    phoned."""
    contact = found.contact
    assert contact is not None
    until = long_date(contact.isolation_ends_on, language)
    # Their time to stay at home ended already (named late, the link opened late):
    # never a day gone by to stay at home until, nor asked to.
    over = isolation_over(contact.isolation_ends_on)
    asks_phone = not found.person.phone
    if _switching(request):
        form = ContactAnswerForm(
            request.POST, language=language, asks_phone=asks_phone, over=over
        )
        form.unchecked()
    elif request.method == "POST":
        form = ContactAnswerForm(
            request.POST, language=language, asks_phone=asks_phone, over=over
        )
        if form.is_valid():
            answer = form.answer()
            try:
                # The page's language: answered in Welsh, Welsh is recorded.
                contact = online_contact_answer(link=found, language=language, **answer)
            except LinkUnusable:
                # Sent twice (a double tap): the other sending saved the answers.
                return _refused(request, found.token_hash, language)
            except ValidationError as refused:
                # A postcode well formed but not in the directory (the form checks
                # its form): in English work.online's own words.
                form.add_error(
                    "postcode",
                    refused.messages[0] if language == "en" else POSTCODE_NOT_FOUND_CY,
                )
            else:
                lines = [text("thanks_isolate", language)]
                helped = contact.status == Status.ESCALATED and answer["support"]
                if helped and not answer["will_isolate"]:
                    lines.append(text("thanks_support_phone", language))
                elif helped:
                    lines.append(text("thanks_support", language))
                elif answer["will_isolate"] is False:
                    lines.append(text("thanks_phone", language))
                if not over:
                    lines.append(text("remember", language, until=until))
                return _page(
                    request,
                    "online/done.html",
                    language,
                    title=text("thanks_title", language),
                    answered=True,
                    lines=lines,
                )
    else:
        form = ContactAnswerForm(language=language, asks_phone=asks_phone, over=over)
    online_link_opened(link=found)
    return _page(
        request,
        "online/contact.html",
        language,
        switch_in_form=True,
        typed_unsaved=_switching(request),
        title=_titled(
            "contact_title_over" if over else "contact_title",
            found.person.first_name,
            language,
        ),
        for_a_child=_for_a_child(found.person, language),
        errors=form.error_list(),
        form=form,
        over=over,
        isolate_until=text(
            "isolation_over" if over else "isolate_until", language, until=until
        ),
        # What a call handler tells a contact whose time has ended.
        over_advice=text("advice_symptoms", language) if over else "",
    )
