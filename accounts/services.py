"""Two-factor enrolment, recovery codes, resets and unlocking: each audited."""

from __future__ import annotations

import secrets
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from audit.services import audit_record, audit_sign_in

RECOVERY_DEVICE = "recovery codes"
AUTHENTICATOR = "authenticator app"


def confirmed_device(user) -> Any | None:
    """The user's confirmed authenticator, if they have enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def two_factor_enrolment_start(*, user) -> TOTPDevice:
    """A new, unconfirmed authenticator to show as a QR code (the same one until it
    is confirmed, so a reload does not change the code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR, confirmed=False
        )
    return device


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE)
    codes = [
        f"{secrets.token_hex(3)}-{secrets.token_hex(3)}"
        for _ in range(settings.TRACING_RECOVERY_CODES)
    ]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    return codes


@transaction.atomic
def two_factor_enrolment_confirm(
    *, user, device: TOTPDevice, token: str
) -> list[str] | None:
    """Confirm the authenticator with a code from it; returns the recovery codes to
    show once, or None for a wrong code."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not device.verify_token(token.strip().replace(" ", "")):
        audit_record(
            user=user,
            action=AuditEvent.Action.TWO_FACTOR,
            obj=user,
            detail={"event": "enrolment code wrong"},
        )
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit_record(
        user=user,
        action=AuditEvent.Action.TWO_FACTOR,
        obj=user,
        detail={"event": "enrolled"},
    )
    return codes


def two_factor_verify(*, user, token: str):
    """The device a code belongs to (authenticator, or a recovery code, used once),
    or None; audited either way."""
    token = token.strip().replace(" ", "").lower()
    device = match_token(user, token) if token else None
    if device is None:
        event = "code wrong"
    elif isinstance(device, StaticDevice):
        event = "recovery code used"
    else:
        event = "verified"
    audit_record(
        user=user,
        action=AuditEvent.Action.TWO_FACTOR,
        obj=user,
        detail={"event": event},
    )
    return device


@transaction.atomic
def two_factor_reset(*, user, by) -> int:
    """An administrator clears someone's second factor: they enrol again at their
    next sign-in. Returns the devices removed."""
    removed = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        removed += 1
    audit_record(
        user=by,
        action=AuditEvent.Action.TWO_FACTOR,
        obj=user,
        detail={"event": "reset by an administrator", "devices": removed},
    )
    return removed


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def sign_in_unlock(*, username: str, by) -> int:
    """An administrator lifts a lockout on a username (and the addresses it was
    tried from); returns the lockout records cleared."""
    cleared = axes_reset(username=username)
    audit_sign_in(
        user=by,
        action=AuditEvent.Action.UNLOCKED,
        username=username,
        detail={"records": cleared},
    )
    return cleared
