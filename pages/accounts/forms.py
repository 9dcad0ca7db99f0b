from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm


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


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password did not match. Check them and "
        "try again.",
        "inactive": "This account is switched off: ask your supervisor.",
    }
