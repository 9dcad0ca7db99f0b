"""Shifts: a person's own week, booking and giving back slots; the team's week,
publishing slots and cancelling shifts (supervisors)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clock import local_midnight, monday_of
from staffing import services
from staffing.access import staff_profile, supervisor_profile
from staffing.models import Shift
from staffing.selectors import rota
from staffing.services import OverWeeklyCap, StaffingRefused, hours_as_read
from work.queues import not_ready_for_work

from ..typed import draws_its_form, put_typing_back
from .forms import CancelShiftForm, PublishSlotsForm
from .weeks import _week, _week_nav


@login_required
@require_GET
def my_shifts(request: HttpRequest) -> HttpResponse:
    """A person's week: their booked shifts, the open slots they may book, any
    shift a supervisor cancelled, with the reason, and what still holds them up from
    being given work on the shifts they book (training, registration)."""
    profile = staff_profile(request.user)
    now = timezone.now()
    today = timezone.localdate(now)
    monday = _week(request, now)
    # Said ahead: a registration running out before the week shown ends leaves the
    # days after it unbookable (one run out already is a hold-up, said below).
    runs_out_on = services.registration_runs_out_before(
        profile=profile, ends_at=local_midnight(monday + timedelta(days=7))
    )
    return TemplateResponse(
        request,
        "staffing/my_shifts.html",
        {
            "profile": profile,
            "registration_runs_out_on": (
                runs_out_on
                if runs_out_on is not None and runs_out_on >= today
                else None
            ),
            "days": rota.my_week(profile, monday=monday, now=now),
            "hours_booked": rota.booked_hours_in_week(
                profile=profile, moment=local_midnight(monday)
            ),
            "cancellations": rota.recent_cancellations(profile, now=now),
            "holdups": not_ready_for_work(request.user, now=now),
            "ceiling": settings.TRACING_WEEKLY_HOURS_CEILING,
            "min_rest_hours": services.min_rest().total_seconds() / 3600,
            "now": now,
            "today": today,
            **_week_nav(monday),
        },
    )


def _back_to_week(name: str, shift: Shift | None, request: HttpRequest) -> HttpResponse:
    url = reverse(name)
    if shift is not None:
        url += f"?week={monday_of(timezone.localdate(shift.starts_at))}"
    elif request.POST.get("week"):
        url += f"?week={request.POST['week']}"
    return redirect(url)


@login_required
@require_POST
def shift_book(request: HttpRequest, pk: int) -> HttpResponse:
    """Book an open slot. Past the weekly cap the page asks first: a warning with
    "Book anyway", which posts again with `confirm_over_cap`."""
    profile = staff_profile(request.user)
    confirmed = request.POST.get("confirm_over_cap") == "1"
    try:
        shift = services.shift_book(
            shift_id=pk, profile=profile, confirm_over_cap=confirmed
        )
    except OverWeeklyCap as warning:
        slot = get_object_or_404(Shift, pk=pk)
        return TemplateResponse(
            request,
            "staffing/shift_book_confirm.html",
            {
                "slot": slot,
                "warning": warning,
                "profile": profile,
                "monday": monday_of(timezone.localdate(slot.starts_at)),
                "ceiling": settings.TRACING_WEEKLY_HOURS_CEILING,
            },
        )
    except StaffingRefused as exc:
        messages.error(request, f"Not booked. {exc}")
        return _back_to_week("staffing:my_shifts", None, request)
    total = rota.booked_hours_in_week(profile=profile, moment=shift.starts_at)
    if total > profile.weekly_hours_cap:
        messages.success(
            request,
            f"Booked: {shift}. You are booked for {hours_as_read(total)} hours that week, over "
            f"your weekly cap of {profile.weekly_hours_cap}.",
        )
    else:
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
            "days": rota.team_week(supervisor, monday=monday),
            "now": timezone.now(),
            "today": timezone.localdate(),
            **_week_nav(monday),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@draws_its_form
def shifts_publish(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    if supervisor.team is None:
        messages.error(request, "You are not attached to a team to publish slots for.")
        return redirect("staffing:team_shifts")
    # A POST is always bound: an empty one shows what each field needs.
    form = PublishSlotsForm(request.POST if request.method == "POST" else None)
    if not form.is_bound:
        put_typing_back(request, form, action=request.path)
    if form.is_bound and form.is_valid():
        try:
            shifts = services.shifts_publish(
                team=supervisor.team,
                plan=form.plan(),
                by=request.user,
                publication=form.cleaned_data["submission"],
            )
        except StaffingRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Published {len(shifts)} open slots.")
            return _back_to_week("staffing:team_shifts", shifts[0], request)
    return TemplateResponse(
        request, "staffing/publish.html", {"form": form, "supervisor": supervisor}
    )


def _shift_as_shown(request: HttpRequest) -> services.ShiftAsShown | None:
    """The holder and status the cancel page was drawn with (its hidden fields)."""
    return services.ShiftAsShown.sent(request.POST)


def _cancelled_said(shift: Shift, cancelled: Shift) -> str:
    """What the supervisor is told of a cancellation: `shift` the one they opened,
    `cancelled` the row the service cancelled."""
    if cancelled.pk == shift.pk:
        if cancelled.staff_id is None:
            return f"Withdrew the open slot {cancelled}."
        return f"Cancelled {cancelled}."
    if cancelled.staff_id is None:
        return (
            f"Withdrew an open slot {cancelled}: the one you opened has been booked "
            "since, so an identical open one was withdrawn instead."
        )
    ended = timezone.localtime(cancelled.starts_at)
    return (
        f"The shift {shift} had already started, so it was cut short at "
        f"{ended:%H:%M}: the hours worked until then stay booked, and the rest is "
        "cancelled."
    )


@login_required
@require_http_methods(["GET", "POST"])
@draws_its_form
def shift_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a booked shift or withdraw an open slot. The page carries the holder
    and status it showed; if the shift has changed hands since, nothing is
    cancelled and the page is drawn again as the shift now stands."""
    supervisor = supervisor_profile(request.user)
    shift = rota.get_shift_for_supervisor(supervisor, pk)
    form = CancelShiftForm(request.POST if request.method == "POST" else None)
    if not form.is_bound:
        put_typing_back(request, form, action=request.path)
    if form.is_bound and form.is_valid():
        try:
            cancelled = services.shift_cancel(
                shift=shift,
                by=request.user,
                reason=form.cleaned_data["reason"],
                shown=_shift_as_shown(request),
            )
        except StaffingRefused as exc:
            form.add_error("reason", str(exc))
            shift = rota.get_shift_for_supervisor(supervisor, pk)
        else:
            messages.success(request, _cancelled_said(shift, cancelled))
            return _back_to_week("staffing:team_shifts", shift, request)
    now = timezone.now()
    return TemplateResponse(
        request,
        "staffing/shift_cancel.html",
        {
            "form": form,
            "shift": shift,
            "under_way": shift.status == Shift.Status.BOOKED
            and shift.starts_at < now < shift.ends_at,
            "now": now,
        },
    )
