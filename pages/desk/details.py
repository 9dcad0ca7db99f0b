"""A person's details corrected from the page of their case or contact ("Their
details"): by whoever may work that item now, through the operation the API uses
too (work.person_details.person_details_correct).

As the case page's other sections: with htmx the section is sent on its own and
drawn again in place, with what was saved said, and the person's card above it
drawn again out of band (their name, phones, email); without JavaScript, a normal
POST and a redirect to the page with the message. Typing that is refused is drawn
again as typed, each problem beside its field and in the summary, the section open;
the details its user did not change are drawn again as held now, and one they
changed that someone else changed meanwhile as that person left it, to be checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from cases.errors import IllegalTransition
from cases.workitem import WorkItem
from work.access.cases import get_case_to_work
from work.access.contacts import get_contact_to_work
from work.person_details import (
    CASE_PAGE,
    CHANGED_MEANWHILE,
    CONTACT_PAGE,
    DETAILS,
    DetailsCorrected,
    details_changed_meanwhile,
    person_details_correct,
    person_details_problems,
)

from . import cases, contacts
from .details_form import PersonDetailsForm
from .taken import taken_away_is_told

# The section's name on both pages: its anchor, its partials (details_response).
SECTION = "details"

Draw = Callable[..., TemplateResponse]


@dataclass
class DetailsSent:
    """What came of a "Their details" form sent (details_sent): saved (`done`, its
    `said` what to tell), refused by a field (`form`, to draw again with the typing
    and its problems), or refused because the item moved on (`refused`)."""

    done: DetailsCorrected | None = None
    form: PersonDetailsForm | None = None
    refused: IllegalTransition | None = None


def details_sent(request: HttpRequest, item: WorkItem, *, source: str) -> DetailsSent:
    """Take the form sent for the item's person, through the operation
    (person_details_correct), for whichever page drew it (the case page, the
    contact page, the escalation's page). Refused by a field: the form with the
    typing and its problems, the other details drawn again as held now, and one its
    user changed that someone else changed meanwhile as that person left it."""
    form = PersonDetailsForm(request.POST)
    meanwhile: set[str] = set()
    if not form.is_valid():
        # A date it could not read: the other fields' problems said with it.
        typed = {name for name in form.errors if name in DETAILS}
        given = form.given()
        drawn = form.drawn()
        problems = person_details_problems(
            person=item.person, item=item, given=given, drawn=drawn
        )
        meanwhile = details_changed_meanwhile(
            person=item.person, given=given, drawn=drawn
        )
        for name, messages_ in problems.items():
            if name not in form.errors:
                form.add_error(name, messages_)
    else:
        typed = set()
        given = form.given()
        try:
            done = person_details_correct(
                person=item.person,
                item=item,
                given=given,
                by=request.user,
                source=source,
                drawn=form.drawn(),
            )
        except ValidationError as exc:
            for name, errors in getattr(exc, "error_dict", {}).items():
                if any(error.code == CHANGED_MEANWHILE for error in errors):
                    meanwhile.add(name)
            for name, problems in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        except IllegalTransition as exc:
            return DetailsSent(refused=exc)
        else:
            return DetailsSent(done=done)
    # What its user typed stays; the rest, and what was changed meanwhile, as held.
    form.redrawn(item.person, keep=(set(given) | typed) - meanwhile)
    return DetailsSent(form=form)


def _details_sent(
    request: HttpRequest,
    item: WorkItem,
    *,
    source: str,
    again: Callable[[], WorkItem],
    draw: Draw,
) -> HttpResponse:
    """The case or contact page's answer to the form sent (details_sent). Saved (or
    nothing to change): with htmx the section drawn again for the item as now held
    (`again`), saying so; without, a message and the page. Refused by a field: the
    section, or the page, drawn with the typing and its problems. Refused because
    the item moved on (withdrawn, closed, with its local team meanwhile): said, and
    the page drawn afresh, as the case page's other sections do."""
    page_url = reverse(f"{item.kind}s:detail", args=[item.pk]) + f"#{SECTION}"
    sent = details_sent(request, item, source=source)
    if sent.refused is not None:
        messages.error(request, str(sent.refused))
        if request.htmx:
            return HttpResponseClientRefresh()
        return redirect(page_url)
    if sent.done is not None:
        if request.htmx:
            return draw(again(), form=None, notice=sent.done.said)
        if sent.done.changed:
            messages.success(request, sent.done.said)
        else:
            messages.info(request, sent.done.said)
        return redirect(page_url)
    return draw(item, form=sent.form, notice="")


@login_required
@require_POST
@taken_away_is_told
def case_person_details(request: HttpRequest, pk: int) -> HttpResponse:
    """The case's person's details, from the case page."""
    case = get_case_to_work(request.user, pk)

    def draw(item, *, form, notice) -> TemplateResponse:
        return cases._section(
            request,
            item,
            SECTION,
            details_form=form,
            notices={SECTION: notice} if notice else None,
        )

    return _details_sent(
        request,
        case,
        source=CASE_PAGE,
        again=lambda: get_case_to_work(request.user, pk),
        draw=draw,
    )


@login_required
@require_POST
@taken_away_is_told
def contact_person_details(request: HttpRequest, pk: int) -> HttpResponse:
    """The contact's person's details, from the contact page."""
    contact = get_contact_to_work(request.user, pk)

    def draw(item, *, form, notice) -> TemplateResponse:
        return contacts._contact_page(
            request,
            item,
            details_form=form,
            details_notice=notice,
            template=f"{contacts.PAGE}#{SECTION}_response"
            if request.htmx
            else contacts.PAGE,
        )

    return _details_sent(
        request,
        contact,
        source=CONTACT_PAGE,
        again=lambda: get_contact_to_work(request.user, pk),
        draw=draw,
    )
