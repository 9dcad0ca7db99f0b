"""Typing kept across a sign-in: a form posted after the session ended is kept in the
new (anonymous) session, which Django carries over when the person signs in again, so
the page can put the typing back into its form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
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
