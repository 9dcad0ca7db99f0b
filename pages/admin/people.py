from __future__ import annotations

from django.contrib import admin, messages
from django.urls import path, reverse

from figures.weekly import forget_cached_figures
from people.models import Language, Message, Person, PersonMerge
from work.errors import WorkRefused
from work.merge import person_merge_undo

from .base import (
    AuditedReadAdmin,
    BigTableAdmin,
    IndexedSearchMixin,
    ServiceActionsMixin,
)
from .retention import erase_person
from .subject_access import may_export, subject_access_json, subject_access_page


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Person)
class PersonAdmin(IndexedSearchMixin, AuditedReadAdmin, BigTableAdmin):
    list_display = [
        "__str__",
        "date_of_birth",
        "nhs_number",
        "phone",
        "postcode",
        "area",
    ]
    indexed_search = [
        ("nhs_number", "nhs_number"),
        ("phone", "phone"),
        ("phone_alt", "phone"),
        ("postcode", "postcode"),
        ("last_name", "surname"),
    ]
    search_help_text = (
        "An NHS number, a phone number, a postcode, or a whole surname "
        "(for names in part, the people search in the staff pages)."
    )
    list_select_related = ["area"]
    # Erasure on request (pages/admin/retention.py): what will go, then the service.
    actions = [erase_person]

    def audited_read(self, obj):
        return obj, obj, {}

    def listed_person_id(self, obj):
        return obj.pk

    # The subject access export: everything held about the person, as a page to
    # print and as JSON (pages/admin/subject_access.py), for administrators.
    change_form_template = "admin/people/person/change_form.html"

    def get_urls(self):
        def view(export):
            return self.admin_site.admin_view(
                lambda request, object_id: export(self, request, object_id)
            )

        return [
            path(
                "<int:object_id>/subject-access/",
                view(subject_access_page),
                name="people_person_subject_access",
            ),
            path(
                "<int:object_id>/subject-access/json/",
                view(subject_access_json),
                name="people_person_subject_access_json",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if may_export(request.user) and str(object_id).isdigit():
            extra_context["subject_access_url"] = reverse(
                "admin:people_person_subject_access", args=[object_id]
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Message)
class MessageAdmin(IndexedSearchMixin, AuditedReadAdmin, BigTableAdmin):
    """The texts and emails sent (name, address, body): a read of the person they
    went to, audited as theirs."""

    list_display = ["person", "channel", "kind", "status", "created_at"]
    list_filter = ["channel", "kind", "status"]
    list_select_related = ["person"]
    # A person's messages through the index on (person, -created_at); the address a
    # message went to has no index of its own.
    indexed_search = [
        ("person__nhs_number", "nhs_number"),
        ("person__phone", "phone"),
    ]
    search_help_text = "The person's NHS number or phone number."


@admin.register(PersonMerge)
class PersonMergeAdmin(ServiceActionsMixin, AuditedReadAdmin):
    """Merges of two records into one; an administrator may undo one (the service
    puts back every field and row, and audits it)."""

    list_display = ["__str__", "survivor", "merged", "by", "at", "undone_at"]
    list_filter = [("undone_at", admin.EmptyFieldListFilter)]
    list_select_related = ["survivor", "merged", "by"]
    search_fields = ["=survivor__id", "=merged__id"]
    readonly_fields = ["fields", "snapshot"]
    actions = ["undo"]
    show_full_result_count = False

    def listed_person_ids(self, obj):
        # A merge shows both records (and the merged one's snapshot): a read of both.
        return (obj.survivor_id, obj.merged_id)

    def audited_reads(self, obj):
        return [
            (obj, obj.survivor, {"merged": obj.merged_id}),
            (obj, obj.merged, {"merged_into": obj.survivor_id}),
        ]

    @admin.action(description="Undo this merge", permissions=["work"])
    def undo(self, request, queryset):
        for merge in queryset.order_by("-at", "-pk"):
            try:
                person_merge_undo(merge=merge, by=request.user)
            except WorkRefused as exc:
                self.message_user(request, f"{merge}: {exc}", messages.ERROR)
            else:
                # The cached weekly figures counted the merged records as one.
                forget_cached_figures()
                self.message_user(
                    request,
                    f"Undone: record {merge.merged_id} is again apart from record "
                    f"{merge.survivor_id}, with what it held.",
                    messages.SUCCESS,
                )
