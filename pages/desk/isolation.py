"""A clinician's override of an isolation end date: a small page for a case, and one
for a contact, reached from the case page (its isolation panel and its contacts).

The override is work.isolation.isolation_override, as the API's; only a tier 2
clinician reaches these pages (work.access.isolation), and the page and the
operation refuse the same dates and reasons with the same words (work.rules).
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from audit.services import audit_view
from cases.workitem import WorkItem
from contacts.models import Contact, IsolationChange
from online.texts import long_date
from people.models import Message
from work.access.cases import may_work_case
from work.access.contacts import may_work_contact
from work.access.isolation import get_case_to_override, get_contact_to_override
from work.compiled import instances_compiled_once
from work.isolation import (
    IsolationChangedSince,
    IsolationOverridden,
    isolation_override,
)
from work.rules import OVERRIDE_REASON_MAX, isolation_override_problems
from work.sent_twice import override_just_made

from ..typed import draws_its_form, put_typing_back

PAGE = "work/isolation_override.html"
# The form's hidden field: the end date it was drawn from (the one shown). Sent back
# with the change, and kept with the typing through a sign-in, so a change made from
# a date someone (or a new fact) has changed since is refused
# (work.isolation.IsolationChangedSince) rather than undoing theirs unseen. The
# API's field of the same name holds the same.
DRAWN_FROM = "current_ends_on"
# The id of the date in force on the page, where a refusal for a date changed since
# links to.
NOW_SHOWN = "isolation-now"
# The changes a page lists, newest first: more than a handful is unheard of.
CHANGES_SHOWN = 20


class IsolationOverrideForm(forms.Form):
    """The new last day of isolation and the clinician's reason."""

    # Where the error summary's link of an error of the whole form goes ("": the
    # first field): the date in force, when a change is refused for its having
    # changed since the page was drawn.
    whole_form_anchor = ""

    ends_on = forms.DateField(
        label="New last day of isolation",
        help_text="They isolate until the end of this day.",
        error_messages={
            "required": "Enter the new last day of isolation.",
            "invalid": "Enter a real date, such as 24/12/2020.",
        },
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(
        label="Clinical reason",
        help_text="Kept with the change; clinicians and supervisors read it.",
        max_length=OVERRIDE_REASON_MAX,
        error_messages={
            "required": "Give the clinical reason for the change.",
            "max_length": f"Keep the reason to {OVERRIDE_REASON_MAX} characters.",
        },
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Read by drawn_from(), never refused here: a page drawn before forms carried
    # it sends none, and is checked as before.
    current_ends_on = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, item: WorkItem, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.initial.setdefault(DRAWN_FROM, item.isolation_ends_on.isoformat())

    def drawn_from(self) -> date | None:
        """The end date the form was drawn from, to check the change against (None:
        sent without one, by a page drawn before forms carried it). A value that is
        no date matches none: refused, with the date now shown."""
        if DRAWN_FROM not in self.data:
            return None
        try:
            return date.fromisoformat(self.data[DRAWN_FROM])
        except ValueError:
            return date.min

    def drawn_again(self, ends_on: date) -> None:
        """Draw the form from `ends_on` (the date in force), the typing kept: sent
        again once the clinician has seen it, it is taken."""
        self.data = self.data.copy()
        self.data[DRAWN_FROM] = ends_on.isoformat()

    def clean(self) -> dict:
        """Every field's problem at once (a past date and no reason are both told),
        each field's own first: the rules only for a field that passed its own."""
        data = super().clean() or {}
        problems = isolation_override_problems(
            ends_on=data.get("ends_on"),
            reason=data.get("reason", ""),
            current=self.item.isolation_ends_on,
            today=timezone.localdate(),
        )
        for name, problem in problems.items():
            if name not in self.errors:
                self.add_error(name, problem)
        return data


def changes_of(item: WorkItem) -> list[IsolationChange]:
    """The item's isolation changes, newest first, with who made them (one query)."""
    # Read on every case and contact page: composed once per process (work.compiled).
    model = type(item)
    return instances_compiled_once(
        ("isolation changes", model._meta.label),
        IsolationChange,
        partial(_changes_query, model=model),
        item_id=item.pk,
    )


def _changes_query(item_id: int, *, model: Any) -> QuerySet[IsolationChange]:
    item = model(pk=item_id)  # of_item's filter, on the item's id alone
    return IsolationChange.objects.of_item(item).select_related("by")[:CHANGES_SHOWN]


def _done_text(done: IsolationOverridden, name: str, ends_on: date) -> str:
    """What the override did, and what the person is told: their date in force
    (done.in_force) is the latest of their records' ends, so a date sooner than
    another record's is saved here and told to nobody, and the page says why."""
    in_force = done.in_force or ends_on
    if done.unchanged:
        why = (
            f"another of their records ends later, on {long_date(in_force)}, and "
            "that date stands"
            if in_force > ends_on
            else "another of their records already ends on that day"
        )
        return (
            f"This record of {name}'s now ends on {long_date(ends_on)}. No text or "
            f"email is being sent: {why}, so they have no new date to be told."
        )
    if in_force != ends_on:
        return (
            f"This record of {name}'s now ends on {long_date(ends_on)}; another of "
            f"their records ends later, and they isolate until the end of "
            f"{long_date(in_force)}. " + _told(done, name)
        )
    return f"{name} now isolates until the end of {long_date(ends_on)}. " + _told(
        done, name
    )


def _told(done: IsolationOverridden, name: str) -> str:
    message = done.message
    if message is None:
        return (
            f"{name} has no mobile number or email to be told by: phone them to tell "
            "them the new date."
        )
    by = "an email" if message.channel == Message.Channel.EMAIL else "a text"
    return f"{name} is being sent {by} with the new date."


def _back_to(request: HttpRequest, item: WorkItem) -> str:
    """Where the clinician came from: the case page (a contact's, at its contacts),
    or the contact page for one who works the contact rather than its case."""
    if not isinstance(item, Contact):
        return reverse("cases:detail", args=[item.pk])
    case = item.case
    if may_work_case(request.user, case):
        return reverse("cases:detail", args=[case.pk]) + "#contacts"
    if may_work_contact(request.user, item):
        return reverse("contacts:detail", args=[item.pk])
    return reverse("cases:queue")


def _sent_again(request: HttpRequest, item: WorkItem) -> IsolationChange | None:
    """The change sent is the one this clinician made a moment ago (the form sent
    twice: a double click, the browser sending it again), refused the second time
    as "They already isolate until ..."; that change, else None."""
    try:
        ends_on = IsolationOverrideForm.base_fields["ends_on"].to_python(
            request.POST.get("ends_on", "")
        )
    except ValidationError:
        return None
    if ends_on is None:
        return None
    return override_just_made(
        request.user, item, ends_on=ends_on, reason=request.POST.get("reason", "")
    )


def _changed_since_text(exc: IsolationChangedSince) -> str:
    """As a stale risk assessment is told (pages.desk.cases): who changed the date
    and when, and that this change is not saved, to be decided again."""
    if exc.by_them:
        return (
            f"{exc.changed()}, after this page was opened. This change is not "
            "saved: check the date they isolate until now, and send it again if it "
            "is still needed."
        )
    return (
        f"{exc.changed()}, after you opened this page. Your change is not saved: "
        "check the date they isolate until now, and send it again if it is still "
        "needed."
    )


def _override_page(request: HttpRequest, item: WorkItem) -> HttpResponse:
    back = _back_to(request, item)
    form = IsolationOverrideForm(request.POST or None, item=item)
    if request.method == "GET":
        audit_view(user=request.user, obj=item, via="page")
        put_typing_back(request, form, action=request.path)
    elif form.is_valid():
        ends_on: date = form.cleaned_data["ends_on"]
        try:
            done = isolation_override(
                item=item,
                ends_on=ends_on,
                reason=form.cleaned_data["reason"],
                clinician=request.user,
                current_ends_on=form.drawn_from(),
            )
        except IsolationChangedSince as exc:
            # Nothing saved: the typing drawn again beside the date now in force,
            # the form now drawn from it (sent again once seen, it is taken).
            item.isolation_ends_on = exc.ends_on
            form.add_error(None, _changed_since_text(exc))
            form.whole_form_anchor = NOW_SHOWN  # the summary links to the date now
            form.drawn_again(exc.ends_on)
        except ValidationError as exc:
            # Changed by someone else since the page was drawn: the same words.
            for name, problems in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            messages.success(request, _done_text(done, item.person.full_name, ends_on))
            return redirect(back)
    if form.errors and (change := _sent_again(request, item)) is not None:
        messages.success(
            request,
            f"{item.person.full_name} now isolates until the end of "
            f"{long_date(change.ends_on)}. Your change is saved (it was sent twice, "
            "and saved once).",
        )
        return redirect(back)
    return TemplateResponse(
        request,
        PAGE,
        {
            "item": item,
            "person": item.person,
            "form": form,
            "changes": changes_of(item),
            "back": back,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@draws_its_form
def case_isolation(request: HttpRequest, pk: int) -> HttpResponse:
    return _override_page(request, get_case_to_override(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
@draws_its_form
def contact_isolation(request: HttpRequest, pk: int) -> HttpResponse:
    return _override_page(request, get_contact_to_override(request.user, pk))
