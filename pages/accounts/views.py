"""Signing in: the lockout page, the second factor and enrolment in it."""

from __future__ import annotations

import base64
import unicodedata
from datetime import timedelta

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from accounts.services import (
    PASSWORD_RESET_ADDRESS_WINDOW,
    confirmed_device,
    password_reset_address_allowed,
    password_reset_by_email_done,
    password_reset_email_allowed,
    recovery_codes_left,
    two_factor_enrolment_confirm,
    two_factor_enrolment_start,
    two_factor_verify,
)
from audit.models import AuditEvent
from audit.services import audit_record, audit_sign_in

from ..online.limits import client_address
from .forms import CodeForm
from .middleware import seconds_left

User = get_user_model()

# A code is refused when it is wrong, and also (django-otp slows guessing down) when
# it comes within seconds of a wrong one, however right it is: the words say both.
CODE_REFUSED = (
    "That code was not accepted: check it, wait a few seconds (a code straight "
    "after a wrong one is not checked), and try the code the app shows then."
)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)  # a path, not the URL's name


def _with_next(name: str, request: HttpRequest) -> str:
    """The address of the page `name`, carrying where to go after it (encoded: a
    `next` with a query of its own keeps all of it)."""
    return f"{reverse(name)}?{urlencode({'next': _next(request)})}"


def _minutes(delta: timedelta) -> int:
    return max(1, round(delta.total_seconds() / 60))


def locked_out(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: how long to wait, and who can
    lift it sooner."""
    return TemplateResponse(
        request,
        "registration/locked_out.html",
        {"minutes": _minutes(settings.AXES_COOLOFF_TIME)},
        status=429,
    ).render()


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app (or a
    recovery code)."""
    if request.user.is_verified():
        return redirect(_next(request))
    if confirmed_device(request.user) is None:
        return redirect(_with_next("two_factor_setup", request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor_verify(user=request.user, token=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            left = recovery_codes_left(request.user)
            if device.persistent_id.startswith("otp_static") and left < 3:
                messages.warning(
                    request,
                    f"You have {left} recovery code{'' if left == 1 else 's'} left: "
                    "ask an administrator to "
                    "reset your two-factor sign-in to get new ones.",
                )
            return redirect(_next(request))
        form.add_error("code", CODE_REFUSED)
    return TemplateResponse(
        request,
        "registration/two_factor.html",
        {"form": form, "next": _next(request)},
        status=200 if not form.errors else 400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: a QR code (and the key to type in), then a code
    from the app to confirm it; the recovery codes are shown once."""
    if confirmed_device(request.user) is not None and not request.user.is_verified():
        return redirect(_with_next("two_factor", request))
    device = two_factor_enrolment_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor_enrolment_confirm(
            user=request.user, device=device, token=form.cleaned_data["code"]
        )
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            return TemplateResponse(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        form.add_error("code", CODE_REFUSED)
    qr = segno.make(device.config_url, error="m")
    return TemplateResponse(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": qr.svg_inline(scale=5, dark="#212b32", title="Your QR code"),
            "key": _grouped_base32(device.bin_key),
            "next": _next(request),
        },
        status=200 if not form.errors else 400,
    )


def _grouped_base32(key: bytes) -> str:
    """The key as an app asks for it when typed in: base32, in groups of four."""
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _same_address(asked: str, held: str) -> bool:
    """The address asked for is the account's, compared as Django's reset form
    does (Unicode's case-insensitive match): the database's match alone takes
    some different addresses for the same."""
    return (
        unicodedata.normalize("NFKC", asked).casefold()
        == unicodedata.normalize("NFKC", held).casefold()
    )


def _may_choose_a_password(user) -> bool:
    """Whether a reset may give this active account a password: one it has, or its
    first. An account made in the admin with "Password-based authentication:
    Disabled" has none until its person chooses one this way (the service has no
    other invitation). Still refused: an account whose password was turned off
    after it had signed in (an administrator keeping someone out), and an
    integration's service account (api.services.api_client_create: no password,
    on purpose, ever)."""
    if user.has_usable_password():
        return True
    return user.last_login is None and not hasattr(user, "api_client")


class _LimitedPasswordResetForm(PasswordResetForm):
    """Django's form, emailing the active accounts of the address that may choose
    a password (_may_choose_a_password), each within its allowance of reset
    emails (accounts.services.password_reset_email_allowed); the answer is the
    same either way."""

    held_back = 0

    def get_users(self, email):
        email_field = User.get_email_field_name()
        accounts = User._default_manager.filter(
            **{f"{email_field}__iexact": email, "is_active": True}
        )
        for user in accounts:
            if not _same_address(email, getattr(user, email_field)):
                continue
            if not _may_choose_a_password(user):
                continue
            if password_reset_email_allowed(user):
                yield user
            else:
                self.held_back += 1


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by email, limited per address (beyond: 429, with when to try
    again) and in the emails to each account (beyond: the same "check your email"
    answer, and no email); the request is audited (the answer is the same whether
    or not the address belongs to an account)."""

    form_class = _LimitedPasswordResetForm

    def form_valid(self, form):
        if not password_reset_address_allowed(client_address(self.request)):
            busy = TemplateResponse(
                self.request,
                "registration/password_reset_busy.html",
                {"minutes": PASSWORD_RESET_ADDRESS_WINDOW // 60},
                status=429,
            )
            busy["Retry-After"] = str(PASSWORD_RESET_ADDRESS_WINDOW)
            return busy
        email = form.cleaned_data["email"]
        response = super().form_valid(form)
        detail = {"event": "reset asked for"}
        if form.held_back:
            detail["not sent"] = "too many reset emails to the account in an hour"
        audit_sign_in(
            user=None,
            action=AuditEvent.Action.PASSWORD,
            username=email[:150],
            detail=detail,
        )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting the new password also lifts the lockout of the account's own failed
    sign-ins (not an address's, from wrong passwords for other accounts)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        password_reset_by_email_done(user=form.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(
            user=form.user,
            action=AuditEvent.Action.PASSWORD,
            obj=form.user,
            detail={"event": "changed"},
        )
        return response


@require_http_methods(["POST"])
def keep_alive(request: HttpRequest) -> HttpResponse:
    """'Stay signed in': any request refreshes an idle session; 401 once it has ended."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return HttpResponse(status=204)


@require_http_methods(["GET"])
def session_left(request: HttpRequest) -> HttpResponse:
    """How many seconds the session has left, asked by a tab whose own count ran out
    (another tab may have kept the session going); asking does not push the end on
    (pages.accounts.middleware.session_touched). 401 once it has ended."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return JsonResponse({"seconds": seconds_left(request.session)})
