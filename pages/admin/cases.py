from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin
from django.http import QueryDict

from cases.models import Case, ExposureSetting, RiskAssessment, SettingVisit
from staffing.models import StaffProfile
from work.assignment import TIER_FOR, ChangedHands, Reassigned, items_reassign_as_shown

from .base import (
    AuditedReadAdmin,
    BigTableAdmin,
    DateRangeFilter,
    IndexedSearchMixin,
    ServiceActionsMixin,
    form_action,
)

WORK_ITEM_LIST = ["status", "area", "assignee", "created_at"]


class ReasonForm(forms.Form):
    """The reason, and each chosen item's holder as the form was drawn (hidden), so
    an item that changed hands since is not taken from its new holder. The holders
    go in one field ("id:holder,id:holder", the holder empty for the pool): a field
    per item, on top of each chosen id, took a few hundred items past the fields
    Django takes in one sending (DATA_UPLOAD_MAX_NUMBER_FIELDS), and the whole move
    was refused (400)."""

    reason = forms.CharField(
        max_length=300, help_text="Recorded with each move, in the audit trail."
    )
    shown_holders = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, holders: Iterable[tuple[int, int | None]] = (), **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.fields["shown_holders"].initial = ",".join(
            f"{pk}:{holder_id or ''}" for pk, holder_id in holders
        )


class MoveForm(ReasonForm):
    to = forms.ModelChoiceField(
        queryset=StaffProfile.objects.none(),
        label="Give them to",
        help_text="Someone of the right tier, on shift now, with room under their cap.",
    )

    def __init__(self, *args: Any, tier: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = (
            StaffProfile.objects.filter(tier=tier, user__is_active=True)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        )


def _holders_as_shown(data: QueryDict, item_ids: list[int]) -> dict[int, int | None]:
    """The holder the action's form was drawn with for each chosen item, from its
    hidden field `shown_holders` ("id:holder" for each, a user id or empty for the
    pool), read as the supervisor's page reads its own. An item sent without one is
    not checked; a value no form draws (an item given two, one with no ":") reads as
    a holder nobody is, so the item is not moved."""
    chosen = set(item_ids)
    shown: dict[int, int | None] = {}
    for entry in data.get("shown_holders", "").split(","):
        pk_text, colon, value = entry.strip().partition(":")
        if not pk_text.isdigit() or int(pk_text) not in chosen:
            continue
        pk = int(pk_text)
        holder = int(value) if value.isdigit() else (None if value == "" else -1)
        if not colon or (pk in shown and shown[pk] != holder):
            holder = -1
        shown[pk] = holder
    return shown


# The items left alone named in the message, at most (an action may choose hundreds).
NAMED_AT_MOST = 10


def _moved_said(done: str, result: Reassigned) -> str:
    """What the administrator is told: how many moved (`done`, "Returned 2 to the
    pool."), then how many were left where they are because they changed hands after
    the form was drawn, each with its holder now."""
    left = result.changed_hands
    if not left:
        return done
    names = ", ".join(_holder_now(each) for each in left[:NAMED_AT_MOST])
    if len(left) > NAMED_AT_MOST:
        names += f" and {len(left) - NAMED_AT_MOST} more"
    where = "it is, as it" if len(left) == 1 else "they are, as they"
    return (
        f"{done} {len(left)} left where {where} changed hands after this form was "
        f"drawn: {names}."
    )


def _holder_now(left: ChangedHands) -> str:
    holder = left.item.assignee if left.item.assignee_id is not None else None
    now = (
        "in the pool"
        if holder is None
        else f"with {holder.get_full_name() or holder.username}"
    )
    return f"{left.item.person.full_name} (now {now})"


class WorkItemAdmin(
    IndexedSearchMixin, ServiceActionsMixin, AuditedReadAdmin, BigTableAdmin
):
    """Cases and contacts: their state and holder are shown, and moved only through
    the reassignment service (the same rules and audit as the supervisor's page),
    each only from the holder the action's form showed it with.
    Millions of rows: arrival dates by a range on the created_at index."""

    actions = ["move_to", "return_to_pool"]
    # Newest first on the created_at index, which also serves the date range (by the
    # id, the planner would walk back through every newer row to reach a range).
    ordering = ["-created_at"]
    sortable_by = ("created_at",)

    def _scope(self):
        return self.model.held_q() | self.model.pool_q()

    def _reassign(self, request, queryset, *, to, reason: str) -> Reassigned:
        """Move the chosen items as the form showed them: one that changed hands
        since (the form sent twice, the assignment run or a supervisor moving it
        meanwhile) stays with its holder now."""
        ids = list(queryset.values_list("pk", flat=True))
        return items_reassign_as_shown(
            model=self.model,
            item_ids=ids,
            scope=self._scope(),
            to=to,
            reason=reason,
            by=request.user,
            shown=_holders_as_shown(request.POST, ids),
        )

    def _holders(self, queryset) -> list[tuple[int, int | None]]:
        return list(queryset.order_by().values_list("pk", "assignee_id"))

    @admin.action(description="Give to a member of staff…", permissions=["work"])
    def move_to(self, request, queryset):
        def apply(data):
            result = self._reassign(
                request, queryset, to=data["to"].user, reason=data["reason"]
            )
            return _moved_said(f"Moved {result.moved} to {data['to']}.", result)

        return form_action(
            self,
            request,
            queryset,
            form_class=MoveForm,
            form_kwargs={
                "tier": TIER_FOR[self.model.kind],
                "holders": self._holders(queryset),
            },
            title="Give to a member of staff",
            apply=apply,
        )

    @admin.action(description="Return to the pool…", permissions=["work"])
    def return_to_pool(self, request, queryset):
        def apply(data):
            result = self._reassign(request, queryset, to=None, reason=data["reason"])
            return _moved_said(f"Returned {result.moved} to the pool.", result)

        return form_action(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            form_kwargs={"holders": self._holders(queryset)},
            title="Return to the pool",
            apply=apply,
        )


@admin.register(Case)
class CaseAdmin(WorkItemAdmin):
    list_display = ["lab_reference", "person", *WORK_ITEM_LIST]
    list_filter = [
        ("created_at", DateRangeFilter),
        "status",
        "complexity",
        "safeguarding_flag",
        "source",
    ]
    indexed_search = [
        ("lab_reference", "exact"),
        ("person__nhs_number", "nhs_number"),
        ("person__last_name", "surname"),
    ]
    search_help_text = "A lab reference, an NHS number, or a whole surname."
    list_select_related = ["person", "area", "assignee"]


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(AuditedReadAdmin, BigTableAdmin):
    list_display = ["case", "assessed_by", "assessed_at"]
    list_select_related = ["case", "assessed_by"]

    def listed_person_id(self, obj):
        return obj.case.person_id


@admin.register(ExposureSetting)
class ExposureSettingAdmin(AuditedReadAdmin):
    """A place cases named: shown, never added, changed or deleted here (its name,
    kind and area are what its clusters were found and placed by); opening one is
    audited like its visits (a household's address among them)."""

    list_display = ["name", "kind", "postcode", "area"]
    list_filter = ["kind"]
    list_select_related = ["area"]
    search_fields = ["name", "=postcode"]


@admin.register(SettingVisit)
class SettingVisitAdmin(AuditedReadAdmin, BigTableAdmin):
    """Where a case went and when: a read of the case's person."""

    list_display = ["case", "setting", "visited_on"]
    list_select_related = ["case", "setting"]

    def listed_person_id(self, obj):
        return obj.case.person_id  # the case is joined

    def audited_read(self, obj):
        return obj, obj.case.person, {}
