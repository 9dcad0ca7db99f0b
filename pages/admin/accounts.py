"""Accounts in the admin: unlock a locked-out sign-in and reset someone's second
factor, each through the service that audits it; the lockout records, read only."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.services import sign_in_unlock, two_factor_reset

from ..accounts.forms import AdminSignInForm
from .base import ReadOnlyAdmin, ServiceActionsMixin

User = get_user_model()

admin.site.unregister(User)
admin.site.login_form = AdminSignInForm


@admin.register(User)
class TracingUserAdmin(ServiceActionsMixin, UserAdmin):
    actions = ["unlock_sign_in", "reset_two_factor"]

    @admin.action(description="Unlock sign-in", permissions=["work"])
    def unlock_sign_in(self, request, queryset):
        cleared = sum(
            sign_in_unlock(username=user.get_username(), by=request.user)
            for user in queryset
        )
        self.message_user(
            request,
            f"Unlocked {queryset.count()} account(s) ({cleared} lockout records).",
            messages.SUCCESS,
        )

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
        for username in set(queryset.values_list("username", flat=True)):
            sign_in_unlock(username=username or "", by=request.user)
        self.message_user(request, "Unlocked.", messages.SUCCESS)
