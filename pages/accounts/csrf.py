"""The answer to a form refused for its token (settings.CSRF_FAILURE_VIEW).

Signing in gives the browser a new token, so a form in a tab opened before signing in
again (in another tab) carries the old one, and so do that tab's htmx requests (the
token is in the page's hx-headers). That is no attack: the person is signed in, the
page was theirs. What they typed is kept, as when a session ends mid-form, and they
are sent back to the page to check it and send it again. Anyone else gets the site's
own 403 page, and the API its JSON."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect

from ..errors import API_PREFIX, forbidden
from ..typed import keep_typed_form
from .middleware import ended_session_owner, page_sent_from

STALE_PAGE = (
    "What you sent was not saved: the page was from before you signed in again. "
    "Check it and send it again."
)
REFUSED = (
    "This form was sent without the token that shows it came from this service's "
    "own page (the browser may have cleared its cookies). Reload the page, then "
    "send it again."
)


def _token_out_of_date(request: HttpRequest, reason: str) -> bool:
    """Refused only for a token not matching the browser's (CsrfViewMiddleware's
    "CSRF token from POST incorrect.", or from the header): its origin, when the
    browser said it, was checked first and is this site's; and the browser did not
    say the request came from another site. A token missing, malformed or from
    elsewhere is no page gone out of date."""
    return (
        reason.startswith("CSRF token from ")
        and reason.endswith(" incorrect.")
        and request.headers.get("Sec-Fetch-Site", "same-origin") == "same-origin"
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        # As Django REST framework words its own (its views check their tokens).
        return JsonResponse({"detail": f"CSRF Failed: {reason}"}, status=403)
    user = getattr(request, "user", None)
    if user is None or not _token_out_of_date(request, reason):
        return forbidden(request, REFUSED)
    if not user.is_authenticated:
        if ended_session_owner(request) is None:
            return forbidden(request, REFUSED)
        # Their session ended too: to sign in, the typing kept, as for any other
        # request of an ended session (pages.accounts.middleware).
        return redirect_to_login(request.get_full_path())
    page = page_sent_from(request)
    keep_typed_form(request, owner=str(user.pk))
    messages.warning(request, STALE_PAGE)
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(page)
    return redirect(page)
