"""Two-factor sign-in, enforced on every request of the roles that need it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from accounts.policy import two_factor_required as needs_two_factor
from accounts.services import confirmed_device

# Signing in, out, the second factor itself, a password reset, and files.
OPEN_PREFIXES = ("/accounts/", "/static/", "/health/", "/favicon.ico")


def two_factor_required(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A signed-in user whose role needs a second factor, and who has not given it in
    this session, is sent to give it (or to enrol), then back to where they were.

    API clients with a token are not sessions and pass; staff using the API in their
    browser session get a JSON 403 until they have given it.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()  # type: ignore[union-attr]
            and not request.path.startswith(OPEN_PREFIXES)
            and needs_two_factor(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": "Sign in with your second factor first: "
                        "your role needs two-factor sign-in."
                    },
                    status=403,
                )
            name = "two_factor" if confirmed_device(user) else "two_factor_setup"
            target = reverse(name) + "?" + urlencode({"next": request.get_full_path()})
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(target)
            return redirect(target)
        return get_response(request)

    return middleware
