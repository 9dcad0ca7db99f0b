from __future__ import annotations

from django.contrib import admin

from escalations.models import Cluster, Escalation, EscalationAction

from .base import AuditedReadAdmin, BigTableAdmin, DateRangeFilter, ReadOnlyAdmin


class ActionInline(admin.TabularInline):
    model = EscalationAction
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Escalation)
class EscalationAdmin(AuditedReadAdmin, BigTableAdmin):
    """Escalations are worked by the local teams on their pages; shown here only."""

    list_display = ["__str__", "reason", "status", "local_team", "created_at", "due_at"]
    list_filter = [("created_at", DateRangeFilter), "status", "reason", "area_unknown"]
    # Each row's name is "Escalation of Contact <person> of Case <lab reference>"
    # (the models' __str__): a contact's own case is joined too, or each row of a
    # page read it by itself.
    list_select_related = [
        "local_team",
        "case__person",
        "contact__person",
        "contact__case",
    ]
    inlines = [ActionInline]

    def audited_read(self, obj):
        # As the local team's page records it: a read of the item, with its person.
        return obj.item, None, {"escalation": obj.pk}

    def listed_person_id(self, obj):
        return obj.item.person_id  # case__person and contact__person are joined


@admin.register(Cluster)
class ClusterAdmin(ReadOnlyAdmin):
    list_display = ["setting", "area", "first_visit_on", "last_visit_on", "detected_at"]
    list_select_related = ["setting", "area"]
