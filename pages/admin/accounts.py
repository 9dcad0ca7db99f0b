"""Accounts in the admin: unlock a locked-out sign-in and reset someone's second
factor, each through the service that audits it; an account turned off or on
through the staffing service (audited; a leaver's shifts ended); the lockout
records, read only."""

from __future__ import annotations

from collections import defaultdict

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.services import Unlocked, sign_in_unlock, two_factor_reset
from staffing.services import LEFT_THE_SERVICE, AccountSaved, account_save

from ..accounts.forms import AdminSignInForm
from .base import ReadOnlyAdmin, ServiceActionsMixin

User = get_user_model()

admin.site.unregister(User)
admin.site.login_form = AdminSignInForm


@admin.register(User)
class TracingUserAdmin(ServiceActionsMixin, UserAdmin):
    actions = ["unlock_sign_in", "reset_two_factor"]

    def save_model(self, request, obj, form, change):
        """An account made or changed is saved by the staffing service, in the
        admin's transaction: its making is audited, turning it off or on is
        audited, and a leaver's shifts end."""
        saved = account_save(user=obj, by=request.user)
        if said := _shifts_ended(obj.get_username(), saved):
            self.message_user(request, said, messages.INFO)

    @admin.action(description="Unlock sign-in", permissions=["work"])
    def unlock_sign_in(self, request, queryset):
        results = [
            sign_in_unlock(username=user.get_username(), by=request.user)
            for user in queryset
        ]
        _tell_unlocked(self, request, f"Unlocked {len(results)} account(s)", results)

    @admin.action(description="Reset two-factor sign-in", permissions=["work"])
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            two_factor_reset(user=user, by=request.user)
        self.message_user(
            request,
            f"Reset two-factor sign-in for {queryset.count()}: they set it up again "
            "at their next sign-in.",
            messages.SUCCESS,
        )


@admin.register(AccessAttempt)
class AccessAttemptAdmin(ServiceActionsMixin, ReadOnlyAdmin):
    """Failed sign-ins that count towards a lockout; lifted by the action."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time"]
    search_fields = ["=username", "=ip_address"]
    actions = ["unlock"]

    @admin.action(description="Unlock these sign-ins", permissions=["work"])
    def unlock(self, request, queryset):
        addresses: dict[str, set[str]] = defaultdict(set)
        for username, address in queryset.values_list("username", "ip_address"):
            addresses[username or ""].update([address] if address else [])
        results = [
            sign_in_unlock(username=username, addresses=used, by=request.user)
            for username, used in addresses.items()
        ]
        _tell_unlocked(self, request, "Unlocked", results)


def _tell_unlocked(model_admin, request, done: str, results: list[Unlocked]) -> None:
    """What was lifted; and, not hidden behind it, the addresses still locked out
    (by wrong passwords for accounts not unlocked), from which those unlocked are
    refused too until the lockout ends."""
    records = sum(result.records for result in results)
    lifted = sorted({address for result in results for address in result.addresses})
    text = f"{done}: {records} failed sign-in record(s) forgotten"
    if lifted:
        text += f", including every one from {_listed(lifted)}"
    model_admin.message_user(request, f"{text}.", messages.SUCCESS)
    # Each result's count was taken after the unlocks before it: the last is now's.
    still = [
        a for a in (results[-1].still_locked if results else ()) if a not in lifted
    ]
    if still:
        minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
        model_admin.message_user(
            request,
            f"{len(still)} other address{'' if len(still) == 1 else 'es'} "
            f"{'is' if len(still) == 1 else 'are'} still locked out by wrong "
            f"passwords for other accounts ({_listed(still)}): anyone signing in "
            f"from {'it' if len(still) == 1 else 'one of them'}, those just "
            f"unlocked included, is refused for up to {minutes} minutes. To lift "
            "a lockout sooner, unlock its rows in Access attempts.",
            messages.WARNING,
        )


def _shifts_ended(username: str, saved: AccountSaved) -> str:
    """What turning an account off did to its person's shifts, in words."""
    done = []
    if saved.shifts_cut_short:
        done.append(
            f"the shift {username} was on ended now (the hours worked stay booked)"
        )
    if n := saved.shifts_cancelled:
        done.append(f"{n} shift{'' if n == 1 else 's'} to come cancelled")
    if not done:
        return ""
    said = " and ".join(done)
    return f"{said[0].upper()}{said[1:]}, with the reason “{LEFT_THE_SERVICE}”."


def _listed(addresses: list[str], shown: int = 5) -> str:
    more = len(addresses) - shown
    return ", ".join(addresses[:shown]) + (f" and {more} more" if more > 0 else "")
