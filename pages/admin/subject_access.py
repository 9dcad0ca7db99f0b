"""The subject access export in the admin: from a person's record, everything held
about them as a page to print and as JSON to download (the same content), for
administrators only. Each is an export, audited by `work.subject_access`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_date, parse_datetime

from people.models import Person
from work.subject_access import person_export

# A section with at most this many columns is a table; one with more, a list of
# records (a case has some thirty columns: a table of them would not print).
TABLE_COLUMNS = 6
DATETIME_FORMAT = "j M Y H:i"
DATE_FORMAT = "j M Y"
# The person admin's action that erases a person's records (pages/admin/retention.py).
ERASE_ACTION = "erase_person"


def may_export(user) -> bool:
    """Administrators only: a subject access export holds all of a person's data."""
    return bool(user.is_active and user.is_superuser)


def _person_for_export(request: HttpRequest, object_id: int) -> Person:
    if not may_export(request.user):
        raise PermissionDenied("Only administrators may export a person's data.")
    return get_object_or_404(Person, pk=object_id)


def shown(value: Any, kind: str) -> str:
    """A value of the export as the page shows it: times and dates in local time,
    yes or no, structured values as compact JSON, nothing as a dash."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if kind == "datetime" and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return date_format(timezone.localtime(moment), DATETIME_FORMAT)
    if kind == "date" and isinstance(value, str):
        day = parse_date(value)
        if day is not None:
            return date_format(day, DATE_FORMAT)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@dataclass
class ShownSection:
    key: str
    title: str
    labels: list[str]
    rows: list[tuple[Any, list[tuple[str, str]]]]  # (id, [(label, text)])

    @property
    def table(self) -> bool:
        return len(self.labels) <= TABLE_COLUMNS


def _shown_sections(export: dict[str, Any]) -> list[ShownSection]:
    sections = []
    for key, section in export["sections"].items():
        fields = section["fields"]
        labels = [spec["label"] for spec in fields.values()]
        rows = [
            (
                row.get(section["key"]),
                [
                    (spec["label"], shown(row.get(name), spec["type"]))
                    for name, spec in fields.items()
                ],
            )
            for row in section["rows"]
        ]
        sections.append(ShownSection(key, section["title"], labels, rows))
    return sections


def subject_access_page(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int
) -> HttpResponse:
    """The export as a page to read and print, section by section."""
    person = _person_for_export(request, object_id)
    export = person_export(person=person, by=request.user)
    return TemplateResponse(
        request,
        "admin/people/person/subject_access.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": f"Subject access export: {person.full_name}",
            "opts": model_admin.opts,
            "original": person,
            "export": export,
            "exported_at": shown(export["exported_at"], "datetime"),
            "sections": _shown_sections(export),
            # Erasure on request, where the retention work offers it (the person's
            # admin action: what would go is shown before anything is erased).
            "erase_action": ERASE_ACTION
            if ERASE_ACTION in model_admin.get_actions(request)
            else "",
            "json_url": reverse(
                "admin:people_person_subject_access_json", args=[person.pk]
            ),
        },
    )


def subject_access_json(
    model_admin: admin.ModelAdmin, request: HttpRequest, object_id: int
) -> HttpResponse:
    """The export as a JSON file to download."""
    person = _person_for_export(request, object_id)
    export = person_export(person=person, by=request.user)
    day = timezone.localdate().isoformat()
    response = HttpResponse(
        json.dumps(export, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="subject-access-person-{person.pk}-{day}.json"'
    )
    return response
