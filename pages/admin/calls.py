from __future__ import annotations

from django.contrib import admin

from calls.models import CallAttempt, KnowledgeArticle, Script, ScriptStep

from .base import AuditedReadAdmin, BigTableAdmin, DateRangeFilter


def called_person_id(call: CallAttempt) -> int:
    """The person a call was to: its case's or its contact's (both joined by the
    lists, so no query is made)."""
    return call.case.person_id if call.case_id else call.contact.person_id


@admin.register(CallAttempt)
class CallAttemptAdmin(AuditedReadAdmin, BigTableAdmin):
    """Calls show the number dialled and the notes: a read of the person called,
    audited as theirs."""

    list_display = [
        "started_at",
        "caller",
        "outcome",
        "case",
        "contact",
        "duration_seconds",
    ]
    list_filter = [("started_at", DateRangeFilter), "outcome"]
    # A contact is shown with its person and case (its __str__).
    list_select_related = ["caller", "case", "contact__person", "contact__case"]
    # Newest first by id, which follows the time they were made: the model's
    # ordering (-started_at) has no index of its own, and would sort every call.
    ordering = ["-id"]

    def listed_person_id(self, obj):
        return called_person_id(obj)

    def audited_read(self, obj):
        return obj, obj.item.person, {}


class ScriptStepInline(admin.StackedInline):
    model = ScriptStep
    extra = 0


@admin.register(Script)
class ScriptAdmin(admin.ModelAdmin):
    list_display = ["name", "audience"]
    inlines = [ScriptStepInline]


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "clinical", "updated_at"]
    list_filter = ["clinical"]
    search_fields = ["title", "keywords", "body"]
