"""The local public health team's workspace: escalation queue, complex cases, clusters.

Every view begins with the access helpers in escalations.access: a page for another
team's item is a 404, and only tier 1 staff (and superusers) get in at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, FilteredRelation, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from audit.models import AuditEvent
from audit.services import audit_list_view, audit_record, audit_view
from cases.errors import IllegalTransition
from cases.models import Case, SettingVisit
from contacts.models import Contact
from escalations.clusters import (
    cluster_cases,
    cluster_mark_reviewed,
    cluster_other_teams,
)
from escalations.household import concern_raised, escalations_at_address
from escalations.models import Escalation
from escalations.selectors import (
    QueueKey,
    clusters_list,
    escalation_counts,
    escalation_history,
    escalation_queue,
    escalation_queue_after,
    escalation_search,
)
from figures.replica import read_from_replica, read_on_replica
from figures.weekly import forget_cached_figures
from online.texts import long_date
from people.phone_field import national_text
from work.access.cases import cases_visible_to
from work.access.clusters import (
    clusters_visible_to,
    get_cluster_for,
    may_review_cluster,
)
from work.access.contacts import contacts_visible_to
from work.access.escalations import (
    escalations_visible_to,
    get_escalation_for,
    may_reassign_escalation,
    require_local_workspace,
)
from work.escalation import (
    ADVICE_ISOLATION_OVER,
    ADVICE_NOWHERE_TO_SEND,
    ADVICE_TOLD_AS_CASE,
    REOPEN_WITHIN,
    ClosedAlready,
    ReopenedAlready,
    close_advice_said,
    escalation_claim,
    escalation_close,
    escalation_reassign,
    escalation_record_action,
    escalation_reopen,
    escalation_return,
    no_number_refusal,
    reopen_refusal,
)
from work.online import online_people_not_saved_to_team
from work.rules import isolation_over
from work.said import and_joined

from ..desk.contacts import Naming as ContactNaming
from ..desk.contacts import contact_exposures
from ..desk.details_form import PersonDetailsForm
from ..htmx import part_only
from ..typed import TYPING_BACK, put_typing_back, typed_form
from .contacts import escalation_contacts
from .details import escalation_details
from .exports import (
    escalation_person_id,
    escalations_audited,
    escalations_csv_lines,
)
from .forms import (
    TABS,
    ActionForm,
    CloseForm,
    QueueFilterForm,
    ReassignForm,
    ReopenForm,
    ReturnForm,
)

PAGE_SIZE = 50
# A refused piece of work (someone else closed it first, say): what was typed is kept
# here over the redirect, so the page shows it again beside the reason.
REFUSED_DRAFT = "local_refused_draft"


def page_links(page, query: str = "") -> dict:
    """What the design system's pagination needs: previous, next and the numbered
    pages (with gaps as ellipses), each keeping the rest of the query string."""
    prefix = f"?{query}&page=" if query else "?page="
    paginator = page.paginator
    if paginator.num_pages <= 1:
        return {}
    items = [
        {"ellipsis": True}
        if number == paginator.ELLIPSIS
        else {
            "number": number,
            "url": f"{prefix}{number}",
            "current": number == page.number,
        }
        for number in paginator.get_elided_page_range(
            page.number, on_each_side=1, on_ends=1
        )
    ]
    return {
        "previous": f"{prefix}{page.previous_page_number()}"
        if page.has_previous()
        else "",
        "next": f"{prefix}{page.next_page_number()}" if page.has_next() else "",
        "items": items,
    }


# --- the queue ------------------------------------------------------------------------


def _queue_pages(page, query: str, *, after: QueueKey | None, tab: str) -> dict:
    """The queue's pagination: "Next" continues after the last row shown (a keyset,
    ?after=), so rows picked up or closed on earlier pages meanwhile skip none of
    the later ones; the numbered pages jump from the top. A page reached by "Next"
    has no number (the rows before it may have changed): it offers the first page."""
    rows = list(page.object_list)
    next_url = ""
    if page.has_next() and rows:
        key = QueueKey.of(rows[-1], status=tab)
        next_url = f"?{query}&{urlencode({'after': str(key)})}"
    if after is None:
        links = page_links(page, query)
        if links:
            links["next"] = next_url
        return links
    return {"previous": f"?{query}", "first": True, "next": next_url, "items": []}


def _narrowed(filters: dict, *, complex_only: bool) -> bool:
    """Whether a search or filter narrows the list (the complex cases' own reason
    is the list itself, not a filter)."""
    return bool(
        filters["q"] or filters["mine"] or (filters["reason"] and not complex_only)
    )


def _filtered(
    visible: QuerySet[Escalation], filters: dict, *, user: Any, complex_only: bool
) -> QuerySet[Escalation]:
    """The escalations the search and filters let through, whatever their tab."""
    if filters["reason"] and not complex_only:
        visible = visible.filter(reason=filters["reason"])
    if filters["mine"]:
        visible = visible.filter(picked_up_by=user)
    return escalation_search(visible, filters["q"])


def _tab_count(shown: int | None, *, of: int | None = None) -> str:
    """A tab's count as its label shows it: what the list holds under the search
    and filters, beside the team's all when they narrow it ("5 of 2,062")."""
    if shown is None:
        return ""
    if of is None:
        return f"{shown:,}"
    return f"{shown:,} of {of:,}"


def _queue_response(request: HttpRequest, *, complex_only: bool) -> HttpResponse:
    profile = require_local_workspace(request.user)
    visible = escalations_visible_to(request.user)
    if complex_only:
        visible = visible.filter(reason=Escalation.Reason.COMPLEX)
    form = QueueFilterForm(request.GET)
    filters = form.values()
    if complex_only:
        filters["reason"] = Escalation.Reason.COMPLEX
    rows = escalation_queue(
        visible,
        status=filters["tab"],
        search=filters["q"],
        reason=filters["reason"],
        picked_up_by=request.user if filters["mine"] else None,
    )
    if profile is None:
        # An administrator's list of every local team names each row's team.
        rows = rows.select_related("local_team")
    after = QueueKey.parse(request.GET.get("after"))
    if after is None:
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        total = page.paginator.count
    else:
        # The rows after the last one the previous page showed: what colleagues
        # picked up or closed meanwhile does not shift the rest past the reader.
        page = Paginator(
            escalation_queue_after(rows, status=filters["tab"], after=after),
            PAGE_SIZE,
        ).page(1)
        total = rows.count()
    audit_list_view(
        user=request.user,
        items=page.object_list,
        via="page",
        list_name="complex cases" if complex_only else "escalation queue",
        person_of=escalation_person_id,
    )
    query = request.GET.copy()
    for name in form.errors:
        # What the page did not apply is not carried to its links and export.
        query.pop(name, None)
    query["tab"] = filters["tab"]
    # Each row's page leads back to the list as it is shown here, page and all.
    back = urlencode({"back": f"{request.path}?{query.urlencode()}"})
    query.pop("page", None)
    query.pop("after", None)
    counts = escalation_counts(visible)
    narrowed = _narrowed(filters, complex_only=complex_only)
    # The tabs count what each would list under the search and filters, in one
    # query as the team's counts are; the cards above keep the team's all.
    shown = (
        escalation_counts(
            _filtered(visible, filters, user=request.user, complex_only=complex_only)
        )
        if narrowed
        else counts
    )
    tabs = []
    for value, label in TABS:
        query["tab"] = value
        tabs.append(
            {
                "label": label,
                "count": _tab_count(
                    shown.get(value), of=counts.get(value) if narrowed else None
                ),
                "url": f"?{query.urlencode()}",
                "active": value == filters["tab"],
            }
        )
    query["tab"] = filters["tab"]
    if complex_only:
        query["reason"] = Escalation.Reason.COMPLEX  # so the export matches the page
    list_only = part_only(request)
    context = {
        "profile": profile,
        "form": form,
        "filters": filters,
        "complex_only": complex_only,
        # The list alone carries its count to the page's status (read out); the
        # whole page (Back included, though htmx asks for it) draws the status empty.
        "list_only": list_only,
        "tabs": tabs,
        "counts": counts,
        "page": page,
        "total": total,
        "pagination": _queue_pages(
            page, query.urlencode(), after=after, tab=filters["tab"]
        ),
        "query": query.urlencode(),
        "back": back,
        "now": timezone.now(),
    }
    template = "escalations/queue.html"
    if list_only:
        template += "#results"
    response = TemplateResponse(request, template, context)
    # The list and the whole page are at one address: a cache keeps them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The team's escalations: new, picked up, closed; searchable."""
    return _queue_response(request, complex_only=False)


@login_required
@require_GET
def complex_cases(request: HttpRequest) -> HttpResponse:
    """Cases from care homes, schools, healthcare and prisons, sent here on intake."""
    return _queue_response(request, complex_only=True)


@login_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """The team's escalations as CSV: one tab when asked, else all; audited."""
    profile = require_local_workspace(request.user)
    filters = QueueFilterForm(request.GET).values()
    if not request.GET.get("tab"):
        # Every tab: the form's default tab ("new") is not what was exported, and
        # the audit record names the filters that were.
        filters["tab"] = ""
    rows = _filtered(
        escalations_visible_to(request.user),
        filters,
        user=request.user,
        complex_only=False,
    )
    if filters["tab"]:
        rows = rows.filter(status=filters["tab"])
    rows = rows.order_by("created_at", "pk")
    # The rows are read from the replica when there is one (figures/replica.py): an
    # export is a snapshot, and one a few seconds old serves as well as one taken
    # now. The audit rows are written to the primary all the same.
    count = read_on_replica(rows.count)
    export = audit_record(
        user=request.user,
        action=AuditEvent.Action.EXPORT,
        obj=profile.local_team if profile else request.user,
        detail={
            "what": "escalations",
            "rows": count,
            "filters": {k: v for k, v in filters.items() if v},
        },
    )

    def audit_batch(batch: list[tuple]) -> None:
        # Each batch's people are audited before its lines are sent.
        escalations, person_of = escalations_audited(batch, using=rows.db)
        audit_list_view(
            user=request.user,
            items=escalations,
            via="page",
            list_name="escalations export",
            person_of=lambda escalation: person_of[escalation.pk],
            detail={"export": export.pk},
        )

    # The lines are read as the server sends them, after this view has returned:
    # the scope goes with the stream, opened for each batch (and the stream made
    # again on the primary if the replica fails it before its first line is sent).
    response = StreamingHttpResponse(
        read_from_replica(lambda: escalations_csv_lines(rows, on_batch=audit_batch)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="escalations-{stamp}.csv"'
    return response


# --- one escalation -------------------------------------------------------------------


WORK_FORMS = {
    "action": ActionForm,
    "close": CloseForm,
    "return": ReturnForm,
    "reopen": ReopenForm,
}
# The lists an escalation's page may lead back to.
TEAM_LISTS = ("escalations:queue", "escalations:complex")


def _work_form(name: str, escalation: Escalation, *args, **kwargs) -> Any:
    """One of the page's work forms (WORK_FORMS), blank or bound. The send back's
    asks for a new number, not as optional, when their record has none to call
    (none, or only numbers a stranger answered), saying which."""
    if name == "return":
        kwargs["no_number"] = no_number_refusal(escalation.item.person)
    return WORK_FORMS[name](*args, **kwargs)


def _team_list(address: str, *, host: str = "") -> str:
    """`address` as a path on this site when it is one of the team's lists (with
    its search, filters, tab and page), else "": a way back never leads off the
    site nor anywhere else on it. With `host`, a whole address (a Referer) of this
    site is read; without, only a path."""
    parts = urlsplit(address)
    if host:
        if parts.scheme not in ("http", "https") or parts.netloc != host:
            return ""
    elif parts.scheme or parts.netloc:
        return ""
    if parts.path not in {reverse(name) for name in TEAM_LISTS}:
        return ""
    query = QueryDict(parts.query).urlencode()
    return f"{parts.path}?{query}" if query else parts.path


def _back_to(request: HttpRequest) -> str:
    """The list the user opened this escalation from, as they left it: the `back`
    its rows carry (kept through the page's forms), else the page's Referer when
    that is one of the team's lists; "" when neither is."""
    return _team_list(request.GET.get("back", "")) or _team_list(
        request.headers.get("Referer", ""), host=request.get_host()
    )


def _to_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to the escalation's page after a form, keeping its way back."""
    address = reverse("escalations:detail", args=[pk])
    back = _team_list(request.GET.get("back", ""))
    if back:
        address += f"?{urlencode({'back': back})}"
    return redirect(address)


def _detail_response(
    request: HttpRequest,
    escalation: Escalation,
    *,
    status: int = 200,
    kept: str = "",
    details_typed_back: bool = False,
    **forms,
) -> TemplateResponse:
    """The page; `forms` are bound forms that failed (their errors are summarised at
    the top), `kept` names a form refused earlier whose typing is shown again. A
    case's contact rows (`contacts_formset`, `contacts_not_added`) are drawn in their
    own section (pages.local.contacts), and so is the person's details form
    (`details_form`, `details_not_saved`: pages.local.details; drawn open with
    `details_typed_back`, the typing put back after the session ended)."""
    item = escalation.item
    can_reassign = may_reassign_escalation(request.user, escalation)
    visits = (
        item.visits.select_related("setting").order_by("visited_on")
        if item.kind == "case"
        else []
    )
    # A contact's every naming (its own case's and each further one, oldest first)
    # and the latest, as the call handler's page reads and picks them: one person
    # named by several cases is one contact, isolating from the latest exposure.
    exposures: list[ContactNaming] = (
        contact_exposures(item) if item.kind == "contact" else []
    )
    visible = escalations_visible_to(request.user)
    # The team's other open escalations at the same door: one visit planned for the
    # household, and a concern raised at the door known before anyone knocks.
    at_address = escalations_at_address(escalation, visible=visible)
    now = timezone.now()
    being_worked = escalation.status == Escalation.Status.PICKED_UP
    # The work forms show while the escalation is picked up; one that failed or was
    # refused shows whatever the state, so nothing typed is lost.
    show = {
        name: being_worked or f"{name}_form" in forms or kept == name
        for name in WORK_FORMS
    }
    # A contact reached already (online, asking for help) has no national queue to
    # go back to: the team closes it instead (work.escalation.escalation_return).
    show["return"] = show["return"] and (
        item.may_go_back_national or "return_form" in forms or kept == "return"
    )
    # Reopening a close made by mistake: offered to those who may (who closed it,
    # the team's supervisor), within the week (work.escalation.reopen_refusal).
    may_reopen = not reopen_refusal(escalation, by=request.user, now=now)
    show["reopen"] = may_reopen or "reopen_form" in forms or kept == "reopen"
    back = _back_to(request)
    home = (
        "escalations:complex"
        if escalation.reason == Escalation.Reason.COMPLEX
        else "escalations:queue"
    )
    context = {
        "escalation": escalation,
        "item": item,
        # "Back to the queue" returns to the list as it was left; the forms carry
        # it on (in their address) so that a pick-up or a close keeps it too.
        "way_back": back or f"{reverse(home)}?tab={escalation.status}",
        "keep_back": f"?{urlencode({'back': back})}" if back else "",
        "person": item.person,
        "history": escalation_history(escalation, visible=visible),
        # A concern raised about this item: its reason, or a case's flag (a contact
        # has none of its own).
        "concern_raised": concern_raised(escalation),
        "at_address": at_address,
        "concerns_at_address": [e for e in at_address if concern_raised(e)],
        "visits": visits,
        "exposures": exposures,
        "last_exposure": max(exposures, key=lambda n: n.exposure_date)
        if exposures
        else None,
        "now": now,
        "isolation_over": isolation_over(
            item.isolation_ends_on, today=timezone.localdate(now)
        ),
        "overdue": escalation.status != Escalation.Status.CLOSED
        and escalation.due_at < now,
        "show": show,
        "kept": kept,
        "action_form": forms.get("action_form") or ActionForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "return_form": forms.get("return_form") or _work_form("return", escalation),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        "reopen_until": escalation.closed_at + REOPEN_WITHIN
        if escalation.closed_at
        else None,
        "can_reassign": can_reassign,
        "reassign_form": (
            forms.get("reassign_form") or ReassignForm(team_id=escalation.local_team_id)
        )
        if can_reassign
        else None,
        # The people the case typed on its link that could not be saved, for the
        # team to ask about while the case is with them (they were told to).
        "online_not_saved": online_people_not_saved_to_team(item)
        if isinstance(item, Case)
        else "",
        # A case's "Contacts they name" (pages.local.contacts): rows that failed, or
        # were refused, come back as typed.
        **escalation_contacts(
            request,
            escalation,
            formset=forms.get("contacts_formset"),
            not_added=forms.get("contacts_not_added"),
        ),
        # "Their details" (pages.local.details): typing refused comes back as typed.
        **escalation_details(
            request,
            escalation,
            form=forms.get("details_form"),
            not_saved=forms.get("details_not_saved"),
            keep_back=f"?{urlencode({'back': back})}" if back else "",
            typed_back=details_typed_back,
        ),
    }
    return TemplateResponse(request, "escalations/detail.html", context, status=status)


def _refused(request: HttpRequest, escalation: Escalation, name: str, form, exc):
    """Someone else got there first (or it was closed meanwhile): say why at the top
    of the page, and keep what was typed for the page to show again."""
    messages.error(request, str(exc))
    request.session[REFUSED_DRAFT] = {
        "escalation": escalation.pk,
        "form": name,
        "data": {field: form.data.get(field, "") for field in form.fields},
    }
    return _to_detail(request, escalation.pk)


def _done(request: HttpRequest, text: str) -> None:
    """Say what was done. A form sent twice (a double click without JavaScript) is
    answered twice alike: the page that follows says it once."""
    waiting = messages.get_messages(request)
    said = any(str(message) == text for message in waiting)
    waiting.used = False  # read here, still shown on the next page
    if not said:
        messages.success(request, text)


def _kept_form(request: HttpRequest, escalation: Escalation) -> dict:
    """The refused form of the last request, filled in as it was typed (once)."""
    draft = request.session.pop(REFUSED_DRAFT, None)
    if (
        not isinstance(draft, dict)
        or draft.get("escalation") != escalation.pk
        or draft.get("form") not in WORK_FORMS
    ):
        return {}
    name = draft["form"]
    # Nothing of it was saved: sent again, it is a new sending (a submission of its
    # own), not the one refused.
    typed = {k: v for k, v in draft["data"].items() if k != "submission"}
    return {"kept": name, f"{name}_form": _work_form(name, escalation, initial=typed)}


@login_required
@require_GET
def escalation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The escalated item with its whole history, and what the team can do next."""
    require_local_workspace(request.user)
    escalation = get_escalation_for(request.user, pk)
    audit_view(
        user=request.user,
        obj=escalation.item,
        via="page",
        detail={"escalation": escalation.pk},
    )
    kept = _kept_form(request, escalation) or _typed_back(request, escalation)
    return _detail_response(request, escalation, **kept)


def _typed_back(request: HttpRequest, escalation: Escalation) -> dict:
    """A work form posted after the session ended, drawn again with what was typed
    (once; not saved: the team member checks it and sends it again)."""
    for name in WORK_FORMS:
        form = _work_form(name, escalation)
        action = reverse(f"escalations:{name}", args=[escalation.pk])
        if put_typing_back(request, form, action=action):
            return {"kept": name, f"{name}_form": form}
    if may_reassign_escalation(request.user, escalation):
        form = ReassignForm(team_id=escalation.local_team_id)
        action = reverse("escalations:reassign", args=[escalation.pk])
        if put_typing_back(request, form, action=action):
            return {"reassign_form": form}
    action = reverse("escalations:details", args=[escalation.pk])
    if (typed := typed_form(request, action=action)) is not None:
        messages.warning(request, TYPING_BACK)
        return {
            "details_form": PersonDetailsForm.of(escalation.item.person, typed),
            "details_typed_back": True,
        }
    return {}


@login_required
@require_POST
def escalation_claim_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_local_workspace(request.user)
    escalation = get_escalation_for(request.user, pk)
    try:
        escalation_claim(escalation=escalation, by=request.user)
    except IllegalTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "You picked this up: it is yours to work.")
    return _to_detail(request, pk)


@login_required
@require_POST
def escalation_action_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a door-step visit, phone call, letter or other action, with notes."""
    require_local_workspace(request.user)
    escalation = get_escalation_for(request.user, pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _detail_response(request, escalation, status=400, action_form=form)
    try:
        action = escalation_record_action(
            escalation=escalation,
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
            by=request.user,
            submission=form.cleaned_data["submission"],
        )
    except IllegalTransition as exc:
        return _refused(request, escalation, "action", form, exc)
    # Sent again, it is the action recorded the first time: the same answer.
    _done(request, f"{action.get_kind_display()} recorded.")
    return _to_detail(request, pk)


@login_required
@require_POST
def escalation_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Close with an outcome; "reached" counts the item reached by the local team."""
    require_local_workspace(request.user)
    escalation = get_escalation_for(request.user, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _detail_response(request, escalation, status=400, close_form=form)
    try:
        closed = escalation_close(
            escalation=escalation,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
    except ClosedAlready as exc:
        if not exc.same:
            return _refused(request, escalation, "close", form, exc)
        closed = exc.escalation  # the form sent again: closed, as the first time
    except IllegalTransition as exc:
        return _refused(request, escalation, "close", form, exc)
    _done(request, _closed_text(closed))
    return _to_detail(request, pk)


def _closed_text(closed: Escalation) -> str:
    """The close, and for a contact reached, whether their isolation date is going
    to them in writing (work.escalation.close_advice_said): the team knows whether
    to give it them themselves. The same for the close sent again."""
    text = f"Closed: {closed.get_outcome_display()}."
    advice = close_advice_said(closed)
    if advice.sent is not None:
        sent = (
            f"emailed to {advice.sent.to}"
            if advice.sent.channel == advice.sent.Channel.EMAIL
            else f"texted to {national_text(advice.sent.to)}"
        )
        return f"{text} Their isolation date has been {sent}."
    if advice.not_sent == ADVICE_ISOLATION_OVER:
        assert closed.contact is not None
        return (
            f"{text} Their time to stay at home ended on "
            f"{long_date(closed.contact.isolation_ends_on)}: no advice was sent."
        )
    if advice.not_sent == ADVICE_TOLD_AS_CASE:
        return (
            f"{text} No advice was sent: they tested positive themselves, and their "
            "own case gives them their date."
        )
    if advice.not_sent == ADVICE_NOWHERE_TO_SEND:
        return (
            f"{text} Their isolation date was not sent: there is no mobile number or "
            "email to send it to. Give it them in writing."
        )
    return text


@login_required
@require_POST
def escalation_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the item back to the national queue, with a note and maybe a new number."""
    require_local_workspace(request.user)
    escalation = get_escalation_for(request.user, pk)
    form = _work_form("return", escalation, request.POST)
    if not form.is_valid():
        return _detail_response(request, escalation, status=400, return_form=form)
    phone = form.cleaned_data["new_phone"]
    try:
        escalation_return(
            escalation=escalation,
            note=form.cleaned_data["note"],
            new_phone=phone.as_e164 if phone else "",
            by=request.user,
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error("new_phone" if field == "phone" else None, errors)
        return _detail_response(request, escalation, status=400, return_form=form)
    except ClosedAlready as exc:
        if not exc.same:
            return _refused(request, escalation, "return", form, exc)
        # The form sent again: sent back, as the first time.
    except IllegalTransition as exc:
        return _refused(request, escalation, "return", form, exc)
    _done(request, "Sent back to the national queue: it will be assigned a caller.")
    return _to_detail(request, pk)


@login_required
@require_POST
def escalation_reopen_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Reopen an escalation closed by mistake, with a reason: it is the reopener's
    again, to close with the right outcome, and the weekly figures follow."""
    require_local_workspace(request.user)
    escalation = get_escalation_for(request.user, pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _detail_response(request, escalation, status=400, reopen_form=form)
    try:
        escalation_reopen(
            escalation=escalation,
            reason=form.cleaned_data["reason"],
            by=request.user,
            submission=form.cleaned_data["submission"],
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _detail_response(request, escalation, status=400, reopen_form=form)
    except ReopenedAlready as exc:
        if not exc.same:
            return _refused(request, escalation, "reopen", form, exc)
        # The form sent again: reopened, as the first time.
    except IllegalTransition as exc:
        return _refused(request, escalation, "reopen", form, exc)
    else:
        # What past weeks count may have changed (a reach taken back).
        transaction.on_commit(forget_cached_figures)
    _done(request, "Reopened: it is yours again, to close with the right outcome.")
    return _to_detail(request, pk)


@login_required
@require_POST
def escalation_reassign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The team's supervisor gives the escalation to another member of the team."""
    require_local_workspace(request.user)
    escalation = get_escalation_for(request.user, pk)
    if not may_reassign_escalation(request.user, escalation):
        raise PermissionDenied("Only the team's supervisor can reassign its work.")
    form = ReassignForm(request.POST, team_id=escalation.local_team_id)
    if not form.is_valid():
        return _detail_response(request, escalation, status=400, reassign_form=form)
    to = form.cleaned_data["to"]
    try:
        escalation_reassign(escalation=escalation, to=to, by=request.user)
    except IllegalTransition as exc:
        form.add_error("to", str(exc))
        return _detail_response(request, escalation, status=400, reassign_form=form)
    messages.success(request, f"Given to {to.get_full_name() or to.username}.")
    return _to_detail(request, pk)


# --- clusters -------------------------------------------------------------------------


@login_required
@require_GET
def cluster_list(request: HttpRequest) -> HttpResponse:
    """Clusters at settings in the team's areas or with cases living in them, newest
    and unreviewed first."""
    require_local_workspace(request.user)
    paginator = Paginator(clusters_list(clusters_visible_to(request.user)), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "escalations/clusters.html",
        {"page": page, "pagination": page_links(page)},
    )


@dataclass(frozen=True)
class Naming:
    """Someone a cluster's case named, with the exposure as that case named it: the
    contact's own when the case named them first, else the case's further naming
    (an Exposure row) of another case's contact."""

    contact: Contact
    exposure: str
    exposure_date: date
    # Another case named them first: one person is one contact to call.
    named_first_elsewhere: bool

    def get_exposure_display(self) -> str:
        return str(Contact.Exposure(self.exposure).label)


def _namings_of(
    cases: Sequence[Case], visible: QuerySet[Contact]
) -> dict[int, list[Naming]]:
    """Everyone each case named (ContactQuerySet.named_by_any, for all the cases at
    once) that the user may see, by case, in the order the contacts were made.

    One query: the contacts any of the cases named (ids from the two indexed
    lookups joined by UNION, as named_by), each joined to those cases' further
    namings of it, so that a contact named by several of them comes once for each."""
    ids = [case.pk for case in cases]
    rows = (
        visible.named_by_any(ids)
        .annotate(
            naming=FilteredRelation(
                "further_exposures",
                condition=Q(further_exposures__case_id__in=ids),
            ),
            naming_case_id=F("naming__case_id"),
            naming_exposure=F("naming__exposure"),
            naming_exposure_date=F("naming__exposure_date"),
        )
        .select_related("person", "area")
        .order_by("created_at", "pk", "naming_case_id")
    )
    namings: dict[int, list[Naming]] = {pk: [] for pk in ids}
    first_named: set[int] = set()
    for contact in rows:
        if contact.case_id in namings and contact.pk not in first_named:
            first_named.add(contact.pk)
            namings[contact.case_id].append(
                Naming(
                    contact=contact,
                    exposure=contact.exposure,
                    exposure_date=contact.exposure_date,
                    named_first_elsewhere=False,
                )
            )
        if contact.naming_case_id is not None:
            namings[contact.naming_case_id].append(
                Naming(
                    contact=contact,
                    exposure=contact.naming_exposure,
                    exposure_date=contact.naming_exposure_date,
                    named_first_elsewhere=True,
                )
            )
    return namings


@login_required
@require_GET
def cluster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A cluster's setting, its cases (those this team may see) and everyone each of
    them named in the team's areas."""
    require_local_workspace(request.user)
    cluster = get_cluster_for(request.user, pk)
    cases = list(
        cluster_cases(cluster, cases_visible_to(request.user)).prefetch_related(
            Prefetch(
                "visits",
                queryset=SettingVisit.objects.filter(
                    setting_id=cluster.setting_id
                ).order_by("visited_on"),
                to_attr="setting_visits",
            ),
        )
    )
    namings = _namings_of(cases, contacts_visible_to(request.user))
    for case in cases:
        case.namings = namings[case.pk]
    others = cluster_other_teams(cluster, [case.pk for case in cases])
    audit_view(
        user=request.user,
        obj=cluster,
        via="page",
        detail={"cases": [c.pk for c in cases]},
    )
    # Each person shown (a case, a contact of one), in their own trail too.
    audit_list_view(
        user=request.user,
        items=[*cases, *(n.contact for case in cases for n in namings[case.pk])],
        via="page",
        list_name="cluster",
        detail={"cluster": cluster.pk},
    )
    return TemplateResponse(
        request,
        "escalations/cluster_detail.html",
        {
            "cluster": cluster,
            "cases": cases,
            "hidden_cases": sum(n for _, n in others),
            "held_elsewhere": _held_elsewhere(others),
            "may_review": may_review_cluster(request.user, cluster),
        },
    )


def _held_elsewhere(others: list[tuple[str | None, int]]) -> SafeString:
    """What the page says of the cluster's cases it does not show: how many, and
    which team holds their details ("2 more cases in this cluster live in another
    team's area: Leeds Public Health holds their details."); the teams' names
    escaped, the rest the page's own words."""
    named = [(escape(team), n) for team, n in others if team is not None]
    unheld = sum(n for team, n in others if team is None)
    said = []
    if named:
        count = sum(n for _, n in named)
        if len(named) == 1:
            where, holders, verb = "another team's area", named[0][0], "holds"
        else:
            where, verb = "other teams' areas", "hold"
            holders = and_joined(f"{team} ({n})" for team, n in named)
        said.append(
            f"{count} more {_cases_live(count)} in {where}: "
            f"{holders} {verb} their details."
        )
    if unheld:
        said.append(
            f"{unheld} {'more ' if not named else 'other '}{_cases_live(unheld)} "
            "in no local team's area; no team holds their details yet."
        )
    return mark_safe(" ".join(said))  # the teams' names are escaped above


def _cases_live(n: int) -> str:
    return "case in this cluster lives" if n == 1 else "cases in this cluster live"


@login_required
@require_POST
def cluster_reviewed_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_local_workspace(request.user)
    cluster = get_cluster_for(request.user, pk)
    if not may_review_cluster(request.user, cluster):
        raise PermissionDenied(
            f"{cluster.area.local_team.name} reviews this cluster: it is at a "
            "setting in their area."
        )
    if cluster_mark_reviewed(cluster=cluster, by=request.user):
        messages.success(request, "Marked as reviewed.")
    else:
        messages.info(request, "This cluster was already reviewed.")
    return redirect("escalations:cluster", pk=pk)
