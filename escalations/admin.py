from django.contrib import admin

from .models import Cluster, Escalation, EscalationAction


class ActionInline(admin.TabularInline):
    model = EscalationAction
    extra = 0
    raw_id_fields = ["by"]


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reason", "status", "local_team", "created_at", "due_at"]
    list_filter = ["status", "reason", "area_unknown"]
    raw_id_fields = ["case", "contact", "created_by", "picked_up_by"]
    autocomplete_fields = ["local_team"]
    list_select_related = ["local_team", "case", "contact"]
    date_hierarchy = "created_at"
    inlines = [ActionInline]
    show_full_result_count = False


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["setting", "area", "first_visit_on", "last_visit_on", "detected_at"]
    raw_id_fields = ["setting", "cases"]
    autocomplete_fields = ["area"]
