from django.contrib import admin

from cases.admin import WORK_ITEM_READONLY

from .models import Contact


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "person",
        "case",
        "exposure",
        "status",
        "area",
        "assignee",
        "created_at",
    ]
    list_filter = ["status", "exposure"]
    search_fields = ["person__last_name", "=person__phone", "=case__lab_reference"]
    raw_id_fields = ["person", "case", "assignee", "identified_by"]
    autocomplete_fields = ["area", "local_team"]
    readonly_fields = WORK_ITEM_READONLY
    list_select_related = ["person", "case", "area", "assignee"]
    date_hierarchy = "created_at"
    show_full_result_count = False
