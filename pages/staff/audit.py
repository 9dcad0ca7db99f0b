"""The audit trail, read: who has seen a person (supervisors), and a search of the
whole trail (administrators).

Both page newest first by keyset (`?before=<iso time>,<id>`, 50 a page) on the index
the filter reads: never OFFSET, never COUNT(*) (audit/selectors.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from audit.models import AuditEvent
from audit.selectors import (
    AuditFilters,
    AuditPage,
    Cursor,
    audit_page,
    audit_search,
    person_trail,
    users_named,
)
from audit.services import audit_view
from people.models import Person
from people.selectors import people_merged_into
from staffing.access import is_national_supervisor

from .forms import DateInput

DOORS = {"page": "the pages", "api": "the API", "admin": "the admin"}
UPDATES = {
    "status": "status now {}",
    "outcome": "outcome {}",
    "action": "recorded {}",
    "picked_up": "picked up",
    "reviewed": "reviewed",
    "symptom_onset": "symptom onset {}",
    "merged": "record {} merged into it",
    "merged_into": "merged into record {}",
    "unmerged": "merge of record {} undone",
    "unmerged_from": "merge into record {} undone",
}


@dataclass
class Row:
    """One audit event as the pages show it."""

    event: AuditEvent
    who: str
    what: str
    object: str

    @property
    def at(self) -> datetime:
        return self.event.at


def _name(user) -> str:
    if user is None:
        return "the system"
    return user.get_full_name() or user.username


def _object_label(event: AuditEvent) -> str:
    try:
        model = apps.get_model(event.object_type)
    except (LookupError, ValueError):
        return f"{event.object_type} {event.object_id}"
    return f"{model._meta.verbose_name} {event.object_id}"


# What a local team does with an escalation is the team's (docs/access.md): anyone
# else reading a person's trail sees that it happened, by whom and when, not what.
ESCALATION_WORK = (
    "Escalation worked by the local team (the details are for the team and "
    "administrators)"
)


def _about_an_escalation(event: AuditEvent, detail: dict[str, Any]) -> bool:
    """An event of a local team's side of an escalation: a read of one (its page, the
    queue, the export, the admin) or a change (picked up, an action, the outcome).
    The escalation itself (when, why, to which team) is not: national supervisors
    see that on their own teams' records."""
    if event.action == AuditEvent.Action.ESCALATE:
        return False
    return "escalation" in detail or event.object_type.startswith("escalations.")


def _describe(
    event: AuditEvent, users: dict[Any, Any], *, escalation_details: bool = True
) -> str:
    """What happened, in words: viewed through which door, changed, called...; with
    `escalation_details` false, a local team's work on an escalation in one phrase."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    if not escalation_details and _about_an_escalation(event, detail):
        return ESCALATION_WORK
    thing = _object_label(event)

    def who(key: str) -> str:
        pk = detail.get(key)
        if pk is None:
            return "the pool"
        user = users.get(pk)
        return _name(user) if user is not None else f"user {pk}"

    action = event.action
    if action == AuditEvent.Action.VIEW:
        door = DOORS.get(detail.get("via", ""), detail.get("via") or "an unknown door")
        text = f"Viewed {thing} through {door}"
        if detail.get("list"):
            text += f", in the list “{detail['list']}”"
        return text
    if action == AuditEvent.Action.ASSIGN:
        return f"Assigned {thing} to {who('to')}"
    if action == AuditEvent.Action.REASSIGN:
        text = f"Reassigned {thing} from {who('from')} to {who('to')}"
        return text + (f" ({detail['reason']})" if detail.get("reason") else "")
    if action == AuditEvent.Action.ESCALATE:
        team, reason = detail.get("team", ""), detail.get("reason", "")
        return f"Escalated {thing} to team {team}" + (f" ({reason})" if reason else "")
    if action == AuditEvent.Action.CALL:
        outcome = detail.get("outcome")
        return f"Logged a call to {thing}" + (f": {outcome}" if outcome else "")
    if action == AuditEvent.Action.EXPORT:
        what = detail.get("what", "records")
        rows = detail.get("rows")
        return f"Exported {what}" + (f" ({rows} rows)" if rows is not None else "")
    if action == AuditEvent.Action.CREATE:
        return f"Created {thing}"
    if action == AuditEvent.Action.UPDATE:
        changes = [
            text.format(detail[key]) for key, text in UPDATES.items() if key in detail
        ]
        return f"Changed {thing}" + (f": {', '.join(changes)}" if changes else "")
    return f"{event.get_action_display()}: {thing}"


def _rows(page: AuditPage, *, escalation_details: bool = True) -> list[Row]:
    users = users_named(page.events)
    return [
        Row(
            event=e,
            who=_name(e.user),
            what=_describe(e, users, escalation_details=escalation_details),
            object=_object_label(e),
        )
        for e in page.events
    ]


def _older_url(request: HttpRequest, page: AuditPage) -> str:
    """The link to the next (older) page, keeping the filters."""
    if page.next is None:
        return ""
    query: QueryDict = request.GET.copy()
    query["before"] = str(page.next)
    return f"?{query.urlencode()}"


def _newest_url(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("before", None)
    return f"?{query.urlencode()}" if query else "?"


# --- who has seen this person ---------------------------------------------------------


@login_required
@require_GET
def person_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """Every audit event about one person, newest first, with those about every
    record merged into them (the trail is never moved): for national supervisors and
    administrators. Opening it is itself a read of the person, audited."""
    if not is_national_supervisor(request.user):
        raise PermissionDenied("Only national supervisors and administrators.")
    person = get_object_or_404(Person, pk=pk)
    merged = people_merged_into(person.pk)
    trail = (
        AuditEvent.objects.filter(person_id__in=[person.pk, *merged])
        if merged
        else person_trail(person.pk)
    )
    page = audit_page(
        trail.select_related("user"),
        before=Cursor.parse(request.GET.get("before")),
    )
    # National supervisors do not see the local teams' escalations; administrators
    # do (docs/access.md).
    user = request.user
    rows = _rows(page, escalation_details=bool(user.is_active and user.is_superuser))
    audit_view(
        user=request.user,
        obj=person,
        person=person,
        via="page",
        detail={"list": "who has seen"},
    )
    return TemplateResponse(
        request,
        "staffing/person_audit.html",
        {
            "person": person,
            "merged": sorted(merged),
            "rows": rows,
            "page": page,
            "older_url": _older_url(request, page),
            "newest_url": _newest_url(request),
        },
    )


# --- the search -----------------------------------------------------------------------


def _object_types() -> list[tuple[str, str]]:
    """The kinds of record events are written about (the service's own models, and
    user accounts), as (label, name) choices."""
    root = str(settings.BASE_DIR)
    models = sorted(
        (
            m
            for m in apps.get_models()
            if m._meta.label_lower == "auth.user"
            or (
                m._meta.app_config.path.startswith(root)
                and ".venv" not in m._meta.app_config.path
                and m._meta.app_label != "audit"
            )
        ),
        key=lambda m: m._meta.label_lower,
    )
    return [("", "Any")] + [
        (m._meta.label_lower, f"{m._meta.verbose_name} ({m._meta.label_lower})")
        for m in models
    ]


class AuditSearchForm(forms.Form):
    username = forms.CharField(
        required=False, max_length=150, label="User", help_text="Their exact username."
    )
    person = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, label="Person id"
    )
    object_type = forms.ChoiceField(required=False, label="Kind of record")
    object_id = forms.CharField(required=False, max_length=40, label="Record id")
    action = forms.ChoiceField(
        required=False, choices=[("", "Any"), *AuditEvent.Action.choices]
    )
    date_from = forms.DateField(required=False, label="From", widget=DateInput)
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=DateInput,
        help_text="Local dates, inclusive.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = _object_types()

    def clean(self):
        data = super().clean()
        kind, pk = data.get("object_type"), (data.get("object_id") or "").strip()
        data["object_id"] = pk
        if bool(kind) != bool(pk):
            raise forms.ValidationError(
                "To find a record's trail, give both its kind and its id."
            )
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            username=(data.get("username") or "").strip(),
            person_id=data.get("person"),
            object_type=data.get("object_type") or "",
            object_id=data.get("object_id") or "",
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


@login_required
@require_GET
def audit_search_view(request: HttpRequest) -> HttpResponse:
    """The whole trail, filtered: administrators only."""
    user = request.user
    if not (user.is_active and user.is_superuser):
        raise PermissionDenied("Only administrators may search the audit trail.")
    form = AuditSearchForm(request.GET or None)
    page, rows = None, []
    if form.is_bound and form.is_valid():
        filters = form.filters()
    elif not form.is_bound:
        filters = AuditFilters()
    else:
        filters = None
    if filters is not None:
        page = audit_page(
            audit_search(filters).select_related("user"),
            before=Cursor.parse(request.GET.get("before")),
        )
        rows = _rows(page)
    return TemplateResponse(
        request,
        "staffing/audit_search.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "older_url": _older_url(request, page) if page else "",
            "newest_url": _newest_url(request),
        },
    )
