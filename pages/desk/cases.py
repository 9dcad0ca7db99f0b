"""The caseworker's workspace: the queue ("My work") and the case page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from audit.services import audit_list_view, audit_view
from calls.models import Script
from calls.selectors import articles_matching, call_history, script_steps
from cases.errors import IllegalTransition
from cases.models import Case, RiskAssessment
from cases.workitem import Status
from work import casework
from work.access.cases import get_case_to_work, may_work_case
from work.assignment import assign_work
from work.casework import (
    ContactRowsRefused,
    case_assessment_record,
    case_visit_add,
    contacts_add_many,
)
from work.queues import (
    current_shift,
    empty_queue_reason,
    next_due_item,
    with_due_state,
    work_model_for,
    work_queue,
)

from .call_forms import CallLogForm
from .calls import log_call, may_read_clinical
from .case_forms import AssessmentForm, VisitForm
from .contact_forms import ContactFormSet

OPEN = (Status.NEW, Status.ASSIGNED, Status.REACHED)


def work_url(item) -> str:
    name = "cases:detail" if item.kind == "case" else "contacts:detail"
    return reverse(name, args=[item.pk])


# --- My work ---------------------------------------------------------------------------


@login_required
@require_GET
def my_work(request: HttpRequest) -> TemplateResponse:
    """The signed-in person's queue, due first, overdue marked."""
    now = timezone.now()
    items = with_due_state(list(work_queue(request.user)), now=now)
    audit_list_view(user=request.user, items=items, via="page", list_name="my work")
    shift = current_shift(request.user, now=now)
    model = work_model_for(request.user)
    return TemplateResponse(
        request,
        "work/queue.html",
        {
            "items": items,
            "kind": model.kind if model else "",
            "shift": shift,
            "now": now,
            "empty_reason": None
            if items
            else empty_queue_reason(request.user, now=now, shift=shift),
        },
    )


@login_required
@require_POST
def next_item(request: HttpRequest) -> HttpResponse:
    """Open the next due item; with an empty queue, ask for work from the pool first."""
    now = timezone.now()
    item = next_due_item(request.user, now=now)
    queue = work_queue(request.user)
    if item is None and not queue.exists():
        shift = current_shift(request.user, now=now)
        if shift is not None:
            assign_work(now=now)
            item = next_due_item(request.user, now=now)
        if item is None and not queue.exists():
            reason = empty_queue_reason(request.user, now=now, shift=shift)
            messages.info(request, reason.text)
            return redirect("cases:queue")
    if item is None:
        first = queue.first()
        at = timezone.localtime(first.next_attempt_at)
        messages.info(
            request,
            f"Nothing in your queue is due yet: the next call is due at "
            f"{at:%H:%M on %a %d %b}.",
        )
        return redirect("cases:queue")
    return redirect(work_url(item))


# --- The case page -----------------------------------------------------------------


def _assessment_of(case: Case) -> RiskAssessment | None:
    try:
        return case.assessment
    except RiskAssessment.DoesNotExist:
        return None


def _case_page(
    request: HttpRequest,
    case: Case,
    *,
    call_form: CallLogForm | None = None,
    assessment_form: AssessmentForm | None = None,
    contact_formset=None,
    visit_form: VisitForm | None = None,
    notice: str = "",
    template: str = "cases/case_detail.html",
) -> TemplateResponse:
    query = request.GET.get("q", "").strip()[:100]
    assessment = _assessment_of(case)
    with_due_state([case], now=timezone.now())
    # A failed form re-renders the whole page: a summary at the top links to it.
    error_links = [
        (text, anchor)
        for form, text, anchor in (
            (call_form, "Check the call you logged", "call-panel"),
            (assessment_form, "Check the risk assessment", "assessment"),
            (contact_formset, "Check the contacts", "contacts"),
            (visit_form, "Check the setting visited", "settings"),
        )
        if form is not None and form.is_bound and not form.is_valid()
    ]
    return TemplateResponse(
        request,
        template,
        {
            "case": case,
            "person": case.person,
            "assessment": assessment,
            "is_open": case.status in OPEN,
            "history": list(call_history(case)),
            "contacts": list(
                case.contacts.select_related("person", "assignee").order_by("pk")
            ),
            "visits": list(
                case.visits.select_related("setting").order_by("visited_on", "pk")
            ),
            "steps": script_steps(Script.Audience.CASE),
            "query": query,
            "articles": articles_matching(
                query, clinical=may_read_clinical(request.user)
            )
            if query
            else None,
            "call_form": call_form or CallLogForm(),
            "call_url": reverse("cases:call", args=[case.pk]),
            "assessment_form": assessment_form
            or AssessmentForm(instance=assessment, case=case),
            "contact_formset": contact_formset or ContactFormSet(prefix="contacts"),
            "visit_form": visit_form or VisitForm(case=case),
            "notice": notice,
            "error_links": error_links,
        },
    )


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> TemplateResponse:
    case = get_case_to_work(request.user, pk)
    audit_view(user=request.user, obj=case, via="page")
    return _case_page(request, case)


def _refuse_if_closed(request: HttpRequest, case: Case) -> HttpResponse | None:
    if case.status in OPEN:
        return None
    messages.error(
        request,
        f"This case is {case.get_status_display().lower()}: it can no longer be changed.",
    )
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def case_call(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_to_work(request.user, pk)
    return log_call(
        request,
        case,
        page_url=reverse("cases:detail", args=[case.pk]),
        still_theirs=lambda: may_work_case(request.user, case),
        render_panel=lambda form, notice: _case_page(
            request,
            case,
            call_form=form,
            notice=notice,
            template="cases/case_detail.html#call_panel",
        ),
        render_page=lambda form: _case_page(request, case, call_form=form),
    )


@login_required
@require_POST
def case_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_to_work(request.user, pk)
    if refused := _refuse_if_closed(request, case):
        return refused
    form = AssessmentForm(request.POST, instance=_assessment_of(case), case=case)
    if not form.is_valid():
        return _case_page(request, case, assessment_form=form)
    try:
        case_assessment_record(case=case, details=form.details(), by=request.user)
    except IllegalTransition as exc:
        messages.error(request, str(exc))
    else:
        ends = case.isolation_ends_on
        messages.success(
            request,
            "Risk assessment saved. Isolation ends on "
            f"{ends:%A} {ends.day} {ends:%B %Y}.",
        )
    return redirect(reverse("cases:detail", args=[case.pk]) + "#assessment")


@login_required
@require_POST
def case_contacts(request: HttpRequest, pk: int) -> HttpResponse:
    """Several contacts at once: all saved, or none, with each bad row marked."""
    case = get_case_to_work(request.user, pk)
    if refused := _refuse_if_closed(request, case):
        return refused
    formset = ContactFormSet(request.POST, prefix="contacts")
    if formset.is_valid():
        filled = formset.filled_forms()
        try:
            added = contacts_add_many(
                case=case, rows=[f.details() for f in filled], by=request.user
            )
        except ContactRowsRefused as exc:
            for index, reason in exc.errors.items():
                filled[index].add_error(None, reason)
        else:
            n = len(added)
            messages.success(
                request,
                f"{n} contact{'s' if n != 1 else ''} added: call handlers will "
                "phone them and tell them until when to isolate.",
            )
            return redirect(reverse("cases:detail", args=[case.pk]) + "#contacts")
    return _case_page(request, case, contact_formset=formset)


@login_required
@require_POST
def case_visit(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_to_work(request.user, pk)
    if refused := _refuse_if_closed(request, case):
        return refused
    form = VisitForm(request.POST, case=case)
    if form.is_valid():
        try:
            case_visit_add(case=case, details=form.details(), by=request.user)
        except IllegalTransition as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Setting visit recorded.")
            return redirect(reverse("cases:detail", args=[case.pk]) + "#settings")
    return _case_page(request, case, visit_form=form)


@login_required
@require_POST
def case_complete(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_to_work(request.user, pk)
    try:
        casework.item_complete(item=case, by=request.user)
    except IllegalTransition as exc:
        messages.error(request, str(exc))
        return redirect(reverse("cases:detail", args=[case.pk]) + "#complete")
    messages.success(request, f"{case} completed. Well done.")
    return redirect("cases:queue")
