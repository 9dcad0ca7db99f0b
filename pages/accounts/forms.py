from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code from your authenticator app, or one of your "
        "recovery codes.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autofocus": True,
            }
        ),
        error_messages={"required": "Enter the code from your authenticator app."},
    )


class UsernameLengthChecked(AuthenticationForm):
    """A username longer than any account's is refused by the form, with the
    field's message. Django sets the field's max_length after the field is made,
    so its validator is never added: a longer username went on to authenticate,
    and the record of the failed sign-in (django-axes, 255 characters) refused it
    with an error of the server."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class SignInForm(UsernameLengthChecked):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password did not match. Check them and "
        "try again.",
        "inactive": "This account is switched off: ask your supervisor.",
    }


class AdminSignInForm(UsernameLengthChecked, AdminAuthenticationForm):
    """The admin's sign-in (admin.site.login_form, pages/admin/accounts.py)."""
