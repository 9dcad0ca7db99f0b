"""The retention job's page for administrators: each run (what was pseudonymised or
purged, when, by which rule, how many of each kind), the warnings sent to local
teams, the legal holds (placed and lifted here, through the services), and the
erasures done on request (from the people list's action, after a page showing
what will go)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join

from figures.weekly import forget_cached_figures
from people.models import Person
from retention.errors import RetentionRefused
from retention.models import (
    Erasure,
    LegalHold,
    PurgeWarning,
    RetentionAction,
    RetentionRun,
)
from retention.rules import period_words
from retention.services import (
    legal_hold_lift,
    legal_hold_place,
    person_erase,
    person_erasure_plan,
)

from .base import AuditedReadAdmin, ReadOnlyAdmin, ServiceActionsMixin, form_action


class ActionInline(admin.TabularInline):
    model = RetentionAction
    extra = 0
    can_delete = False
    fields = ["rule", "kind", "count", "first_at", "last_at"]
    readonly_fields = fields
    verbose_name = "rows changed or removed"
    verbose_name_plural = "what was done, by rule and kind of record"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class WarningInline(admin.TabularInline):
    model = PurgeWarning
    extra = 0
    can_delete = False
    fields = ["local_team", "purge_on", "contacts", "cases", "sent_at", "recipients"]
    readonly_fields = fields
    verbose_name_plural = "local teams warned of a purge"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    """Read only: runs are made by the daily task."""

    list_display = [
        "started_at",
        "finished_at",
        "trigger",
        "state",
        "batches",
        "done",
    ]
    list_filter = ["trigger", "running"]
    readonly_fields = [
        "started_at",
        "finished_at",
        "trigger",
        "state",
        "batches",
        "rules_applied",
    ]
    fields = readonly_fields
    inlines = [ActionInline, WarningInline]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[RetentionRun]:
        return super().get_queryset(request).prefetch_related("actions")

    @admin.display(description="state")
    def state(self, run: RetentionRun) -> str:
        if not run.running:
            return "Finished"
        return f"Running: {run.get_step_display().lower()}"

    @admin.display(description="rows changed or removed")
    def done(self, run: RetentionRun) -> str:
        totals: dict[str, int] = {}
        for action in run.actions.all():
            label = action.get_rule_display()
            totals[label] = totals.get(label, 0) + action.count
        return "; ".join(f"{rule}: {n}" for rule, n in totals.items()) or "Nothing"

    @admin.display(description="rules (days or years) and the moments they made")
    def rules_applied(self, run: RetentionRun) -> str:
        days = run.rules.get("days", {})
        rows = [
            ("Pseudonymised: closed by", run.pseudonymise_before, "pseudonymise"),
            ("Contacts purged: closed by", run.purge_contacts_before, "purge_contacts"),
            ("Cases purged: closed by", run.purge_cases_before, "purge_cases"),
            ("Audit events purged: at or before", run.purge_audit_before, "audit"),
        ]
        return format_html_join(
            "",
            "<p>{} {} ({})</p>",
            (
                (
                    label,
                    f"{timezone.localtime(moment):%d %b %Y %H:%M}",
                    period_words(days, rule),
                )
                for label, moment, rule in rows
            ),
        )


@admin.register(PurgeWarning)
class PurgeWarningAdmin(ReadOnlyAdmin):
    list_display = ["local_team", "purge_on", "contacts", "cases", "sent_at", "run"]
    list_filter = ["local_team"]
    list_select_related = ["local_team", "run"]


class LegalHoldForm(forms.ModelForm):
    class Meta:
        model = LegalHold
        fields = ["person", "reason"]

    def clean_person(self) -> Person:
        person = self.cleaned_data["person"]
        if LegalHold.objects.filter(person=person, lifted_at__isnull=True).exists():
            raise forms.ValidationError("A legal hold is on this person already.")
        if person.merged_into_id is not None:
            raise forms.ValidationError(
                f"This record was merged into person {person.merged_into_id}: "
                "place the hold on that one."
            )
        return person


class LiftForm(forms.Form):
    reason = forms.CharField(max_length=500, label="Why the hold is lifted")


@admin.register(LegalHold)
class LegalHoldAdmin(ServiceActionsMixin, AuditedReadAdmin):
    """Placed here (the add form) and lifted by the action, each through the
    service (audited); never edited or deleted."""

    list_display = ["person", "placed_at", "placed_by", "lifted_at", "lifted_by"]
    list_filter = [("lifted_at", admin.EmptyFieldListFilter)]
    list_select_related = ["person", "placed_by", "lifted_by"]
    raw_id_fields = ["person"]
    readonly_fields = [
        "person",
        "reason",
        "placed_by",
        "placed_at",
        "lifted_by",
        "lifted_at",
        "lift_reason",
    ]
    actions = ["lift"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_work_permission(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = LegalHoldForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["person", "reason"]

    def save_model(self, request, obj, form, change) -> None:
        # The service writes the hold and its audit row; the admin shows the result.
        # A refusal the form could not foresee (a hold placed meanwhile) is shown
        # as a message on the add page, with nothing saved.
        try:
            hold = legal_hold_place(
                person=obj.person, reason=obj.reason, by=request.user
            )
        except RetentionRefused as exc:
            request._legal_hold_refused = str(exc)  # type: ignore[attr-defined]
            return
        obj.pk = hold.pk
        obj.placed_by = hold.placed_by
        obj.placed_at = hold.placed_at

    def log_addition(self, request, obj, message):
        if obj.pk is not None:
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        refused = getattr(request, "_legal_hold_refused", None)
        if refused:
            self.message_user(request, refused, messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description="Lift the hold", permissions=["work"])
    def lift(self, request: HttpRequest, queryset: QuerySet[LegalHold]):
        def apply(data: dict[str, Any]) -> str:
            holds = list(queryset.filter(lifted_at__isnull=True))
            for hold in holds:
                legal_hold_lift(hold=hold, by=request.user, reason=data["reason"])
            return f"Lifted {len(holds)} hold(s)."

        return form_action(
            self, request, queryset, form_class=LiftForm, title="Lift", apply=apply
        )


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    list_display = ["at", "by", "reason", "rows"]
    list_select_related = ["by"]
    readonly_fields = ["at", "by", "reason", "removed"]

    @admin.display(description="rows removed")
    def rows(self, erasure: Erasure) -> int:
        return sum(erasure.removed.values())


class ErasureForm(forms.Form):
    reason = forms.ChoiceField(
        choices=Erasure.Reason.choices,
        label="Why the records are erased",
        help_text="Kept with the erasure (nothing that names the person is).",
    )


@admin.action(description="Erase one person's records (on request)")
def erase_person(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Person]
) -> HttpResponse | None:
    """Show what an erasure would remove (or why it may not), then, confirmed with
    a reason, erase through the service."""
    if not (request.user.is_active and request.user.is_superuser):
        modeladmin.message_user(
            request,
            "Only an administrator may erase a person's records.",
            messages.ERROR,
        )
        return None
    people = list(queryset[:2])
    if len(people) != 1:
        modeladmin.message_user(
            request, "Choose one person to erase at a time.", messages.ERROR
        )
        return None
    person = people[0]
    form = ErasureForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        try:
            erasure = person_erase(
                person=person, by=request.user, reason=form.cleaned_data["reason"]
            )
        except RetentionRefused as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)
        else:
            # The cached weekly figures still counted the erased cases and contacts.
            transaction.on_commit(forget_cached_figures)
            modeladmin.message_user(
                request,
                f"Erased: {sum(erasure.removed.values())} rows (erasure {erasure.pk}).",
                messages.SUCCESS,
            )
        return None
    plan = person_erasure_plan(person=person)
    return TemplateResponse(
        request,
        "admin/retention/erase_confirm.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Erase one person's records",
            "opts": modeladmin.model._meta,
            "person": person,
            "plan": plan,
            "form": form,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )
