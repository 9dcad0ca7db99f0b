from django.contrib import admin

from .models import Case, ExposureSetting, RiskAssessment, SettingVisit

WORK_ITEM_READONLY = [
    "status",
    "isolation_ends_on",
    "attempts",
    "created_at",
    "assigned_at",
    "first_attempt_at",
    "last_attempt_at",
    "reached_at",
    "reached_route",
    "completed_at",
    "escalated_at",
    "closed_at",
    "next_attempt_at",
    "escalate_due_at",
]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    # Status moves only through the services: the admin shows it, never edits it.
    list_display = [
        "lab_reference",
        "person",
        "status",
        "area",
        "assignee",
        "created_at",
    ]
    list_filter = ["status", "complexity", "safeguarding_flag", "source"]
    search_fields = ["=lab_reference", "person__last_name", "=person__nhs_number"]
    raw_id_fields = ["person", "assignee"]
    autocomplete_fields = ["area", "local_team"]
    readonly_fields = WORK_ITEM_READONLY
    list_select_related = ["person", "area", "assignee"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(admin.ModelAdmin):
    list_display = ["case", "assessed_by", "assessed_at"]
    raw_id_fields = ["case", "assessed_by"]


@admin.register(ExposureSetting)
class ExposureSettingAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "postcode", "area"]
    list_filter = ["kind"]
    search_fields = ["name", "=postcode"]
    autocomplete_fields = ["area"]


@admin.register(SettingVisit)
class SettingVisitAdmin(admin.ModelAdmin):
    list_display = ["case", "setting", "visited_on"]
    raw_id_fields = ["case", "setting"]
    show_full_result_count = False
