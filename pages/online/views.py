"""The pages a link opens, with no sign-in: a case enters the people they were near
and the places they have been; a contact says they will stay at home, or asks to be
phoned, or for help. The token in the address is the authority (work.online).

- A link that is wrong, tampered with, expired, replaced or used gives one page,
  the same to the byte, with one status (404): its holder learns nothing from it.
- Every request counts against its address's allowance (pages.online.limits).
- English or Welsh: the link's language first, `?lang=` (kept through a POST by a
  hidden field) to switch.
- No caching, no Referer (the token is in the address), no indexing. No CSRF check
  either: with no Referer the browser sends `Origin: null`, which Django's check
  refuses; there is no cookie or session here for a forged post to ride on, and a
  forger would need the token, which is all the authority there is.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cases.workitem import Status
from online.models import OnlineLink
from online.texts import language_of, long_date
from work.casework import ContactRowsRefused
from work.online import (
    LinkUnusable,
    online_case_submit,
    online_contact_answer,
    online_link_find,
    online_link_opened,
)
from work.rules import infectious_from, visits_from

from . import limits
from .forms import CaseAnswerForm, ContactAnswerForm, Errors
from .texts import language_or_none, text

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
OPEN = (Status.NEW, Status.ASSIGNED, Status.REACHED)


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


# The language switch of a page with a form: a button of that form, so that what was
# typed comes back in the other language (a link would lose it).
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


def _unusable(request: HttpRequest, language: str) -> HttpResponse:
    return _page(
        request,
        "online/message.html",
        language,
        title=text("unusable_title", language),
        body=text("unusable_body", language),
        status=404,
    )


def online_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The rate limit, and the headers every link page carries."""

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
        found = online_link_find(token)
        if found.purpose == OnlineLink.Purpose.CASE and found.case.status not in OPEN:
            raise LinkUnusable()
        # A contact's link asks what a call would: once they are reached by phone,
        # or handed to their local team, nothing it says would be acted on.
        if (
            found.purpose == OnlineLink.Purpose.CONTACT
            and not found.contact.is_unreached
        ):
            raise LinkUnusable()
    except LinkUnusable:
        return _unusable(request, asked or "en")
    language = asked or language_of(found.language)
    if found.purpose == OnlineLink.Purpose.CASE:
        return _case_page(request, found, language)
    return _contact_page(request, found, language)


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
                online_case_submit(link=found, answer=form.answer())
            except ContactRowsRefused as exc:
                form.refused(exc.errors)
            except LinkUnusable:
                return _unusable(request, language)
            else:
                return _page(
                    request,
                    "online/done.html",
                    language,
                    title=text("thanks_title", language),
                    answered=True,
                    lines=[
                        text("thanks_case", language),
                        text(
                            "remember",
                            language,
                            until=long_date(case.isolation_ends_on, language),
                        ),
                    ],
                )
    else:
        form = CaseAnswerForm(case=case, language=language)
    online_link_opened(link=found)
    return _page(
        request,
        "online/case.html",
        language,
        switch_in_form=True,
        typed_unsaved=_switching(request),
        title=text("case_title", language),
        errors=form.error_list(),
        form=form,
        isolate_until=text(
            "isolate_until", language, until=long_date(case.isolation_ends_on, language)
        ),
        people_hint=text(
            "people_hint", language, start=long_date(infectious_from(case), language)
        ),
        places_hint=text(
            "places_hint", language, start=long_date(visits_from(case), language)
        ),
    )


def _contact_page(
    request: HttpRequest, found: OnlineLink, language: str
) -> HttpResponse:
    """Nothing of the case: the contact's own first name, date and choices."""
    contact = found.contact
    assert contact is not None
    until = long_date(contact.isolation_ends_on, language)
    if _switching(request):
        form = ContactAnswerForm(request.POST, language=language)
        form.unchecked()
    elif request.method == "POST":
        form = ContactAnswerForm(request.POST, language=language)
        if form.is_valid():
            answer = form.answer()
            try:
                contact = online_contact_answer(link=found, **answer)
            except LinkUnusable:
                return _unusable(request, language)
            except ValidationError:
                # A postcode well formed but not one of ours (the form checks form).
                form.add_error("postcode", text("err_invalid_postcode", language))
            else:
                lines = [text("thanks_isolate", language)]
                if contact.status == Status.ESCALATED and answer["support"]:
                    lines.append(text("thanks_support", language))
                elif not answer["will_isolate"]:
                    lines.append(text("thanks_phone", language))
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
        form = ContactAnswerForm(language=language)
    online_link_opened(link=found)
    return _page(
        request,
        "online/contact.html",
        language,
        switch_in_form=True,
        typed_unsaved=_switching(request),
        title=text("contact_title", language, name=found.person.first_name),
        errors=form.error_list(),
        form=form,
        isolate_until=text("isolate_until", language, until=until),
    )
