from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    # An audit trail is read, never edited.
    list_display = ["at", "user", "action", "object_type", "object_id", "person"]
    list_filter = ["action", "object_type"]
    raw_id_fields = ["user", "person"]
    search_fields = ["=object_id", "user__username"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
