"""Typing kept across a sign-in: a form posted after the session ended is kept in the
new (anonymous) session, which Django carries over when the person signs in again, so
the page can put the typing back into its form.

It is kept for the person whose session ended, and only for them (someone else
signing in on that browser never sees it), and only so much: KEPT_MOST in all, far
more than any form's typing (long clinical notes are kept whole)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, QueryDict

SESSION_KEY = "typed_forms"
# Whose typing it is: the id of the user whose session ended (as the session keeps
# it, a string).
OWNER_KEY = "typed_forms_by"
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


def keep_typed_form(request: HttpRequest, *, owner: str) -> None:
    """Keep the form this request posts (to its own address) for `owner` (a user's
    id) to have back once they are signed in again: its fields in order while they
    fit, KEPT_MOST in all with the other forms kept; never files (not in
    request.POST) nor secrets. Typing kept for anyone else is dropped first. Not a
    POST, or one of the account's own forms: nothing to keep."""
    if request.method != "POST" or request.path.startswith(ACCOUNT_FORMS):
        return
    action = request.path
    session = request.session
    kept = session.get(SESSION_KEY) or {}
    if session.get(OWNER_KEY) != owner:
        kept = {}
    kept.pop(action, None)
    room = KEPT_MOST - sum(_size(data) for data in kept.values())
    data: dict[str, list[str]] = {}
    for key in request.POST:
        values = request.POST.getlist(key)
        if key in LEFT_OUT:
            continue
        size = _size({key: values})
        if size <= room:
            data[key] = values
            room -= size
    if data:
        kept[action] = data
    if kept:
        session[SESSION_KEY] = kept
        session[OWNER_KEY] = owner
    else:
        forget_typing(request)


def forget_typing(request: HttpRequest) -> None:
    for key in (SESSION_KEY, OWNER_KEY):
        if key in request.session:
            del request.session[key]


def keep_only_typing_of(request: HttpRequest, user: Any) -> None:
    """On signing in: the typing kept in the session stays only if it is this user's
    (their session ended, they signed in again); anyone else's, or typing kept for
    no one, is dropped unseen."""
    owner = request.session.get(OWNER_KEY)
    if SESSION_KEY in request.session and (owner is None or owner != str(user.pk)):
        forget_typing(request)


def typed_form(request: HttpRequest, *, action: str) -> QueryDict | None:
    """The typing kept for the form that posts to `action`, once (then forgotten);
    nothing when it was kept for someone other than the user signed in."""
    owner = request.session.get(OWNER_KEY)
    user = getattr(request, "user", None)
    if owner is not None and user is not None and owner != str(user.pk):
        forget_typing(request)
        return None
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
