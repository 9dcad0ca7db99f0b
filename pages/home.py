"""Each role's landing page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from staffing.access import profile_of
from staffing.models import Tier
from work.queues import NO_STAFF_PROFILE_YET, not_ready_for_work


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Caseworkers and call handlers go straight to their queue, national supervisors
    to their dashboard, local teams to their escalation queue; others get the links
    they have.

    A caseworker or call handler who cannot be given work yet (training not done, a
    registration not verified) stays here instead, on the list of what holds them up
    and who puts each right: their queue would only be empty, and a new starter is to
    learn it before their first shift, not at it."""
    profile = profile_of(request.user)
    holdups = []
    if profile is not None and profile.tier in (Tier.CLINICAL, Tier.CALL_HANDLER):
        if profile.is_supervisor:
            return redirect("staffing:dashboard")
        holdups = not_ready_for_work(request.user, now=timezone.now())
        if not holdups:
            return redirect("cases:queue")
    if profile is not None and profile.tier == Tier.LOCAL:
        return redirect("escalations:queue")
    return TemplateResponse(
        request,
        "home.html",
        {
            "profile": profile,
            "holdups": holdups,
            "no_staff_profile_yet": NO_STAFF_PROFILE_YET,
        },
    )
