"""Two-factor sign-in, enforced on every request of the roles that need it."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import SESSION_KEY as USER_ID_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from accounts.policy import two_factor_required as needs_two_factor
from accounts.services import confirmed_device

from ..typed import DRAWS_ITS_FORM, OWNER_KEY, keep_only_typing_of, keep_typed_form

# Signing in, out, the second factor itself, a password reset, and files.
# What a user not past their second factor may still reach: signing in and out,
# giving or setting up the second factor, a forgotten password's reset, and the
# site's files. Not the password change: it is an act of the account, and a password
# alone must not change the password of an account that needs a second factor.
OPEN_PREFIXES = (
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/keep-alive/",
    "/accounts/session-left/",
    "/accounts/two-factor/",
    "/accounts/password/reset/",
    "/static/",
    "/health/",
    "/favicon.ico",
)


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
            page = request.get_full_path()
            if request.method == "POST":
                # A form sent before the second factor was given (their session
                # ended while they typed, and they gave their password again in
                # another tab): kept for them, as on signing in again, and back to
                # the page it was sent from, never the form's address (a 405).
                keep_typed_form(
                    request, owner=str(user.pk), browser=browser_of(request, user.pk)
                )
                page = page_sent_from(request)
            target = reverse(name) + "?" + urlencode({"next": page})
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(target)
            return redirect(target)
        return get_response(request)

    return middleware


def _draws_its_form(request: HttpRequest) -> bool:
    """The address posted to draws its form on a GET too (pages.typed.draws_its_form)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return bool(getattr(match.func, DRAWS_ITS_FORM, False))


def same_site_path(request: HttpRequest, url: str) -> str:
    """The path (and query) of a URL on this site, or "" for anything else (another
    host, or a path a browser would read as one: "//host/", "/\\host/")."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.get_host():
        return ""
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not path.startswith("/") or not url_has_allowed_host_and_scheme(
        path, allowed_hosts={request.get_host()}
    ):
        return ""
    return path


def page_sent_from(request: HttpRequest) -> str:
    """The page a request was sent from (an htmx request's page, else the referring
    page, on this site only), to go back to; for a form posted from an unknown page,
    its own address only if that draws the form on a GET (else a 405), else home."""
    page = (
        same_site_path(request, request.headers.get("HX-Current-URL", ""))
        or same_site_path(request, request.headers.get("Referer", ""))
        or request.get_full_path()
    )
    if (
        request.method == "POST"
        and page == request.get_full_path()
        and not _draws_its_form(request)
    ):
        page = "/"  # a GET of a form's own address would be a 405
    return page


# Who last signed in on this browser: a signed cookie of the browser session, set
# while they are signed in and removed when they sign out. It outlives the session's
# idle end, and its session cookie: the first request after the end (the tab's own
# timer, another tab, the sign-in page) is answered by deleting the session cookie,
# so a form sent after it would otherwise be a stranger's, its typing lost.
TYPIST_COOKIE = "typist"
TYPIST_SALT = "pages.accounts.typist"
# As long as a working day: a tab left open overnight is a stranger's by morning.
TYPIST_SECONDS = 12 * 60 * 60


def _typist(request: HttpRequest) -> str | None:
    """The id of the user the typist cookie names (signed by the site, so never a
    stranger's making), or None."""
    value = request.get_signed_cookie(
        TYPIST_COOKIE, default=None, salt=TYPIST_SALT, max_age=TYPIST_SECONDS
    )
    return value or None


def _typist_named(request: HttpRequest, response: HttpResponse) -> None:
    """While someone is signed in, the browser's typist cookie names them; once they
    sign out, it names no one."""
    if request.path.startswith("/api/"):
        return  # an integration's token is no one at a browser
    user = getattr(request, "user", None)
    if request.path == reverse("logout") and request.method == "POST":
        if TYPIST_COOKIE in request.COOKIES:
            response.delete_cookie(TYPIST_COOKIE, samesite="Lax")
        return
    if user is None or not user.is_authenticated or _typist(request) == str(user.pk):
        return
    response.set_signed_cookie(
        TYPIST_COOKIE,
        str(user.pk),
        salt=TYPIST_SALT,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def ended_session_owner(request: HttpRequest) -> str | None:
    """The id of the user whose session ended in this browser, or None (a stranger,
    a made-up cookie, someone who signed out).

    Either the session already keeps typing of theirs (a second form sent after the
    first), or the browser's typist cookie names them (set while they were signed
    in), or the browser still sends the cookie of their ended session, whose row is
    kept until the beat clears expired sessions (accounts.tasks)."""
    if owner := request.session.get(OWNER_KEY):
        return str(owner)
    if typist := _typist(request):
        return typist
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    store = type(request.session)
    if not key or not hasattr(store, "get_model_class"):
        return None  # only a session kept in rows outlives its end
    row = store.get_model_class().objects.filter(session_key=key).first()
    if row is None:
        return None
    owner = store().decode(row.session_data).get(USER_ID_KEY)
    return str(owner) if owner else None


def browser_of(request: HttpRequest, owner: object) -> str | None:
    """What this browser sends that names `owner`, the same in every request it sends
    at one moment (pages.typed keeps the forms of them all together under it): the
    typist cookie naming them, else the session cookie (of their ended session, or of
    the session still to be given its second factor); None for neither."""
    if _typist(request) == str(owner):
        return request.COOKIES[TYPIST_COOKIE]
    return request.COOKIES.get(settings.SESSION_COOKIE_NAME) or None


def sent_to_sign_in(request: HttpRequest) -> HttpResponse:
    """To sign in, then back to the page the request came from; a form posted keeps
    its typing for the person whose session ended (none for a stranger)."""
    page = page_sent_from(request)
    if request.method == "POST" and (owner := ended_session_owner(request)):
        keep_typed_form(request, owner=owner, browser=browser_of(request, owner))
    expired = settings.SESSION_COOKIE_NAME in request.COOKIES
    query = {"next": page, **({"expired": "1"} if expired else {})}
    target = reverse("login") + "?" + urlencode(query)
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(target)
    return redirect(target)


def signed_out_gracefully(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """When a request needs sign-in and the session has ended, send the browser to
    sign in and back to the page it was on, never to the address a form posts to.

    - An htmx request (a panel updating in place) gets a redirect of the whole page
      (HX-Redirect), not a sign-in page drawn inside the panel.
    - A form posted after the session ended keeps what was typed, for the person
      whose session it was: the fields are kept in the new session (it survives
      signing in) for the page to put back, forms sent at the same moment all
      gathered into the one the browser keeps (pages.typed), and after signing in the browser returns
      to the page, not to the form's address (a GET there would be a 405). A
      stranger's post keeps nothing, and makes no session.
    - Whoever signs in keeps only typing of their own: someone else signing in on
      that browser never sees it.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        signed_in_before = request.user.is_authenticated
        response = get_response(request)
        if not signed_in_before and request.user.is_authenticated:
            keep_only_typing_of(request, request.user)  # signed in just now
        _typist_named(request, response)
        if (
            response.status_code != 302
            or request.user.is_authenticated
            # Signing out is no session that ended (its message says so).
            or request.path == reverse("logout")
            or (
                not response.get("Location", "").startswith(str(settings.LOGIN_URL))
                and not response.get("Location", "").startswith(reverse("login"))
            )
        ):
            return response
        return sent_to_sign_in(request)

    return middleware


TOUCHED = "_touched"


# A request a page makes by itself (the dashboard's board, every minute) says so with
# this header (hx-headers on the element): it is not the person at work.
BACKGROUND_HEADER = "X-Background"


def not_by_the_person(request: HttpRequest) -> bool:
    """A page's own refresh, or a tab asking how long the session has left: neither
    keeps an idle session going (an open dashboard kept its supervisor signed in for
    good)."""
    return bool(request.headers.get(BACKGROUND_HEADER)) or (
        request.path == reverse("session_left")
    )


def seconds_left(session) -> int:
    """The seconds an idle session has left, from when it was last touched (to within
    SESSION_TOUCH_SECONDS); a session never touched yet has just begun."""
    touched = int(session.get(TOUCHED, 0))
    if not touched:
        return int(settings.SESSION_COOKIE_AGE)
    return max(0, int(settings.SESSION_COOKIE_AGE) - (int(time.time()) - touched))


def session_touched(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """An idle session's expiry pushed on, without writing the session on every
    request: it is saved (and its expiry moved) only when it changed, or when it was
    last touched SESSION_TOUCH_SECONDS ago or more. So a session ends after
    SESSION_COOKIE_AGE of idleness, to within that many seconds, and a page view costs
    no session write. (Listed after SessionMiddleware: its save runs after this.)"""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        session = getattr(request, "session", None)
        if not_by_the_person(request):
            return response
        # Only an existing session (not a visitor's first request, not one just
        # ended by signing out): touching would otherwise make one.
        if session is not None and session.session_key and not session.modified:
            now = int(time.time())
            if now - int(session.get(TOUCHED, 0)) >= settings.SESSION_TOUCH_SECONDS:
                session[TOUCHED] = now
        return response

    return middleware


def not_kept_in_caches(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Nothing the service answers is kept by a browser or a proxy, unless the answer
    says otherwise (the site's files, served before this by WhiteNoise, say how long
    they keep): a case page, a search or an export stays off a shared computer's disk,
    and Back after signing out does not show it again."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response

    return middleware
