"""Two-factor enrolment, recovery codes, resets and unlocking: each audited; and the
limits on asking for a password reset."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from audit.services import audit_record, audit_sign_in
from clock.windows import CacheOutage

logger = logging.getLogger(__name__)

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


# The addresses someone has used lately, whose lockouts unlocking them lifts too: where
# they signed in within this time (an office behind one address, locked by others'
# wrong passwords, is one they signed in from on a recent working day).
UNLOCK_ADDRESSES_USED_WITHIN = timedelta(days=7)


@dataclass(frozen=True)
class Unlocked:
    """What unlocking lifted, and what may still refuse a sign-in."""

    records: int  # failed sign-ins forgotten (lockout records)
    addresses: tuple[str, ...]  # addresses whose lockouts were lifted
    still_locked: tuple[str, ...]  # other addresses locked out now


def _addresses_used(username: str) -> set[str]:
    """The addresses a username signed in from, lately (django-axes' AccessLog). Not
    those it was merely tried from: a failure, a refusal while locked out included,
    is recorded alike for the person and for anyone guessing at their name, so
    lifting those would free a password sprayer who tried them among others. An
    address they were refused from but never signed in from stays locked, and the
    message says so; its lockout rows can be unlocked by name (Access attempts)."""
    since = timezone.now() - UNLOCK_ADDRESSES_USED_WITHIN
    return set(
        AccessLog.objects.filter(
            username=username, attempt_time__gte=since, ip_address__isnull=False
        )
        .values_list("ip_address", flat=True)
        .distinct()
    )


def locked_addresses() -> tuple[str, ...]:
    """The addresses locked out now: as many failures from them, for any usernames,
    within the cool-off as the limit (how django-axes counts them)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return tuple(
        sorted(
            AccessAttempt.objects.filter(
                attempt_time__gte=since, ip_address__isnull=False
            )
            .values("ip_address")
            .annotate(failures=Sum("failures_since_start"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
            .values_list("ip_address", flat=True)
        )
    )


@transaction.atomic
def sign_in_unlock(*, username: str, by, addresses: Iterable[str] = ()) -> Unlocked:
    """An administrator lifts a lockout on a username and on the addresses it has
    been used from lately (others' wrong passwords from the same address lock it
    out as surely as its own), and on any `addresses` named; the records of every
    failure from those addresses go, whoever's. An empty username is no filter
    (django-axes' own reset would then forget every lockout)."""
    lifted = set(addresses)
    if username:
        lifted |= _addresses_used(username)
    matched = Q(ip_address__in=lifted)
    if username:
        matched |= Q(username=username)
    cleared = 0
    if lifted or username:
        _, deleted = AccessAttempt.objects.filter(matched).delete()
        cleared = deleted.get(AccessAttempt._meta.label, 0)
    result = Unlocked(
        records=cleared,
        addresses=tuple(sorted(lifted)),
        still_locked=locked_addresses(),
    )
    audit_sign_in(
        user=by,
        action=AuditEvent.Action.UNLOCKED,
        username=username,
        detail={"records": cleared, "addresses": list(result.addresses)},
    )
    return result


@transaction.atomic
def password_reset_by_email_done(*, user) -> int:
    """A new password set by the emailed link: the failed sign-ins of the username
    are forgotten (the link proves the person, as an administrator's unlock would),
    so a lockout of their own does not outlast the reset; returns the records
    cleared. An address's lockout, from wrong passwords for other accounts, stays:
    a reset of one's own password must not lift it."""
    cleared, _ = AccessAttempt.objects.filter(username=user.get_username()).delete()
    audit_record(
        user=user,
        action=AuditEvent.Action.PASSWORD,
        obj=user,
        detail={"event": "reset by email link", "lockout records cleared": cleared},
    )
    return cleared


# Asking for a password reset, limited as the link pages are (pages/online/limits.py):
# a fixed window counted in the shared cache, failing open when it cannot be
# reached. Per address, the requests (beyond: 429, so a flood is refused before any
# work); per account, the emails sent (beyond: the same "check your email" answer,
# no email, so the limit tells no one whether an address has an account). The
# account's count is keyed with its password too: once reset, it starts afresh.
PASSWORD_RESET_ADDRESS_WINDOW = 10 * 60
PASSWORD_RESET_ACCOUNT_WINDOW = 60 * 60

password_reset_outage = CacheOutage(
    retry_after=5.0,
    log_interval=60.0,
    logger=logger,
    message="The limit on password reset requests is off",
)


def _password_reset_address_key(address: str) -> str:
    digest = salted_hmac("password-reset-address", address).hexdigest()[:32]
    return f"throttle:password_reset:address:{digest}"


def _password_reset_account_key(user) -> str:
    digest = salted_hmac(
        "password-reset-account", f"{user.pk}:{user.password}"
    ).hexdigest()[:32]
    return f"throttle:password_reset:account:{digest}"


def _within(key: str, window: int, allowance: int) -> bool:
    count = password_reset_outage.count(key, window)
    return count is None or count <= allowance


def password_reset_address_allowed(address: str) -> bool:
    """Count a request for a reset from `address`: within its allowance
    (settings.TRACING_PASSWORD_RESET_ADDRESS_RATE in ten minutes, 10 by default)?"""
    return _within(
        _password_reset_address_key(address),
        PASSWORD_RESET_ADDRESS_WINDOW,
        getattr(settings, "TRACING_PASSWORD_RESET_ADDRESS_RATE", 10),
    )


def password_reset_email_allowed(user) -> bool:
    """Count a reset email to `user`: within the account's allowance
    (settings.TRACING_PASSWORD_RESET_ACCOUNT_RATE in an hour, 3 by default)?"""
    return _within(
        _password_reset_account_key(user),
        PASSWORD_RESET_ACCOUNT_WINDOW,
        getattr(settings, "TRACING_PASSWORD_RESET_ACCOUNT_RATE", 3),
    )


def password_reset_limits_forget(address: str) -> None:
    """Start the address's count again (for tests)."""
    cache.delete(_password_reset_address_key(address))
