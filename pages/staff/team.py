"""A supervisor's team: caps, training, new starters' reviews, registrations; and a
member's own training page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import audit_list_view
from staffing import services
from staffing.access import staff_profile, supervisor_profile
from staffing.models import HoursCapChange, StaffProfile, TrainingModule
from staffing.selectors import members, my_record, training
from staffing.selectors import registrations as registration_reads
from staffing.selectors import reviews as review_reads
from staffing.services import StaffingRefused
from work import workload
from work.queues import not_ready_for_work
from work.sent_twice import cap_just_changed

from ..typed import draws_its_form, put_typing_back
from .forms import HoursCapForm, RegistrationForm, ReviewForm


@login_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    return TemplateResponse(
        request,
        "staffing/team.html",
        {
            "supervisor": supervisor,
            "members": workload.team_overview(supervisor, now=timezone.now()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@draws_its_form
def hours_cap(request: HttpRequest, pk: int) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    # The version is read before the cap it goes with: a change made in between is
    # then refused as made since (told), never taken as seen.
    version = services.hours_cap_version(pk)
    member = members.get_member_for_supervisor(supervisor, pk)
    form = HoursCapForm(
        request.POST or None,
        initial={"new_cap": member.weekly_hours_cap, "shown_version": ""},
    )
    # Typing put back after signing in again keeps the version it was typed against
    # (none, from a page that did not carry it: refused, telling the cap now); a
    # page drawn fresh shows the cap in force.
    if request.method == "GET" and not put_typing_back(
        request, form, action=request.path
    ):
        form.initial["shown_version"] = version
    if request.method == "POST" and form.is_valid():
        try:
            services.hours_cap_change(
                profile=member,
                new_cap=form.cleaned_data["new_cap"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                shown_version=form.cleaned_data["shown_version"],
            )
        except services.CapChangedSince as exc:
            # Nothing saved: the typing drawn again beside the cap now, the form now
            # showing its version (sent again once seen, it is taken).
            member.weekly_hours_cap = exc.cap
            form.showing(exc.version)
            form.add_error("new_cap", str(exc))
        except StaffingRefused as exc:
            if not cap_just_changed(
                request.user,
                member,
                new_cap=form.cleaned_data["new_cap"],
                reason=form.cleaned_data["reason"],
            ):
                form.add_error("new_cap", str(exc))
            else:
                # The form sent twice (a double click without JavaScript): saved,
                # as the first sending said.
                messages.success(
                    request,
                    f"{member.user.get_full_name()}'s weekly cap is now "
                    f"{form.cleaned_data['new_cap']} hours (it was sent twice, and "
                    "saved once).",
                )
                return redirect("staffing:team")
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
        {
            "form": form,
            "member": member,
            "history": history,
            "ceiling": settings.TRACING_WEEKLY_HOURS_CEILING,
        },
    )


def _module_id(value: str | None) -> int | None:
    """The training module a form names: a positive id, else None."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number < 2**63 else None


def _training_page(request: HttpRequest, profile, *, for_self: bool) -> HttpResponse:
    status = 200
    if request.method == "POST":
        module_id = _module_id(request.POST.get("module"))
        if module_id is None:
            messages.error(
                request,
                "Nothing was recorded: the form did not say which module was "
                "completed. Choose the module's button in the list below.",
            )
            status = 400
        else:
            module = get_object_or_404(TrainingModule, pk=module_id, tier=profile.tier)
            services.training_complete(profile=profile, module=module, by=request.user)
            messages.success(request, f"Recorded: {module} completed.")
            return redirect(request.get_full_path())
    context = {
        "member": profile,
        "modules": training.training_for(profile),
        "for_self": for_self,
    }
    if for_self:
        context |= _own_record(profile)
        # Training is not all: a registration waiting for the supervisor is said too.
        context["holdups"] = not_ready_for_work(request.user, now=timezone.now())
    return TemplateResponse(request, "staffing/training.html", context, status=status)


def _own_record(profile: StaffProfile) -> dict[str, object]:
    """What supervisors recorded about the member, for their own page: the reviews
    of their calls (and whether they are signed off), the changes to their cap."""
    return {
        "reviews": my_record.my_call_reviews(profile),
        "review_calls": settings.TRACING_NEW_STARTER_REVIEW_CALLS,
        "cap_changes": my_record.my_cap_changes(profile),
    }


@login_required
@require_http_methods(["GET", "POST"])
def my_training(request: HttpRequest) -> HttpResponse:
    return _training_page(request, staff_profile(request.user), for_self=True)


@login_required
@require_http_methods(["GET", "POST"])
def member_training(request: HttpRequest, pk: int) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    member = members.get_member_for_supervisor(supervisor, pk)
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
    queue = list(review_reads.review_queue(supervisor)[:50])
    if bound is None:
        # Each call shows the person called and the notes: a read of each person,
        # as any list is. A refused review shows the page again, already audited.
        audit_list_view(
            user=request.user,
            items=[review.call for review in queue],
            via="page",
            list_name="calls for review",
            person_of=lambda call: call.item.person_id,  # case or contact joined
        )
    bound = bound or {}
    for review in queue:
        review.form = bound.get(review.pk)
        if review.form is None:
            review.form = ReviewForm(prefix=f"r{review.pk}")
            # A review sent after the session ended: what was typed, once.
            if request.method == "GET":
                action = reverse("staffing:review", args=[review.pk])
                put_typing_back(request, review.form, action=action)
    return TemplateResponse(
        request,
        "staffing/reviews.html",
        {
            "queue": queue,
            "starters": review_reads.new_starters(supervisor),
            "review_calls": settings.TRACING_NEW_STARTER_REVIEW_CALLS,
        },
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    item = review_reads.get_review_for_supervisor(supervisor, pk)
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
    member = members.get_member_for_supervisor(supervisor, pk)
    try:
        signed = services.new_starter_sign_off(profile=member, by=request.user)
    except StaffingRefused as exc:
        messages.error(request, f"Not signed off. {exc}")
    else:
        messages.success(
            request,
            f"{member.user.get_full_name()} is signed off with "
            f"{signed.calls_reviewed} of the usual "
            f"{settings.TRACING_NEW_STARTER_REVIEW_CALLS} of their calls reviewed: "
            "the normal open-work cap applies from now.",
        )
    return redirect("staffing:reviews")


@login_required
@require_GET
def registrations(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    today = timezone.localdate()
    return TemplateResponse(
        request,
        "staffing/registrations.html",
        {
            "regs": registration_reads.registrations(supervisor, today=today),
            "today": today,
            "warning_days": registration_reads.EXPIRY_WARNING_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@draws_its_form
def registration_verify(request: HttpRequest, pk: int) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    member = members.get_member_for_supervisor(supervisor, pk)
    # A copy, so the bound form's cleaning never touches the profile we pass on.
    form = RegistrationForm(
        request.POST or None,
        instance=members.get_member_for_supervisor(supervisor, pk),
    )
    if request.method == "GET":
        put_typing_back(request, form, action=request.path)
    if request.method == "POST" and form.is_valid():
        try:
            verified = services.registration_verify(
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
            # Shifts booked past the expiry were let go: said, so the gap is seen.
            if shifts_said := verified.shifts_said():
                messages.warning(request, shifts_said)
            return redirect("staffing:registrations")
    return TemplateResponse(
        request, "staffing/registration_verify.html", {"form": form, "member": member}
    )
