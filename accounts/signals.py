"""The audit of sign-in events, from Django's and django-axes' own signals."""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver

from audit.models import AuditEvent
from audit.services import audit_sign_in


def _address(request) -> str:
    """The client's address as the lockout counts it (behind trusted proxies, the
    one the nearest adds: settings.AXES_CLIENT_IP_CALLABLE), not the proxy's."""
    return (get_client_ip_address(request) or "") if request is not None else ""


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def _signed_in(sender, request, user, **kwargs) -> None:
    # Their own mistyped passwords are forgotten; others' tried from the same
    # address are not (settings: AXES_RESET_ON_SUCCESS).
    AccessAttempt.objects.filter(username=user.get_username()).delete()
    audit_sign_in(
        user=user,
        action=AuditEvent.Action.SIGN_IN,
        username=user.get_username(),
        detail={"address": _address(request)},
    )


@receiver(user_logged_out, dispatch_uid="audit_sign_out")
def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_sign_in(
            user=user,
            action=AuditEvent.Action.SIGN_OUT,
            username=user.get_username(),
            detail={},
        )


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    audit_sign_in(
        user=None,
        action=AuditEvent.Action.SIGN_IN_FAILED,
        username=str(credentials.get("username", ""))[:150],
        detail={"address": _address(request)},
    )


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    audit_sign_in(
        user=None,
        action=AuditEvent.Action.LOCKED_OUT,
        username=str(username or "")[:150],
        detail={"address": ip_address or ""},
    )
