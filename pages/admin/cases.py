from __future__ import annotations

from django import forms
from django.contrib import admin

from cases.models import Case, ExposureSetting, RiskAssessment, SettingVisit
from staffing.models import StaffProfile
from work.assignment import TIER_FOR, items_reassign

from .base import (
    AuditedReadAdmin,
    BigTableAdmin,
    DateRangeFilter,
    IndexedSearchMixin,
    ServiceActionsMixin,
    form_action,
)

WORK_ITEM_LIST = ["status", "area", "assignee", "created_at"]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=300, help_text="Recorded with each move, in the audit trail."
    )


class MoveForm(ReasonForm):
    to = forms.ModelChoiceField(
        queryset=StaffProfile.objects.none(),
        label="Give them to",
        help_text="Someone of the right tier, on shift now, with room under their cap.",
    )

    def __init__(self, *args, tier: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = (
            StaffProfile.objects.filter(tier=tier, user__is_active=True)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        )


class WorkItemAdmin(
    IndexedSearchMixin, ServiceActionsMixin, AuditedReadAdmin, BigTableAdmin
):
    """Cases and contacts: their state and holder are shown, and moved only through
    the reassignment service (the same rules and audit as the supervisor's page).
    Millions of rows: arrival dates by a range on the created_at index."""

    actions = ["move_to", "return_to_pool"]
    # Newest first on the created_at index, which also serves the date range (by the
    # id, the planner would walk back through every newer row to reach a range).
    ordering = ["-created_at"]
    sortable_by = ("created_at",)

    def _scope(self):
        return self.model.held_q() | self.model.pool_q()

    @admin.action(description="Give to a member of staff…", permissions=["work"])
    def move_to(self, request, queryset):
        def apply(data):
            moved = items_reassign(
                model=self.model,
                item_ids=list(queryset.values_list("pk", flat=True)),
                scope=self._scope(),
                to=data["to"].user,
                reason=data["reason"],
                by=request.user,
            )
            return f"Moved {moved} to {data['to']}."

        return form_action(
            self,
            request,
            queryset,
            form_class=MoveForm,
            form_kwargs={"tier": TIER_FOR[self.model.kind]},
            title="Give to a member of staff",
            apply=apply,
        )

    @admin.action(description="Return to the pool…", permissions=["work"])
    def return_to_pool(self, request, queryset):
        def apply(data):
            moved = items_reassign(
                model=self.model,
                item_ids=list(queryset.values_list("pk", flat=True)),
                scope=self._scope(),
                to=None,
                reason=data["reason"],
                by=request.user,
            )
            return f"Returned {moved} to the pool."

        return form_action(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Return to the pool",
            apply=apply,
        )


@admin.register(Case)
class CaseAdmin(WorkItemAdmin):
    list_display = ["lab_reference", "person", *WORK_ITEM_LIST]
    list_filter = [
        ("created_at", DateRangeFilter),
        "status",
        "complexity",
        "safeguarding_flag",
        "source",
    ]
    indexed_search = [
        ("lab_reference", "exact"),
        ("person__nhs_number", "nhs_number"),
        ("person__last_name", "surname"),
    ]
    search_help_text = "A lab reference, an NHS number, or a whole surname."
    list_select_related = ["person", "area", "assignee"]


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(AuditedReadAdmin, BigTableAdmin):
    list_display = ["case", "assessed_by", "assessed_at"]
    list_select_related = ["case", "assessed_by"]

    def listed_person_id(self, obj):
        return obj.case.person_id


@admin.register(ExposureSetting)
class ExposureSettingAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "postcode", "area"]
    list_filter = ["kind"]
    search_fields = ["name", "=postcode"]
    autocomplete_fields = ["area"]


@admin.register(SettingVisit)
class SettingVisitAdmin(AuditedReadAdmin, BigTableAdmin):
    """Where a case went and when: a read of the case's person."""

    list_display = ["case", "setting", "visited_on"]
    list_select_related = ["case", "setting"]

    def listed_person_id(self, obj):
        return obj.case.person_id  # the case is joined

    def audited_read(self, obj):
        return obj, obj.case.person, {}
