"""Utilisation of a supervisor's team: the page and its CSV.

The CSV's last column, `figures_until`, is where its figures run to (local time,
ISO 8601 with its offset): the week's end (local midnight after its Sunday) for a
week that is over, and the moment of the download for a week not over ("so far" on
the page: shifts still to come, and the rest of one under way, are not counted;
its start for a week not started, with nothing counted). It
comes last, so the columns before it keep their places."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.models import AuditEvent
from audit.services import audit_record
from figures import utilisation as utilisation_reads
from staffing.access import supervisor_profile

from ..csv_cells import BOM, csv_cell
from .weeks import _week, _week_nav


@login_required
@require_GET
def utilisation(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    now = timezone.now()
    monday = _week(request, now)
    return TemplateResponse(
        request,
        "staffing/utilisation.html",
        {
            "u": utilisation_reads.utilisation(supervisor, monday=monday, now=now),
            "wrap_up_minutes": int(utilisation_reads.WRAP_UP.total_seconds() // 60),
            **_week_nav(monday),
        },
    )


@login_required
@require_GET
def utilisation_csv(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    now = timezone.now()
    monday = _week(request, now)
    data = utilisation_reads.utilisation(supervisor, monday=monday, now=now)
    audit_record(
        user=request.user,
        action=AuditEvent.Action.EXPORT,
        obj=supervisor,
        detail={"what": "utilisation", "week": monday.isoformat()},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="utilisation-{monday.isoformat()}.csv"'
    )
    response.write(BOM)
    writer = csv.writer(response)
    writer.writerow(
        [
            "date",
            "username",
            "name",
            "hours_on_shift",
            "calls",
            "talk_minutes",
            "items_completed",
            "idle_share",
            "figures_until",
        ]
    )
    until = timezone.localtime(data.until).isoformat(timespec="seconds")

    def line(
        day: str, username: str, name: str, r: utilisation_reads.UtilisationRow
    ) -> list:
        idle = "" if r.idle_share is None else f"{r.idle_share:.2f}"
        return [
            day,
            csv_cell(username),
            csv_cell(name),
            f"{r.hours_on_shift:.2f}",
            r.calls,
            f"{r.talk_seconds / 60:.1f}",
            r.items_completed,
            idle,
            until,
        ]

    for r in data.rows:
        user = r.profile.user
        writer.writerow(line(r.day.isoformat(), user.username, user.get_full_name(), r))
    for r in data.people:
        user = r.profile.user
        writer.writerow(
            line(
                f"week of {monday.isoformat()}", user.username, user.get_full_name(), r
            )
        )
    writer.writerow(line(f"week of {monday.isoformat()}", "", "Team total", data.team))
    return response
