"""Typing kept across a sign-in: a form posted after the session ended is kept in the
new (anonymous) session, which Django carries over when the person signs in again, so
the page can put the typing back into its form."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, QueryDict

SESSION_KEY = "typed_forms"
# Never kept: the token of the old session, and anything secret.
# What the page says when it puts the typing back.
TYPING_BACK = (
    "You were signed out before your changes were saved. What you typed is back in "
    "the form: check it and save it again."
)
LEFT_OUT = {
    "csrfmiddlewaretoken",
    "password",
    "old_password",
    "new_password1",
    "new_password2",
    "code",
}


def keep_typed_form(request: HttpRequest, *, action: str) -> None:
    data = {
        key: request.POST.getlist(key) for key in request.POST if key not in LEFT_OUT
    }
    kept = request.session.get(SESSION_KEY, {})
    kept[action] = data
    request.session[SESSION_KEY] = kept


def typed_form(request: HttpRequest, *, action: str) -> QueryDict | None:
    """The typing kept for the form that posts to `action`, once (then forgotten)."""
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
