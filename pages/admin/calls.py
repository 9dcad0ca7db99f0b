from __future__ import annotations

from django.contrib import admin

from calls.models import CallAttempt, KnowledgeArticle, Script, ScriptStep

from .base import ReadOnlyAdmin


@admin.register(CallAttempt)
class CallAttemptAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "caller",
        "outcome",
        "case",
        "contact",
        "duration_seconds",
    ]
    list_filter = ["outcome"]
    list_select_related = ["caller", "case", "contact"]
    date_hierarchy = "started_at"
    show_full_result_count = False


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
