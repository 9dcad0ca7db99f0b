"""Each role's landing page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from staffing.access import profile_of
from staffing.models import Tier


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Caseworkers and call handlers go straight to their queue, national supervisors
    to their dashboard, local teams to their escalation queue; others get the links
    they have."""
    profile = profile_of(request.user)
    if profile is not None and profile.tier in (Tier.CLINICAL, Tier.CALL_HANDLER):
        return redirect(
            "staffing:dashboard" if profile.is_supervisor else "cases:queue"
        )
    if profile is not None and profile.tier == Tier.LOCAL:
        return redirect("escalations:queue")
    return TemplateResponse(request, "home.html", {"profile": profile})
