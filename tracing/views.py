from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from staffing.access import profile_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's landing page."""
    return TemplateResponse(request, "home.html", {"profile": profile_of(request.user)})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
