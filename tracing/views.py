from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from staffing.access import profile_of
from staffing.models import Tier


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's landing page: caseworkers and call handlers go straight to their
    queue, national supervisors to their dashboard; others get the links they have."""
    profile = profile_of(request.user)
    if profile is not None and profile.tier in (Tier.CLINICAL, Tier.CALL_HANDLER):
        return redirect(
            "staffing:dashboard" if profile.is_supervisor else "cases:queue"
        )
    if profile is not None and profile.tier == Tier.LOCAL:
        return redirect("escalations:queue")
    return TemplateResponse(request, "home.html", {"profile": profile})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
