"""The supervisor's dashboard and the reassignment page.

Every view begins with its access helper, `supervisor_profile` (403 unless the user
supervises a national team).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from audit.services import audit_list_view
from figures import capacity_selectors
from rows.ids import row_id
from staffing.access import supervisor_profile
from work import workload
from work.access.items import items_visible_to
from work.assignment import ChangedHands, items_reassign_as_shown
from work.errors import WorkRefused

from ..htmx import part_only
from ..typed import draws_its_form, put_typing_back
from .capacity import DASHBOARD_HOURS
from .dashboard_rows import member_rows
from .forms import ReassignForm, WorkFilterForm
from .weeks import _partial

WORK_PAGE_SIZE = 100


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    now = timezone.now()
    board = workload.dashboard(supervisor, now=now)
    audit_list_view(
        user=request.user, items=board.overdue_items, via="page", list_name="overdue"
    )
    # The capacity summary is outside the board the page refreshes every minute. Its
    # forecast reads weeks of cases and contacts: the beat makes it every few
    # minutes, and the page shows it once made, never making it itself.
    refresh = part_only(request)
    capacity = None if refresh else capacity_selectors.capacity_if_cached(now=now)
    response = TemplateResponse(
        request,
        _partial(request, "staffing/dashboard.html", "board"),
        {
            "board": board,
            "member_rows": member_rows(
                board.members,
                now=now,
                due=board.due,
                team_tier=supervisor.tier,
            ),
            "supervisor": supervisor,
            "summaries": capacity.summaries(DASHBOARD_HOURS) if capacity else [],
            "capacity_pending": capacity is None and not refresh,
        },
    )
    # The board and the whole page are at one address: a cache keeps them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _page_links(request: HttpRequest, page: Page) -> list[tuple[int | str, str]]:
    """The numbered links of the pagination: (number, address), with '…' (and no
    address) where pages are left out. Each keeps the list's query (whose work, the
    search, the order); they jump by number, "Next" by the last item (_next_url)."""
    query = request.GET.copy()
    query.pop("after", None)
    links: list[tuple[int | str, str]] = []
    for number in page.paginator.get_elided_page_range(
        page.number, on_each_side=1, on_ends=1
    ):
        if number == Paginator.ELLIPSIS:
            links.append((number, ""))
            continue
        query["page"] = str(number)
        links.append((number, f"?{query.urlencode()}"))
    return links


def _page_url(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    query.pop("after", None)
    query["page"] = str(number)
    return f"?{query.urlencode()}"


def _previous_url(request: HttpRequest, page: Page, *, keyset: bool) -> str:
    """The page before by number; from a page reached by "Next", the first page
    (the items before it may have moved since)."""
    if keyset:
        query = request.GET.copy()
        query.pop("after", None)
        query.pop("page", None)
        return f"?{query.urlencode()}"
    return (
        _page_url(request, page.previous_page_number()) if page.has_previous() else ""
    )


def _next_url(
    request: HttpRequest, page: Page, *, holder: str, newest_first: bool
) -> str:
    """The items after the last one shown, whatever moved on this page or before it
    meanwhile (workload.work_list_after); the list's query kept."""
    if not page.has_next():
        return ""
    query = request.GET.copy()
    query.pop("page", None)
    query["after"] = workload.work_key(
        list(page)[-1], holder=holder, newest_first=newest_first
    )
    return f"?{query.urlencode()}"


def _work_heading(holder: str, people: list[Any]) -> str:
    """What the list shows: the pool, one person's items, or the team's."""
    if holder == "pool":
        return "Waiting in the pool"
    for person in people:
        if str(person.pk) == holder:
            return f"Held by {person.user.get_full_name() or person.user.username}"
    return "Held by your team"


def _holders_as_shown(data: QueryDict, item_ids: list[int]) -> dict[int, int | None]:
    """The holder the list showed each ticked item with, from its hidden field
    `shown_holder_<id>` (a user id; empty for the pool), read as ShiftAsShown reads a
    cancel form's. An item sent without one is not checked; a value no page draws
    reads as a holder nobody is, so the item is not moved."""
    shown: dict[int, int | None] = {}
    for pk in item_ids:
        value = data.get(f"shown_holder_{pk}")
        if value is None:
            continue
        shown[pk] = int(value) if value.isdigit() else (None if value == "" else -1)
    return shown


def _holder_said(user: Any, user_id: int | None) -> str:
    if user_id is None:
        return "in the pool"
    if user is None:
        return "where the page showed it"
    return f"with {user.get_full_name() or user.username}"


def _changed_hands_said(changed: list[ChangedHands], model: Any, *, moved: int) -> str:
    """What the supervisor is told of ticked items left alone because they changed
    hands after the page showed them: by the holder shown, each with its holder
    now."""
    by_shown: dict[int | None, list[ChangedHands]] = {}
    for left in changed:
        by_shown.setdefault(left.shown_id, []).append(left)
    parts = []
    for group in by_shown.values():
        these = (
            f"this {model._meta.verbose_name} is"
            if len(group) == 1
            else f"these {model._meta.verbose_name_plural} are"
        )
        names = ", ".join(
            f"{left.item.person.full_name} (now "
            f"{_holder_said(left.item.assignee, left.item.assignee_id)})"
            for left in group
        )
        parts.append(
            f"{these} no longer {_holder_said(group[0].shown, group[0].shown_id)}: "
            f"{names}"
        )
    lead = "Not moved" if moved else "Nothing moved"
    return f"{lead}: {'; '.join(parts)}. They changed hands after the page was shown."


@login_required
@require_http_methods(["GET", "POST"])
@draws_its_form
def work(request: HttpRequest) -> HttpResponse:
    """The team's held work and the pool, searchable by name, postcode or reference,
    a page at a time; move one item or many, with a reason."""
    supervisor = supervisor_profile(request.user)
    now = timezone.now()
    model = workload.work_model(supervisor)
    people = workload.work_targets(supervisor, now=now)
    filters = WorkFilterForm(request.GET, people=people)
    holder = filters.value("holder")
    overdue_only = bool(filters.value("overdue"))
    search = filters.value("q").strip()
    # The order chosen for the pool; held work has its own (by holder).
    newest_first = holder == "pool" and filters.value("order") == "newest"
    form = None
    if request.method == "POST":
        # Anything that is not an id is ignored like any other item not in scope.
        posted = [
            pk for x in request.POST.getlist("items") if (pk := row_id(x)) is not None
        ]
        in_scope = list(
            items_visible_to(request.user, model)
            .filter(workload.work_scope(supervisor), pk__in=posted)
            .values_list("pk", flat=True)
        )
        form = ReassignForm(request.POST, item_ids=in_scope, people=people)
        if form.is_valid():
            target = form.target()
            ticked = form.cleaned_data["items"]
            try:
                result = items_reassign_as_shown(
                    model=model,
                    item_ids=ticked,
                    scope=workload.work_scope(supervisor),
                    to=None if target is None else target.user,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                    # Only from the holder the list showed: a double click, or a
                    # colleague's move meanwhile, leaves the new holder's work alone.
                    shown=_holders_as_shown(request.POST, ticked),
                    now=now,
                )
            except WorkRefused as exc:
                form.add_error(None, str(exc))
            else:
                moved = result.moved
                where = (
                    "back to the pool"
                    if target is None
                    else f"to {target.user.get_full_name() or target.user.username}"
                )
                noun = (
                    model._meta.verbose_name
                    if moved == 1
                    else model._meta.verbose_name_plural
                )
                if moved:
                    messages.success(request, f"Moved {moved} {noun} {where}.")
                if result.changed_hands:
                    messages.warning(
                        request,
                        _changed_hands_said(result.changed_hands, model, moved=moved),
                    )
                elif not moved:
                    messages.info(
                        request, "Nothing moved: the ticked items were already there."
                    )
                if not request.htmx:
                    return redirect(request.get_full_path())
                form = None
                people = workload.work_targets(supervisor, now=now)
    # A refused move shows again the list the supervisor already had on screen, read
    # (and audited) by the GET that showed it: only a fresh read is audited.
    reshown = form is not None
    typed_back = False
    if form is None:
        form = ReassignForm(item_ids=[], people=people)
        if request.method == "GET":
            typed_back = put_typing_back(request, form, action=request.path)
    items = workload.work_list(
        user=request.user,
        supervisor=supervisor,
        holder=holder,
        overdue_only=overdue_only,
        search=search,
        newest_first=newest_first,
        now=now,
    )
    after = request.GET.get("after", "")
    rest = (
        workload.work_list_after(
            items, holder=holder, newest_first=newest_first, after=after
        )
        if after
        else None
    )
    if rest is None:
        page = Paginator(items, WORK_PAGE_SIZE).get_page(request.GET.get("page"))
        total = page.paginator.count
    else:
        # The items after the last one the previous page showed (its "Next").
        page = Paginator(rest, WORK_PAGE_SIZE).page(1)
        total = items.count()
    if not reshown:
        audit_list_view(
            user=request.user,
            items=page.object_list,
            via="page",
            list_name="work list (pool)" if holder == "pool" else "work list",
        )
    checked = (
        {str(pk) for pk in request.POST.getlist("items")} if form.is_bound else set()
    )
    if typed_back:
        checked = {str(pk) for pk in form.initial.get("items") or []}
    response = TemplateResponse(
        request,
        _partial(request, "staffing/work.html", "work-list"),
        {
            "supervisor": supervisor,
            "form": form,
            "filters": filters,
            "page": page,
            "total": total,
            "after_first_page": rest is not None,
            "page_links": _page_links(request, page)
            if rest is None and page.has_other_pages()
            else [],
            "previous_url": _previous_url(request, page, keyset=rest is not None),
            "next_url": _next_url(
                request, page, holder=holder, newest_first=newest_first
            ),
            "people": people,
            "holder": holder,
            "heading": _work_heading(holder, people),
            "overdue_only": overdue_only,
            "search": search,
            "checked": checked,
            "now": now,
            "kind": model._meta.verbose_name_plural,
            "kind_one": model._meta.verbose_name,
            # The list drawn alone (its messages with it); Back to the page draws
            # it whole, its messages where every page has them.
            "list_only": part_only(request),
        },
    )
    patch_vary_headers(response, ["HX-Request"])  # the list, or the whole page
    return response
