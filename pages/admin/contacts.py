from __future__ import annotations

from django.contrib import admin

from contacts.models import Contact

from .base import DateRangeFilter
from .cases import WORK_ITEM_LIST, WorkItemAdmin


@admin.register(Contact)
class ContactAdmin(WorkItemAdmin):
    list_display = ["person", "case", "exposure", *WORK_ITEM_LIST]
    list_filter = [("created_at", DateRangeFilter), "status", "exposure"]
    indexed_search = [
        ("case__lab_reference", "exact"),
        ("person__nhs_number", "nhs_number"),
        ("person__phone", "phone"),
        ("person__last_name", "surname"),
    ]
    search_help_text = (
        "The case's lab reference, an NHS number, a phone number, or a whole surname."
    )
    list_select_related = ["person", "case", "area", "assignee"]
