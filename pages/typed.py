"""Typing kept across a sign-in: a form posted after the session ended is kept in the
new (anonymous) session, which Django carries over when the person signs in again, so
the page can put the typing back into its form.

It is kept for the person whose session ended, and only for them (someone else
signing in on that browser never sees it), and only so much: KEPT_MOST in all, far
more than any form's typing (long clinical notes are kept whole).

Forms sent at the same moment (a button clicked as leaving a box sends its draft)
carry the same ended session's cookie: each is answered with a new session of its
own, and the browser keeps only the last. So each form is also kept in the shared
cache, under the browser (what it sends that names the person: their typist cookie,
else the ended session's cookie), and every session made for it points there; on
signing in again, or when the page asks, the forms of them all are gathered into the
one session the browser kept. While the cache cannot be reached, each form is kept in
its own session only, as before: a form sent alone still comes back, and of forms
sent at the same moment only the one whose session the browser kept (logged, once a
minute)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, QueryDict
from django.utils.crypto import salted_hmac

from clock.windows import CacheOutage

logger = logging.getLogger(__name__)

SESSION_KEY = "typed_forms"
# Whose typing it is: the id of the user whose session ended (as the session keeps
# it, a string).
OWNER_KEY = "typed_forms_by"
# Where in the shared cache the other forms sent by this browser are kept (a digest of
# what the browser sends, never the cookie itself), and until when (seconds since the
# epoch): after that, nothing is left there to gather.
KEEPER_KEY = "typed_forms_kept"
# What the page says when it puts the typing back.
TYPING_BACK = (
    "You were signed out before your changes were saved. What you typed is back in "
    "the form: check it and save it again."
)
# Never kept: the token of the old session, and anything secret.
LEFT_OUT = {
    "csrfmiddlewaretoken",
    "password",
    "old_password",
    "new_password1",
    "new_password2",
    "code",
}
# The most kept in one session, all forms together (bytes of names and values): far
# more than anyone types (a risk assessment's clinical notes have no limit, and were
# blanked when a field over 16,000 characters was left out), while a session row
# stays bounded. Only someone signed in on this browser before has typing kept
# (pages.accounts.middleware.ended_session_owner), never a stranger.
KEPT_MOST = 1024 * 1024


def _size(data: dict[str, list[str]]) -> int:
    return sum(
        len(key.encode()) + sum(len(value.encode()) for value in values)
        for key, values in data.items()
    )


# The account's own forms (signing in, a code, a password) are never kept, even in a
# session: what they hold is secret, and they are no work to lose.
ACCOUNT_FORMS = "/accounts/"


# The most forms kept in the cache for one browser (each also within KEPT_MOST, and
# all of them together too): a page has a handful.
KEPT_FORMS_MOST = 50

# After a cache failure, forms are kept in their own sessions only (per process) for
# this long before the cache is tried again.
outage = CacheOutage(
    retry_after=5.0,
    log_interval=60.0,
    logger=logger,
    message="Forms sent at the same moment after a session ended are kept apart",
)


def _fitted(
    fields: Iterable[tuple[str, list[str]]], room: int
) -> tuple[dict[str, list[str]], int]:
    """The fields, in order, while they fit in `room` (bytes); and the room left."""
    data: dict[str, list[str]] = {}
    for key, values in fields:
        size = _size({key: values})
        if size <= room:
            data[key] = values
            room -= size
    return data, room


def keep_typed_form(
    request: HttpRequest, *, owner: str, browser: str | None = None
) -> None:
    """Keep the form this request posts (to its own address) for `owner` (a user's
    id) to have back once they are signed in again: its fields in order while they
    fit, KEPT_MOST in all with the other forms kept; never files (not in
    request.POST) nor secrets. Typing kept for anyone else is dropped first. Not a
    POST, or one of the account's own forms: nothing to keep.

    `browser` is what this browser sends that names the owner (the typist cookie,
    else the ended session's cookie; by default its session cookie): forms sent at
    the same moment send the same, so each is kept in the cache under it too, for
    them all to be gathered into the session the browser keeps (gather_typing)."""
    if request.method != "POST" or request.path.startswith(ACCOUNT_FORMS):
        return
    action = request.path
    session = request.session
    if browser is None:
        browser = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session.get(OWNER_KEY) not in (None, owner):
        forget_typing(request)
    kept = session.get(SESSION_KEY) or {}
    keeper = _keeper(session, owner=owner, browser=browser)
    kept.pop(action, None)
    room = KEPT_MOST - sum(_size(data) for data in kept.values())
    data, _ = _fitted(
        (
            (key, request.POST.getlist(key))
            for key in request.POST
            if key not in LEFT_OUT
        ),
        room,
    )
    if data:
        kept[action] = data
        if keeper is not None:
            _kept_in_cache(keeper, owner=owner, action=action, data=data)
    if kept:
        session[SESSION_KEY] = kept
        session[OWNER_KEY] = owner
    elif keeper is None:
        forget_typing(request)
        return
    else:
        # Nothing of this form, but the session the browser keeps may be this one:
        # it still points to the forms sent with it.
        session.pop(SESSION_KEY, None)
        session[OWNER_KEY] = owner
    if keeper is not None:
        session[KEEPER_KEY] = [keeper, int(time.time()) + _kept_seconds()]


def _kept_seconds() -> int:
    """As long as the anonymous session the form is kept in lasts."""
    return int(settings.SESSION_COOKIE_AGE)


def _keeper(session: Any, *, owner: str, browser: str | None) -> str | None:
    """Where this browser's forms are kept in the cache: where this session already
    points (a form sent after another was kept in it), else a digest of what the
    browser sends; None when it sends nothing that names the owner."""
    if session.get(OWNER_KEY) == owner and (pointer := _pointer(session)):
        return pointer
    if not browser:
        return None
    digest = salted_hmac("pages.typed.keeper", f"{owner}:{browser}", algorithm="sha256")
    return digest.hexdigest()[:40]


def _pointer(session: Any) -> str | None:
    """Where the forms kept with this session's are in the cache, while any may be."""
    pointer = session.get(KEEPER_KEY)
    if not pointer:
        return None
    keeper, until = pointer
    if int(time.time()) >= int(until):
        del session[KEEPER_KEY]
        return None
    return str(keeper)


def _cache_key(keeper: str, part: str | int) -> str:
    return f"typed_forms:{keeper}:{part}"


def _counted(key: str, by: int) -> int:
    """Add `by` to the count at `key` (kept as long as kept typing is); the count.
    Raises whatever the cache raises."""
    seconds = _kept_seconds()
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key, by)
    except ValueError:  # it ran out between add and incr
        cache.add(key, 0, seconds)
        count = cache.incr(key, by)
    cache.touch(key, seconds)  # outlives every form counted in it
    return int(count)


def _kept_in_cache(
    keeper: str, *, owner: str, action: str, data: dict[str, list[str]]
) -> None:
    """One form in the browser's next place in the cache, while the browser is within
    KEPT_FORMS_MOST forms and KEPT_MOST bytes there (beyond: in its session only)."""
    if outage.skip_cache():
        return
    try:
        place = _counted(_cache_key(keeper, "count"), 1)
        size = _counted(_cache_key(keeper, "bytes"), _size(data))
        if place <= KEPT_FORMS_MOST and size <= KEPT_MOST:
            cache.set(_cache_key(keeper, place), (owner, action, data), _kept_seconds())
    except Exception as exc:  # any cache failure: kept in its session only
        outage.failed(exc)


def _taken_from_cache(keeper: str) -> list[tuple[str, str, dict[str, list[str]]]]:
    """The forms kept in the cache under `keeper`, in the order they were kept, now
    removed from it; none while the cache cannot be reached."""
    if outage.skip_cache():
        return []
    try:
        count = cache.get(_cache_key(keeper, "count")) or 0
        places = [_cache_key(keeper, place) for place in range(1, int(count) + 1)]
        found = cache.get_many(places)
        cache.delete_many(
            [*places, _cache_key(keeper, "count"), _cache_key(keeper, "bytes")]
        )
    except Exception as exc:  # any cache failure: the session's own forms only
        outage.failed(exc)
        return []
    return [found[place] for place in places if place in found]


def gather_typing(request: HttpRequest) -> None:
    """Into this session, the forms its browser sent at the same moment (kept in the
    cache, each with a session of its own that the browser did not keep), for the
    owner of this session's typing only; KEPT_MOST in all, the latest of each form."""
    session = request.session
    keeper = _pointer(session)
    owner = session.get(OWNER_KEY)
    if keeper is None or owner is None:
        return
    del session[KEEPER_KEY]
    forms_kept = dict(session.get(SESSION_KEY) or {})
    for kept_for, action, data in _taken_from_cache(keeper):
        if kept_for == owner:
            forms_kept.pop(action, None)
            forms_kept[action] = data  # later than the session's copy
    room = KEPT_MOST
    kept: dict[str, dict[str, list[str]]] = {}
    for action, data in reversed(forms_kept.items()):  # the latest first
        fitted, room = _fitted(data.items(), room)
        if fitted:
            kept[action] = fitted
    if kept:
        session[SESSION_KEY] = kept
    else:
        forget_typing(request)


def forget_typing(request: HttpRequest) -> None:
    """Drop the typing kept in this session, and the forms it points to in the cache
    (unread: they are dropped too)."""
    if keeper := _pointer(request.session):
        _taken_from_cache(keeper)
    for key in (SESSION_KEY, OWNER_KEY, KEEPER_KEY):
        if key in request.session:
            del request.session[key]


def keep_only_typing_of(request: HttpRequest, user: Any) -> None:
    """On signing in: the typing kept in the session stays only if it is this user's
    (their session ended, they signed in again), gathered with the forms sent at the
    same moment; anyone else's, or typing kept for no one, is dropped unseen."""
    owner = request.session.get(OWNER_KEY)
    kept = SESSION_KEY in request.session or KEEPER_KEY in request.session
    if kept and (owner is None or owner != str(user.pk)):
        forget_typing(request)
    else:
        gather_typing(request)


def typed_form(request: HttpRequest, *, action: str) -> QueryDict | None:
    """The typing kept for the form that posts to `action`, once (then forgotten);
    nothing when it was kept for someone other than the user signed in."""
    owner = request.session.get(OWNER_KEY)
    user = getattr(request, "user", None)
    if owner is not None and user is not None and owner != str(user.pk):
        forget_typing(request)
        return None
    gather_typing(request)
    kept = request.session.get(SESSION_KEY) or {}
    data = kept.pop(action, None)
    if data is None:
        return None
    request.session[SESSION_KEY] = kept
    typed = QueryDict(mutable=True)
    for key, values in data.items():
        typed.setlist(key, values)
    return typed


def typed_value(data: Any, key: str) -> str:
    """One value of a posted form as typed, to draw into the form again or keep in a
    draft: whole (the form says what is too long), without NUL characters, which no
    field accepts and a draft (PostgreSQL's jsonb) cannot hold."""
    return str(data.get(key, "")).replace("\x00", "")


View = TypeVar("View", bound=Callable[..., Any])
DRAWS_ITS_FORM = "draws_its_form_on_get"


def draws_its_form(view: View) -> View:
    """Marks a view whose address draws its form on a GET as well as taking it on a
    POST: after signing in again the browser comes back to that address, where the
    typing is put back (put_typing_back), rather than to the home page. Put it next
    to `def` (the decorators above it carry the mark: functools.wraps)."""
    setattr(view, DRAWS_ITS_FORM, True)
    return view


def put_typing_back(request: HttpRequest, form: forms.BaseForm, *, action: str) -> bool:
    """Draw into an unbound form what was typed into it when the session ended (the
    form posted to `action`, kept by the sign-in middleware), as its initial values,
    each read as the field's own widget reads a post; and say so. Not validated nor
    saved: the person checks it and sends it again. False when nothing was kept."""
    data = typed_form(request, action=action)
    if data is None:
        return False
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        if key not in data and not isinstance(
            field.widget, forms.CheckboxInput | forms.CheckboxSelectMultiple
        ):
            continue
        value = field.widget.value_from_datadict(data, {}, key)
        if isinstance(value, str):
            value = value.replace("\x00", "")  # as typed_value: no field takes one
        form.initial[name] = value
    messages.warning(request, TYPING_BACK)
    return True
