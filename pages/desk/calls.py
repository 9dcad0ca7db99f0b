"""Logging a call from the case and contact pages, and the knowledge search beside
the script."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from audit.services import audit_view
from calls.models import CallAttempt, Outcome
from calls.selectors import articles_matching
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import Route, Status, WorkItem
from clock.written import short_time, short_time_today
from contacts.models import Contact
from figures.weekly import forget_cached_figures
from online.models import OnlineLink
from online.texts import long_date
from people.models import Message
from people.phone_field import national_text
from staffing.access import active_profile_of, is_national_supervisor
from staffing.models import Tier
from work.access.cases import get_case_for
from work.access.contacts import get_contact_for
from work.access.items import may_work_item
from work.assignment import interpreter_speakers
from work.calls import (
    CallCorrected,
    CallLogged,
    call_correct,
    call_record,
    correction_refusal,
    support_call_refusal,
    support_said,
)
from work.online import online_progress
from work.rules import closed_when_due, isolation_over

from .call_forms import CallCorrectionForm, CallLogForm
from .taken import whereabouts


def user_tier(user) -> int | None:
    profile = active_profile_of(user)
    return profile.tier if profile is not None else None


def may_read_clinical(user) -> bool:
    """Clinical guidance is for tier 2 caseworkers and supervisors."""
    return user_tier(user) == Tier.CLINICAL or is_national_supervisor(user)


def search_text(request: HttpRequest) -> str:
    """What was typed in the knowledge search box (`q`), as the search reads it: at
    most 100 characters, without NUL characters (no article holds one, and
    PostgreSQL refuses them in a query)."""
    return request.GET.get("q", "").replace("\x00", "").strip()[:100]


@login_required
@require_GET
def knowledge_search(request: HttpRequest) -> TemplateResponse:
    """The matching articles, as the partial the search box swaps in."""
    if user_tier(request.user) is None and not request.user.is_superuser:
        raise PermissionDenied("Knowledge articles are for staff.")
    query = search_text(request)
    articles = (
        articles_matching(query, clinical=may_read_clinical(request.user))
        if query
        else []
    )
    return TemplateResponse(
        request, "calls/_articles.html", {"articles": articles, "query": query}
    )


def call_logged_text(logged: CallLogged, item: WorkItem) -> str:
    """What happened, and what happens next, in one or two sentences."""
    outcome = logged.call.outcome
    if outcome == Outcome.SAFEGUARDING:
        if logged.supervisors_told:
            return (
                f"Escalated to {logged.escalated_to}; your supervisor is being emailed."
            )
        return (
            f"Escalated to {logged.escalated_to}. No supervisor of your team has an "
            "email address on file: tell them yourself now."
        )
    if outcome == Outcome.NEEDS_INTERPRETER and not item.is_unreached:
        # Reached already: it stays theirs to finish (the need is on their record).
        return "Logged: needs an interpreter. It is noted on their record."
    if outcome == Outcome.NEEDS_INTERPRETER:
        return f"Logged: needs an interpreter. {_for_a_speaker(item, logged)}"
    if outcome == Outcome.REACHED and logged.support:
        return (
            f"{_reached_text(logged, item)} Their local team, {logged.escalated_to}, "
            f"was asked to help them with {support_said(logged.support)}."
        )
    if outcome == Outcome.REACHED:
        return _reached_text(logged, item)
    text = f"Logged: {logged.call.get_outcome_display().lower()}."
    if item.is_unreached and item.next_attempt_at is not None:
        text += f" Next attempt {short_time(item.next_attempt_at)} (by the call rules)."
    elif item.is_unreached:
        text += f" No more attempts by phone: {_after_the_phones(item, logged)}"
    return text


def _reached_text(logged: CallLogged, item: WorkItem) -> str:
    """A call logged "Reached": their date, and how the advice goes to them."""
    ends = item.isolation_ends_on
    if isolation_over(ends, today=timezone.localdate(logged.call.started_at)):
        # As work.calls sends it: nothing, when there is no day left to stay at
        # home until.
        said = "Logged: reached. Their time to stay at home ended on "
        said += long_date(ends)
        return said + (": no advice was sent." if item.kind == "contact" else ".")
    text = f"Logged: reached. Isolation ends on {long_date(ends)}."
    if logged.message is not None and logged.message.channel == "email":
        text += f" The isolation advice is queued as an email to {logged.message.to}."
    elif logged.message is not None:
        text += (
            " The isolation advice is queued as a text to "
            f"{national_text(logged.message.to)}."
        )
    return text


def _for_a_speaker(item: WorkItem, logged: CallLogged) -> str:
    """Where an item handed on for an interpreter goes: to a colleague who speaks
    their language, when anyone of the item's tier does (on shift or not); else it
    waits in the pool, since assignment and a supervisor's move give it only to a
    speaker (work.assignment), until its deadline takes it to the local team (or
    closes it, their time to stay at home over). Before, a colleague was promised
    whether or not anyone spoke it."""
    found = interpreter_speakers(item)
    if found is None:  # none to look for: anyone may be given it
        return "It has gone back to the pool."
    language, spoken = found
    if spoken:
        return f"It has gone back to the pool for a colleague who speaks {language}."
    return (
        f"Nobody on the service speaks {language}, so nobody can be given it: it "
        f"waits in the pool{_until_its_deadline(item, logged.call.started_at)}."
    )


def _until_its_deadline(item: WorkItem, now: datetime) -> str:
    """What happens to an item nobody may be given at its deadline, as the escalation
    sweep does it (work.escalation): "" when it has none."""
    due = item.escalate_due_at
    if due is None:
        return ""
    when = "next" if due <= now else f"at {short_time_today(due, now)}"
    if closed_when_due(item, now=now):
        return (
            f" and is closed {when}, their time to stay at home over, not sent to a "
            "local team"
        )
    return f" and goes to the local team {when}, its time for calls up"


def _after_the_phones(item: WorkItem, logged: CallLogged) -> str:
    """Where an item goes once the phones have done: to its local team, or, for a
    contact whose isolation is over when it falls due, closed, as the escalation
    sweep closes it (work.escalation.contacts_close_isolation_over)."""
    now = logged.call.started_at
    if closed_when_due(item, now=now):
        ends = long_date(item.isolation_ends_on)
        today = timezone.localdate(now)
        ended = (
            "ended" if isolation_over(item.isolation_ends_on, today=today) else "ends"
        )
        return (
            f"their time to stay at home {ended} on {ends}, so it will be closed, "
            "not sent to a local team."
        )
    return "it goes to the local team next."


class KeptCallForm(CallLogForm):
    """A call refused because its contact was reached meanwhile, drawn again whole
    with its typing (outcome, length, notes, call back time, language): the panel of
    someone reached offers only the concern form, which would keep the notes alone.
    A concern heard on the call may still be sent from it (work.calls)."""

    kept = True


def answered_after_their_date(item: WorkItem, link: OnlineLink) -> str:
    """A contact's link answered after their time to stay at home had ended, when
    they were asked only whether they want a call (pages/online: the page for a date
    gone by), as staff are told it; "" for any other answer."""
    if link.submitted_at is None or not isolation_over(
        item.isolation_ends_on, today=timezone.localdate(link.submitted_at)
    ):
        return ""
    wanted = (
        "asked for no call"
        if item.reached_route == Route.ONLINE and not link.support
        else "asked to be phoned"
    )
    return f"their time to stay at home had ended, and they {wanted}"


def _online_answer(item: WorkItem) -> str:
    """What they answered on their link, as the call handler is told it ("" if the
    link says nothing: it was not the link that reached them)."""
    link = online_progress(item)
    if link is None or link.submitted_at is None:
        return ""
    if link.confirmed_at is not None:
        said = "they confirmed they will stay at home"
    elif not (said := answered_after_their_date(item, link)):
        return ""  # support asked for: the escalation is what they are told
    if link.note:
        said += f", and wrote “{link.note}”"
    return said


def reached_meanwhile_text(item: WorkItem) -> str:
    """A call refused because its contact was reached while the call handler was on
    the phone to them (they answered their link online, or a colleague logged
    them reached): how and when, and that nothing typed is lost. "" when that is not
    why (the refusal's own words are told then). Before, only "This contact is
    reached: it cannot be called.", the notes typed thrown away."""
    if item.status != Status.REACHED or not item.is_done_with or not item.reached_at:
        return ""
    at = short_time_today(item.reached_at)
    text = f"This {item.kind} was reached {item.reached_how} at {at}"
    if item.reached_route == Route.ONLINE and (said := _online_answer(item)):
        text += f": {said}"
    return (
        f"{text}. Your call was not logged: no more calls are logged for someone "
        "reached. What you typed is below, to copy what you need; a concern you "
        "heard on the call can still be sent: choose “Safeguarding concern”."
    )


def log_call(
    request: HttpRequest,
    item: WorkItem,
    *,
    page_url: str,
    still_theirs: Callable[[], bool],
    render_panel: Callable[[CallLogForm, str], HttpResponse],
    render_page: Callable[[CallLogForm], HttpResponse],
) -> HttpResponse:
    """Log a call from a case or contact page.

    With htmx the call panel (status and history) is swapped in place; without it, a
    normal POST and redirect. Work that has left the caller (escalated, back to the
    pool) sends them to their queue. A refused transition is a message, never a 500;
    a contact reached meanwhile (reached_meanwhile_text) draws the call form again,
    its typing kept.
    """
    form = CallLogForm(request.POST, item=item)
    if form.is_valid():
        d = form.cleaned_data
        try:
            logged = call_record(
                item=item,
                caller=request.user,
                outcome=d["outcome"],
                call_back_at=d["call_back_at"],
                duration_seconds=(d["duration_minutes"] or 0) * 60,
                notes=d["notes"],
                submission=d.get("submission"),
                language=d.get("language", ""),
                support=d.get("support") or [],
            )
        except IllegalTransition as exc:
            item.refresh_from_db()  # as the refusal found it
            if reached := reached_meanwhile_text(item):
                form = KeptCallForm(request.POST, item=item)
                form.is_valid()
                form.add_error(None, reached)
            else:
                form.add_error(None, str(exc))
        except ValidationError as exc:
            # What only the item tells (a call back after a contact's isolation).
            for name, problems in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            text = call_logged_text(logged, item)
            if not still_theirs():
                messages.success(request, text)
                queue = reverse("cases:queue")
                if request.htmx:
                    return HttpResponseClientRedirect(queue)
                return redirect(queue)
            if request.htmx:
                return render_panel(CallLogForm(), text)
            messages.success(request, text)
            return redirect(page_url)
    if request.htmx:
        return render_panel(form, "")
    return render_page(form)


def call_corrected_text(corrected: CallCorrected, item: WorkItem) -> str:
    """What the correction did, and what now follows from the corrected outcome, as
    a call logged with it is told (call_logged_text)."""
    call = corrected.call
    text = (
        f"Corrected from “{call.get_corrected_from_display()}” to "
        f"“{call.get_outcome_display()}”."
    )
    logged = call_logged_text(CallLogged(call=call, message=corrected.message), item)
    follows = logged.partition(". ")[2]  # past "Logged: no answer."
    if follows:
        text += f" {follows}"
    if corrected.advice_withdrawn is not None:
        text += " The isolation advice text was withdrawn before it was sent."
    elif (gone := corrected.advice_gone) is not None:
        sent = gone.status in (Message.Status.SENT, Message.Status.DELIVERED)
        text += (
            " The isolation advice text had already been sent to "
            if sent
            else " The isolation advice text was being sent, and may have gone, to "
        ) + (
            f"{_advice_to(gone)}: when they are reached, tell them the date they "
            "stay at home until."
        )
    if corrected.to_pool:
        text += (
            f" It has gone back to the pool, for the next free colleague: "
            f"{corrected.to_pool}"
        )
    return text


def _advice_to(message: Message) -> str:
    if message.channel == "email":
        return message.to
    return national_text(message.to)


CORRECTION_PAGE = "calls/call_correction.html"


def correct_call(request: HttpRequest, item: WorkItem, call_id: int) -> HttpResponse:
    """The page correcting the outcome of the last call logged on a case or contact
    (work.calls.call_correct): drawn with the call and the form, or with why it may
    not be corrected; a refusal on sending is told above the form, what was typed
    kept. Done, back to the item's page, told what changed (to their queue when
    it went back to the pool)."""
    call = get_object_or_404(
        CallAttempt.objects.select_related("caller"), **{item.kind: item}, pk=call_id
    )
    page_url = reverse(f"{item.kind}s:detail", args=[item.pk]) + "#call-panel"
    form = CallCorrectionForm(request.POST or None)
    refusal = ""
    if request.method == "GET":
        audit_view(user=request.user, obj=item, via="page")
        refusal = correction_refusal(call, item, by=request.user, now=timezone.now())
    elif form.is_valid():
        d = form.cleaned_data
        try:
            corrected = call_correct(
                call=call,
                outcome=d["outcome"],
                reason=d["reason"],
                by=request.user,
                submission=d.get("submission"),
            )
        except (IllegalTransition, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            for name, problems in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            if corrected.reaching_changed and not corrected.repeated:
                # The weeks' figures count the item by the week it arrived, perhaps
                # a settled week cached for a day: seen at once, as a reopening is.
                transaction.on_commit(forget_cached_figures)
            item.refresh_from_db()  # as the correction left it
            messages.success(request, call_corrected_text(corrected, item))
            if not may_work_item(request.user, item):  # back to the pool
                return redirect(reverse("cases:queue"))
            return redirect(page_url)
        call.refresh_from_db()
    return TemplateResponse(
        request,
        CORRECTION_PAGE,
        {
            "item": item,
            "person": item.person,
            "call": call,
            "form": form,
            "refusal": refusal,
            "back": page_url,
        },
    )


def _gone_from_them(
    request: HttpRequest, model: type[Case] | type[Contact], pk: int, call_id: int
) -> HttpResponse:
    """A call of theirs on an item they may no longer see (the sweep took it to its
    local team, a supervisor gave it to someone else): told where it is, and that
    the outcome is not corrected, on their queue. Anyone else: 404."""
    item = model.objects.select_related("local_team", "assignee").filter(pk=pk).first()
    if (
        item is None
        or not CallAttempt.objects.filter(
            pk=call_id, caller=request.user, **{item.kind: item}
        ).exists()
    ):
        raise Http404(f"No such {model._meta.verbose_name}.")
    call = CallAttempt.objects.select_related("caller").get(pk=call_id)
    if refusal := support_call_refusal(call):
        # Its own request took it to the team: no supervisor corrects it either.
        messages.error(request, f"The call's outcome was not corrected. {refusal}")
        return redirect(reverse("cases:queue"))
    messages.error(
        request,
        f"The call's outcome was not corrected. {whereabouts(item, item.kind)} Ask "
        "a supervisor of your tier if it still needs correcting.",
    )
    return redirect(reverse("cases:queue"))


@login_required
@require_http_methods(["GET", "POST"])
def case_call_correction(request: HttpRequest, pk: int, call_id: int) -> HttpResponse:
    try:
        case = get_case_for(request.user, pk)
    except Http404:
        return _gone_from_them(request, Case, pk, call_id)
    return correct_call(request, case, call_id)


@login_required
@require_http_methods(["GET", "POST"])
def contact_call_correction(
    request: HttpRequest, pk: int, call_id: int
) -> HttpResponse:
    try:
        contact = get_contact_for(request.user, pk)
    except Http404:
        return _gone_from_them(request, Contact, pk, call_id)
    return correct_call(request, contact, call_id)
