from __future__ import annotations

from django.contrib import admin

from calls.models import CallAttempt, KnowledgeArticle, Script, ScriptStep

from .base import BigTableAdmin, DateRangeFilter, ReadOnlyAdmin


@admin.register(CallAttempt)
class CallAttemptAdmin(ReadOnlyAdmin, BigTableAdmin):
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
