from django.contrib import admin

from .models import Language, Message, Person


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
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
    autocomplete_fields = ["area", "language"]
    readonly_fields = ["easting", "northing", "created_at", "updated_at"]
    show_full_result_count = False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["person", "channel", "kind", "status", "created_at"]
    list_filter = ["channel", "kind", "status"]
    raw_id_fields = ["person", "case", "contact"]
    list_select_related = ["person"]
    search_fields = ["=to"]
    show_full_result_count = False
