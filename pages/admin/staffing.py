from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from staffing.models import (
    CallReview,
    HoursCapChange,
    Organisation,
    Shift,
    StaffProfile,
    Team,
    TrainingCompletion,
    TrainingModule,
)
from staffing.services import (
    CapAlreadySet,
    ShiftAsShown,
    StaffingRefused,
    hours_cap_change,
    registration_verify,
    shift_cancel,
    staff_profile_save,
    staff_profile_team_check,
    team_save,
    team_tier_check,
    training_module_delete,
    training_module_save,
)
from work.said import and_joined

from .base import (
    AuditedReadAdmin,
    BigTableAdmin,
    DateRangeFilter,
    IndexedSearchMixin,
    ReadOnlyAdmin,
    ServiceActionsMixin,
    form_action,
)
from .calls import called_person_id


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


class TeamForm(forms.ModelForm):
    """A team's tier changes only while no one is in it: refused on the tier field
    otherwise (the staffing service's rule, its lock held until the save)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        tier = cleaned.get("tier")
        if tier is not None:
            try:
                team_tier_check(team=self.instance, tier=tier)
            except StaffingRefused as exc:
                self.add_error("tier", str(exc))
        return cleaned


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamForm
    list_display = ["name", "organisation", "tier"]
    list_filter = ["tier"]
    search_fields = ["name"]
    autocomplete_fields = ["organisation"]

    def save_model(self, request, obj, form, change):
        team_save(team=obj)


class TrainingInline(admin.TabularInline):
    """Shown here; recorded on the training pages (by the member or a supervisor)."""

    model = TrainingCompletion
    extra = 0
    can_delete = False
    readonly_fields = ["module", "completed_on"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class HoursCapActionForm(forms.Form):
    # The service says what is allowed (at least 1, at most the ceiling), in its words.
    new_cap = forms.IntegerField(label="New weekly cap (hours)")
    reason = forms.CharField(max_length=300)


class RegistrationActionForm(forms.Form):
    body = forms.ChoiceField(choices=StaffProfile.RegistrationBody.choices)
    number = forms.CharField(max_length=30)
    expires_on = forms.DateField(
        help_text="YYYY-MM-DD", widget=forms.DateInput(attrs={"type": "date"})
    )


class StaffProfileForm(forms.ModelForm):
    """A team of another tier than the member's is refused on the team field (the
    staffing service's rule, its lock held until the save)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        tier = cleaned.get("tier")
        if tier is not None:
            try:
                staff_profile_team_check(tier=tier, team=cleaned.get("team"))
            except StaffingRefused as exc:
                self.add_error("team", str(exc))
        return cleaned


# Where a delete would have been offered: a leaver is turned off, not deleted.
NOT_DELETED = (
    "Staff profiles are not deleted. For someone who has left, turn their account "
    "off (untick Active): that ends their shifts, gives back the work they hold, "
    "and is audited; their hours cap history and training records are kept."
)


def _account_url(user) -> str:
    opts = user._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[user.pk])


@admin.register(StaffProfile)
class StaffProfileAdmin(ServiceActionsMixin, admin.ModelAdmin):
    """Who someone is is edited here; their hours cap, registration and sign-off
    change only through the actions, which keep the rules and the audit trail.

    A profile is never deleted here (with it would go the person's hours cap history
    and training, and the work they hold would stay theirs, unaudited): a leaver's
    account is turned off, which the page says where a delete would be."""

    form = StaffProfileForm

    list_display = [
        "__str__",
        "tier",
        "is_supervisor",
        "team",
        "local_team",
        "registration_expires_on",
        "signed_off_at",
        "weekly_hours_cap",
    ]
    list_filter = ["tier", "is_supervisor", "organisation", "registration_body"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "=registration_number",
    ]
    list_select_related = ["user", "team", "local_team"]
    autocomplete_fields = ["user", "organisation", "team", "local_team", "languages"]
    readonly_fields = [
        "weekly_hours_cap",
        "registration_body",
        "registration_number",
        "registration_verified_on",
        "registration_verified_by",
        "registration_expires_on",
        "signed_off_at",
        "signed_off_by",
    ]
    inlines = [TrainingInline]
    actions = ["change_hours_cap", "verify_registration", "not_deleted"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "leaving"] if obj is not None else readonly

    def get_fieldsets(self, request, obj=None):
        """The profile's fields, then (on a profile's page) how a leaver is
        handled, just above the buttons where a delete would be."""
        fields = [name for name in self.get_fields(request, obj) if name != "leaving"]
        fieldsets: list[tuple[str | None, dict[str, Any]]] = [
            (None, {"fields": fields})
        ]
        if obj is not None:
            fieldsets.append(("Leaving the service", {"fields": ["leaving"]}))
        return fieldsets

    @admin.display(description="When they leave")
    def leaving(self, obj: StaffProfile) -> str:
        return format_html(
            '{} <a href="{}">Open their account</a>.',
            NOT_DELETED,
            _account_url(obj.user),
        )

    @admin.action(description="Delete selected staff profiles (not done: why)")
    def not_deleted(self, request, queryset):
        """Where the delete of the selected was offered: deletes nothing, and says
        how a leaver is handled, with a link to each one's account."""
        accounts = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (_account_url(p.user), p.user.get_full_name() or p.user.username)
                for p in queryset.select_related("user")
            ),
        )
        self.message_user(
            request,
            format_html("{} Their accounts: {}.", NOT_DELETED, accounts),
            messages.WARNING,
        )

    def save_model(self, request, obj, form, change):
        """Saved by the staffing service, in the admin's transaction: a change of
        tier, supervisor, organisation, team or local team is audited; a team of
        another tier is refused (shown on the form, StaffProfileForm)."""
        staff_profile_save(profile=obj, by=request.user)

    @admin.action(description="Change the weekly hours cap…", permissions=["work"])
    def change_hours_cap(self, request, queryset):
        """Each person chosen gets the new cap, but those who already have it: they
        are named in the one message. Refused whole when no one's cap would change,
        or by any other rule (the ceiling, a reason, one's own cap)."""

        def apply(data):
            cap = data["new_cap"]
            done, already = 0, []
            for profile in queryset.select_related("user"):
                try:
                    hours_cap_change(
                        profile=profile,
                        new_cap=cap,
                        reason=data["reason"],
                        by=request.user,
                    )
                except CapAlreadySet as exc:
                    already.append((profile, exc))
                else:
                    done += 1
            names = and_joined(
                sorted(p.user.get_full_name() or p.user.username for p, _ in already)
            )
            if not done:
                if len(already) == 1:
                    raise already[0][1]
                raise StaffingRefused(
                    f"{names} already have a cap of {cap} hours: nothing was changed."
                )
            said = f"Weekly cap set to {cap} hours for {done}."
            if already:
                said += f" {names} already had a cap of {cap} hours: unchanged."
            return said

        return form_action(
            self,
            request,
            queryset,
            form_class=HoursCapActionForm,
            title="Change the weekly hours cap",
            apply=apply,
        )

    @admin.action(description="Verify a registration…", permissions=["work"])
    def verify_registration(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, "Verify one registration at a time.", messages.ERROR
            )
            return None
        profile = queryset.get()

        def apply(data):
            verified = registration_verify(
                profile=profile,
                body=data["body"],
                number=data["number"],
                expires_on=data["expires_on"],
                by=request.user,
            )
            # Shifts booked past the expiry were let go: said, as on the staff page.
            said = verified.shifts_said()
            return f"Verified {profile}'s registration." + (f" {said}" if said else "")

        return form_action(
            self,
            request,
            queryset,
            form_class=RegistrationActionForm,
            title="Verify a registration",
            apply=apply,
        )


@admin.register(HoursCapChange)
class HoursCapChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "profile",
        "old_cap",
        "new_cap",
        "reason",
        "changed_by",
        "changed_at",
    ]
    list_select_related = ["profile__user", "changed_by"]


class CancelForm(forms.Form):
    """The reason, and each chosen shift's holder and status as the form was drawn
    (hidden), so a shift that changed hands since is not cancelled from under its
    new holder."""

    reason = forms.CharField(
        max_length=300, help_text="The person booked sees it on their shifts page."
    )

    def __init__(self, *args: Any, shifts: Iterable[Shift] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        for shift in shifts:
            self.fields[f"shown_staff_{shift.pk}"] = forms.CharField(
                required=False, widget=forms.HiddenInput, initial=shift.staff_id or ""
            )
            self.fields[f"shown_status_{shift.pk}"] = forms.CharField(
                required=False, widget=forms.HiddenInput, initial=shift.status
            )


def _shown(data: QueryDict, shift: Shift) -> ShiftAsShown | None:
    """The holder and status `shift` was drawn with on the cancel form."""
    return ShiftAsShown.sent(data, suffix=f"_{shift.pk}")


def _as_drawn(shift: Shift, shown: ShiftAsShown | None) -> bool:
    return shown is None or shown.matches(shift)


def _cancelled_said(cancelled: int, instead: int, cut_short: int) -> str:
    """What the administrator is told was done (refusals are told apart)."""
    if not cancelled + instead + cut_short:
        return "Nothing was cancelled."
    said = f"Cancelled {cancelled + instead} shifts."
    if instead:
        said += (
            f" {instead} open slots had been booked since you chose them: they stay "
            "booked, and an identical open slot was withdrawn for each instead."
        )
    if cut_short:
        said += (
            f" {cut_short} under way ended now: the hours worked stay "
            "booked, the rest is cancelled."
        )
    return said


@admin.register(Shift)
class ShiftAdmin(IndexedSearchMixin, ServiceActionsMixin, ReadOnlyAdmin, BigTableAdmin):
    """Slots are published and booked on the rota pages; cancelled by the action."""

    list_display = ["__str__", "tier", "team", "staff", "status"]
    list_filter = [("starts_at", DateRangeFilter), "status", "tier", "team"]
    list_select_related = ["team", "staff__user"]
    # A member's shifts through the index on (staff, starts_at), found by their
    # username (unique index).
    indexed_search = [("staff__user__username", "exact")]
    search_help_text = "A member of staff's username."
    actions = ["cancel_shifts"]

    @admin.action(description="Cancel the shifts…", permissions=["work"])
    def cancel_shifts(self, request, queryset):
        """Each shift is cancelled as drawn on the form: one that changed hands
        since is refused, saying whose it is now, and the others are cancelled."""
        shifts = list(queryset.select_related("staff__user"))
        shown = {shift.pk: _shown(request.POST, shift) for shift in shifts}

        def apply(data):
            done = {"cancelled": 0, "instead": 0, "cut_short": 0}
            # Those as drawn first, so a slot booked meanwhile does not take as its
            # identical open one a slot that was chosen too.
            for shift in sorted(shifts, key=lambda s: not _as_drawn(s, shown[s.pk])):
                try:
                    with transaction.atomic():
                        rest = shift_cancel(
                            shift=shift,
                            by=request.user,
                            reason=data["reason"],
                            shown=shown[shift.pk],
                        )
                except StaffingRefused as exc:
                    self.message_user(request, f"{shift}: {exc}", messages.WARNING)
                    continue
                if rest.pk == shift.pk:
                    done["cancelled"] += 1
                elif rest.staff_id is None:  # booked since: an identical slot withdrawn
                    done["instead"] += 1
                else:  # under way: ended now, the rest cancelled
                    done["cut_short"] += 1
            return _cancelled_said(**done)

        return form_action(
            self,
            request,
            queryset,
            form_class=CancelForm,
            title="Cancel the shifts",
            apply=apply,
            form_kwargs={"shifts": shifts},
        )


@admin.register(TrainingModule)
class TrainingModuleAdmin(admin.ModelAdmin):
    """Made, marked required or deleted here, through the staffing service:
    audited, since a required module stops every member of its tier who has not
    done it getting work."""

    list_display = ["name", "tier", "required"]
    list_filter = ["tier", "required"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        training_module_save(module=obj, by=request.user)

    def delete_model(self, request, obj):
        training_module_delete(module=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for module in queryset:
            training_module_delete(module=module, by=request.user)


@admin.register(CallReview)
class CallReviewAdmin(AuditedReadAdmin):
    """A review of a call, with its note: a read of the person called."""

    list_display = ["call", "reviewer", "reviewed_at", "verdict"]
    list_filter = ["verdict"]
    list_select_related = ["call__case", "call__contact", "reviewer"]

    def listed_person_id(self, obj):
        return called_person_id(obj.call)

    def audited_read(self, obj):
        return obj, obj.call.item.person, {}
