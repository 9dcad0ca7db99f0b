"""Pages for supervisors (dashboard, reassignment, rota, registrations, training,
new starters, utilisation) and for staff (their shifts and training).

Every view begins with its access helper: `supervisor_profile` (403 unless the user
supervises a national team) or `staff_profile` (403 without a staff profile).
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors, services
from .forms import (
    CancelShiftForm,
    HoursCapForm,
    PublishSlotsForm,
    ReassignForm,
    RegistrationForm,
    ReviewForm,
)
from .models import HoursCapChange, Shift, TrainingModule
from .selectors import staff_profile, supervisor_profile
from .services import StaffingRefused

WORK_PAGE_SIZE = 100


def _week(request: HttpRequest, now: datetime) -> date:
    """The Monday of the week asked for (?week=YYYY-MM-DD), else of this week."""
    try:
        day = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = timezone.localdate(now)
    return selectors.monday_of(day)


def _week_nav(monday: date) -> dict[str, date]:
    return {
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
    }


def _partial(request: HttpRequest, template: str, part: str) -> str:
    return f"{template}#{part}" if request.htmx else template


# --- supervisor dashboard and reassignment ---------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    board = selectors.dashboard(supervisor, now=timezone.now())
    return TemplateResponse(
        request,
        _partial(request, "staffing/dashboard.html", "board"),
        {"board": board, "supervisor": supervisor},
    )


@login_required
@require_http_methods(["GET", "POST"])
def work(request: HttpRequest) -> HttpResponse:
    """The team's held work and the pool; move one item or many, with a reason."""
    supervisor = supervisor_profile(request.user)
    now = timezone.now()
    model = selectors.work_model(supervisor)
    people = selectors.work_targets(supervisor, now=now)
    holder = request.GET.get("holder", "")
    overdue_only = request.GET.get("overdue") == "1"
    form = None
    if request.method == "POST":
        posted = [int(x) for x in request.POST.getlist("items") if x.isdigit()]
        in_scope = list(
            model.objects.visible_to(request.user)
            .filter(selectors.work_scope(supervisor), pk__in=posted)
            .values_list("pk", flat=True)
        )
        form = ReassignForm(request.POST, item_ids=in_scope, people=people)
        if form.is_valid():
            target = form.target()
            try:
                moved = services.work_reassign(
                    model=model,
                    item_ids=form.cleaned_data["items"],
                    scope=selectors.work_scope(supervisor),
                    to=target,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                    now=now,
                )
            except StaffingRefused as exc:
                form.add_error(None, str(exc))
            else:
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
                else:
                    messages.info(
                        request, "Nothing moved: the ticked items were already there."
                    )
                if not request.htmx:
                    return redirect(request.get_full_path())
                form = None
                people = selectors.work_targets(supervisor, now=now)
    if form is None:
        form = ReassignForm(item_ids=[], people=people)
    items = selectors.work_list(
        user=request.user,
        supervisor=supervisor,
        holder=holder,
        overdue_only=overdue_only,
        now=now,
    )
    page = Paginator(items, WORK_PAGE_SIZE).get_page(request.GET.get("page"))
    checked = (
        {str(pk) for pk in request.POST.getlist("items")} if form.is_bound else set()
    )
    return TemplateResponse(
        request,
        _partial(request, "staffing/work.html", "work-list"),
        {
            "supervisor": supervisor,
            "form": form,
            "page": page,
            "people": people,
            "holder": holder,
            "overdue_only": overdue_only,
            "checked": checked,
            "now": now,
            "kind": model._meta.verbose_name_plural,
        },
    )


# --- shifts ----------------------------------------------------------------------


@login_required
@require_GET
def my_shifts(request: HttpRequest) -> HttpResponse:
    """A person's week: their booked shifts, the open slots they may book, and any
    shift a supervisor cancelled, with the reason."""
    profile = staff_profile(request.user)
    now = timezone.now()
    monday = _week(request, now)
    return TemplateResponse(
        request,
        "staffing/my_shifts.html",
        {
            "profile": profile,
            "days": selectors.my_week(profile, monday=monday, now=now),
            "hours_booked": services.booked_hours_in_week(
                profile=profile, moment=services.local_midnight(monday)
            ),
            "cancellations": selectors.recent_cancellations(profile, now=now),
            "now": now,
            "today": timezone.localdate(now),
            **_week_nav(monday),
        },
    )


def _back_to_week(name: str, shift: Shift | None, request: HttpRequest) -> HttpResponse:
    url = reverse(name)
    if shift is not None:
        url += f"?week={selectors.monday_of(timezone.localdate(shift.starts_at))}"
    elif request.POST.get("week"):
        url += f"?week={request.POST['week']}"
    return redirect(url)


@login_required
@require_POST
def shift_book(request: HttpRequest, pk: int) -> HttpResponse:
    profile = staff_profile(request.user)
    try:
        shift = services.shift_book(shift_id=pk, profile=profile)
    except StaffingRefused as exc:
        messages.error(request, f"Not booked. {exc}")
        return _back_to_week("staffing:my_shifts", None, request)
    messages.success(request, f"Booked: {shift}.")
    return _back_to_week("staffing:my_shifts", shift, request)


@login_required
@require_POST
def shift_release(request: HttpRequest, pk: int) -> HttpResponse:
    profile = staff_profile(request.user)
    shift = get_object_or_404(Shift, pk=pk, staff=profile)
    try:
        services.shift_release_own(shift=shift, profile=profile)
    except StaffingRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Cancelled your shift {shift}; the slot is open again."
        )
    return _back_to_week("staffing:my_shifts", shift, request)


@login_required
@require_GET
def team_shifts(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    monday = _week(request, timezone.now())
    return TemplateResponse(
        request,
        "staffing/team_shifts.html",
        {
            "supervisor": supervisor,
            "days": selectors.team_week(supervisor, monday=monday),
            "now": timezone.now(),
            "today": timezone.localdate(),
            **_week_nav(monday),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def shifts_publish(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    if supervisor.team is None:
        messages.error(request, "You are not attached to a team to publish slots for.")
        return redirect("staffing:team_shifts")
    form = PublishSlotsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            shifts = services.shifts_publish(
                team=supervisor.team, plan=form.plan(), by=request.user
            )
        except StaffingRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Published {len(shifts)} open slots.")
            return _back_to_week("staffing:team_shifts", shifts[0], request)
    return TemplateResponse(
        request, "staffing/publish.html", {"form": form, "supervisor": supervisor}
    )


@login_required
@require_http_methods(["GET", "POST"])
def shift_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    shift = selectors.get_shift_for_supervisor(supervisor, pk)
    form = CancelShiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.shift_cancel(
                shift=shift, by=request.user, reason=form.cleaned_data["reason"]
            )
        except StaffingRefused as exc:
            form.add_error("reason", str(exc))
        else:
            messages.success(request, f"Cancelled {shift}.")
            return _back_to_week("staffing:team_shifts", shift, request)
    return TemplateResponse(
        request, "staffing/shift_cancel.html", {"form": form, "shift": shift}
    )


# --- team: caps, training, new starters ------------------------------------------


@login_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    return TemplateResponse(
        request,
        "staffing/team.html",
        {
            "supervisor": supervisor,
            "members": selectors.team_overview(supervisor, now=timezone.now()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def hours_cap(request: HttpRequest, pk: int) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    member = selectors.get_member_for_supervisor(supervisor, pk)
    form = HoursCapForm(
        request.POST or None, initial={"new_cap": member.weekly_hours_cap}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.hours_cap_change(
                profile=member,
                new_cap=form.cleaned_data["new_cap"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except StaffingRefused as exc:
            form.add_error("new_cap", str(exc))
        else:
            messages.success(
                request,
                f"{member.user.get_full_name()}'s weekly cap is now "
                f"{form.cleaned_data['new_cap']} hours.",
            )
            return redirect("staffing:team")
    history = (
        HoursCapChange.objects.filter(profile=member)
        .select_related("changed_by")
        .order_by("-changed_at")[:20]
    )
    return TemplateResponse(
        request,
        "staffing/hours_cap.html",
        {"form": form, "member": member, "history": history},
    )


def _training_page(request: HttpRequest, profile, *, for_self: bool) -> HttpResponse:
    if request.method == "POST":
        module = get_object_or_404(
            TrainingModule, pk=request.POST.get("module") or 0, tier=profile.tier
        )
        services.training_complete(profile=profile, module=module)
        messages.success(request, f"Recorded: {module} completed.")
        return redirect(request.get_full_path())
    return TemplateResponse(
        request,
        "staffing/training.html",
        {
            "member": profile,
            "modules": selectors.training_for(profile),
            "for_self": for_self,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_training(request: HttpRequest) -> HttpResponse:
    return _training_page(request, staff_profile(request.user), for_self=True)


@login_required
@require_http_methods(["GET", "POST"])
def member_training(request: HttpRequest, pk: int) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    member = selectors.get_member_for_supervisor(supervisor, pk)
    return _training_page(request, member, for_self=False)


@login_required
@require_http_methods(["GET", "POST"])
def reviews(request: HttpRequest) -> HttpResponse:
    """New starters' calls waiting for review, and the starters to sign off."""
    supervisor = supervisor_profile(request.user)
    return _reviews_page(request, supervisor)


def _reviews_page(
    request: HttpRequest, supervisor, bound: dict[int, ReviewForm] | None = None
) -> HttpResponse:
    queue = list(selectors.review_queue(supervisor)[:50])
    bound = bound or {}
    for review in queue:
        review.form = bound.get(review.pk) or ReviewForm(prefix=f"r{review.pk}")
    return TemplateResponse(
        request,
        "staffing/reviews.html",
        {
            "queue": queue,
            "starters": selectors.new_starters(supervisor),
            "review_calls": settings.TRACING_NEW_STARTER_REVIEW_CALLS,
        },
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    item = selectors.get_review_for_supervisor(supervisor, pk)
    form = ReviewForm(request.POST, prefix=f"r{pk}")
    if form.is_valid():
        try:
            services.call_review_record(
                review=item,
                verdict=form.cleaned_data["verdict"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except StaffingRefused as exc:
            form.add_error("note", str(exc))
    if form.is_valid() and not form.errors:
        item.refresh_from_db()
        if request.htmx:
            return TemplateResponse(
                request, "staffing/reviews.html#reviewed", {"review": item}
            )
        messages.success(request, "Review recorded.")
        return redirect("staffing:reviews")
    if request.htmx:
        item.form = form
        return TemplateResponse(
            request, "staffing/reviews.html#review-row", {"review": item}
        )
    return _reviews_page(request, supervisor, bound={pk: form})


@login_required
@require_POST
def sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    member = selectors.get_member_for_supervisor(supervisor, pk)
    try:
        services.new_starter_sign_off(profile=member, by=request.user)
    except StaffingRefused as exc:
        messages.error(request, f"Not signed off. {exc}")
    else:
        messages.success(
            request,
            f"{member.user.get_full_name()} is signed off: the normal open-work cap "
            "applies from now.",
        )
    return redirect("staffing:reviews")


# --- registrations ---------------------------------------------------------------


@login_required
@require_GET
def registrations(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    today = timezone.localdate()
    return TemplateResponse(
        request,
        "staffing/registrations.html",
        {
            "regs": selectors.registrations(supervisor, today=today),
            "today": today,
            "warning_days": selectors.EXPIRY_WARNING_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def registration_verify(request: HttpRequest, pk: int) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    member = selectors.get_member_for_supervisor(supervisor, pk)
    # A copy, so the bound form's cleaning never touches the profile we pass on.
    form = RegistrationForm(
        request.POST or None,
        instance=selectors.get_member_for_supervisor(supervisor, pk),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.registration_verify(
                profile=member,
                body=form.cleaned_data["registration_body"],
                number=form.cleaned_data["registration_number"],
                expires_on=form.cleaned_data["registration_expires_on"],
                by=request.user,
            )
        except StaffingRefused as exc:
            form.add_error("registration_expires_on", str(exc))
        else:
            messages.success(
                request, f"Verified {member.user.get_full_name()}'s registration."
            )
            return redirect("staffing:registrations")
    return TemplateResponse(
        request, "staffing/registration_verify.html", {"form": form, "member": member}
    )


# --- utilisation -----------------------------------------------------------------


@login_required
@require_GET
def utilisation(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    monday = _week(request, timezone.now())
    return TemplateResponse(
        request,
        "staffing/utilisation.html",
        {
            "u": selectors.utilisation(supervisor, monday=monday),
            "wrap_up_minutes": int(selectors.WRAP_UP.total_seconds() // 60),
            **_week_nav(monday),
        },
    )


@login_required
@require_GET
def utilisation_csv(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    monday = _week(request, timezone.now())
    data = selectors.utilisation(supervisor, monday=monday)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="utilisation-{monday.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "date",
            "username",
            "name",
            "hours_on_shift",
            "calls",
            "talk_minutes",
            "items_completed",
            "idle_share",
        ]
    )

    def line(day: str, username: str, name: str, r: selectors.UtilisationRow) -> list:
        idle = "" if r.idle_share is None else f"{r.idle_share:.2f}"
        return [
            day,
            _csv_safe(username),
            _csv_safe(name),
            f"{r.hours_on_shift:.2f}",
            r.calls,
            f"{r.talk_seconds / 60:.1f}",
            r.items_completed,
            idle,
        ]

    for r in data.rows:
        user = r.profile.user
        writer.writerow(line(r.day.isoformat(), user.username, user.get_full_name(), r))
    for r in data.people:
        user = r.profile.user
        writer.writerow(
            line(
                f"week of {monday.isoformat()}", user.username, user.get_full_name(), r
            )
        )
    writer.writerow(line(f"week of {monday.isoformat()}", "", "Team total", data.team))
    return response


def _csv_safe(text: str) -> str:
    """Stop a spreadsheet reading a name such as '=HYPERLINK(...)' as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
