from __future__ import annotations

from django.contrib import admin

from people.models import Language, Message, Person

from .base import AuditedReadAdmin, ReadOnlyAdmin


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Person)
class PersonAdmin(AuditedReadAdmin):
    list_display = [
        "__str__",
        "date_of_birth",
        "nhs_number",
        "phone",
        "postcode",
        "area",
    ]
    search_fields = ["last_name", "first_name", "=nhs_number", "=phone", "=postcode"]
    list_select_related = ["area"]
    show_full_result_count = False

    def audited_read(self, obj):
        return obj, obj, {}

    def listed_person_id(self, obj):
        return obj.pk


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["person", "channel", "kind", "status", "created_at"]
    list_filter = ["channel", "kind", "status"]
    list_select_related = ["person"]
    search_fields = ["=to"]
    show_full_result_count = False
