from __future__ import annotations

from django.contrib import admin

from contacts.models import Contact

from .cases import WORK_ITEM_LIST, WorkItemAdmin


@admin.register(Contact)
class ContactAdmin(WorkItemAdmin):
    list_display = ["person", "case", "exposure", *WORK_ITEM_LIST]
    list_filter = ["status", "exposure"]
    search_fields = ["person__last_name", "=person__phone", "=case__lab_reference"]
    list_select_related = ["person", "case", "area", "assignee"]
    date_hierarchy = "created_at"
