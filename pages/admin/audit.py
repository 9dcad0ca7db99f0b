"""The audit trail in the admin: read only, and quick with millions of rows.

No date hierarchy (it reads every distinct date), no full count, no facet counts, no
filter whose choices come from the table (a DISTINCT over every row), search only on
indexed columns, and pages counted no further than the admin can page.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Subquery
from django.utils.functional import cached_property

from audit.models import AuditEvent
from rows.ids import row_id

from .base import DateRangeFilter

# The admin shows at most this many rows of a list (100 pages of 100): enough to read
# a trail; narrow the search for more, or use the audit search (/staff/audit/).
MOST_COUNTED = 10_000


class BoundedCountPaginator(Paginator):
    """Counts no more than MOST_COUNTED rows (SELECT COUNT(*) over a LIMIT)."""

    @cached_property
    def count(self) -> int:
        return self.object_list[:MOST_COUNTED].count()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    # An audit trail is read, never edited.
    list_display = ["at", "user", "action", "object_type", "object_id", "person_ref"]
    # Choices from the model (no query); the dates through the index on (-at, -id).
    list_filter = [("at", DateRangeFilter), "action"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "person"]
    ordering = ["-at", "-id"]
    search_fields = ["user__username__exact"]
    search_help_text = (
        "A username (exact), person:<id>, or <kind>:<id> for one record "
        "(for example cases.case:12)."
    )
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per action over the whole table
    paginator = BoundedCountPaginator

    def get_search_results(self, request, queryset, search_term):
        """One term, read through the index for it: a person (person, -at), a record
        (object_type, object_id, -at) or a user (user, -at)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        kind, sep, value = term.rpartition(":")
        if sep and kind == "person":
            if (person_id := row_id(value)) is None:
                return queryset.none(), False
            return queryset.filter(person_id=person_id), False
        if sep and "." in kind:
            return queryset.filter(object_type=kind.lower(), object_id=value), False
        users = get_user_model().objects.filter(username=term).values("pk")[:1]
        return queryset.filter(user_id=Subquery(users)), False

    @admin.display(description="person", ordering=None)
    def person_ref(self, obj: AuditEvent):
        # The id only: no join to people, and no names in the trail's own list.
        return obj.person_id

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
