"""An area saved in the admin, and given to another local team: its open escalations
go with it, to the new team's queue, as they were for the new team (new ones stay
new, those picked up at the old team are new again, nobody's: their holder is not of
the new team), so the team that now has the area works them. Closed escalations stay
with the team that closed them, as history.

The cases and contacts escalated carry the team holding them (`local_team`): those
of the open escalations move too, so the new team sees them and the old one no
longer does. Clusters carry only their area, so they follow it already.

A safeguarding concern moved is emailed to the new team, as it was to the old one:
its team's email is still to send (work.calls.safeguarding_email_send), queued once
the move commits, and swept up if that task is lost. The old team's email, sent or
held up, was not the new team's; the supervisors', sent already, is not sent again.
Its overdue email (to the supervisors, once it is not picked up by its due time),
sent already, is not sent again either; moved before its due time, it is the new
team's to miss; moved after it, unsent, it is not needed, and the new team's email
says the concern is overdue.

`manage.py load_areas` moves the areas outside the service that records keep in the
same way, as the system's act (`areas_outside_service_prune`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Case as SqlCase
from django.db.models import F, Q, TextField, Value, When
from django.utils import timezone

from areas.models import Area, LocalTeam
from areas.services import areas_prune
from audit.models import AuditEvent
from audit.services import audit_record
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from rows.retry import atomic_operation
from staffing.services import area_save as area_save_audited

from .calls import overdue_alert_moved
from .effects import SAFEGUARDING_EMAIL, task_after_commit
from .escalation import escalations_given_back_audited

log = logging.getLogger(__name__)

OPEN = (Escalation.Status.NEW, Escalation.Status.PICKED_UP)


@dataclass(frozen=True)
class AreaSaved:
    """What saving an area did: the team it moved to (None: it did not move) and
    how many open escalations went with it (`given_back` of them had been picked up
    at the old team, and are new again)."""

    moved_to: LocalTeam | None = None
    escalations_moved: int = 0
    given_back: int = 0


def area_moved_reason(team: LocalTeam) -> str:
    return f"The area moved to {team.name}."


@atomic_operation
def area_save(*, area: Area, by: User, now: datetime | None = None) -> AreaSaved:
    """Save an area as changed in the admin (audited by staffing's `area_save`);
    moved to another local team, its open escalations, and the cases and contacts
    they are about, go to the new team, each audited with the reason, as `by`'s.

    The area's row is locked FOR UPDATE first: an escalation of one of its items
    (the sweep, item_escalate) reads the area's team under FOR SHARE, so it either
    waits for this move and goes to the new team, or commits first and is moved."""
    now = now or timezone.now()
    if area.pk is None:
        area_save_audited(area=area, by=by, now=now)
        return AreaSaved()
    team_before = (
        Area.objects.select_for_update(of=("self",))
        .values_list("local_team_id", flat=True)
        .get(pk=area.pk)
    )
    area_save_audited(area=area, by=by, now=now)
    if area.local_team_id == team_before:
        return AreaSaved()
    return _open_escalations_move(area=area, from_team_id=team_before, by=by, now=now)


def area_outside_service_reason(area: Area, team: LocalTeam) -> str:
    return (
        f"The area moved to {team.name}: {area.name} is no longer an area of "
        "the service."
    )


@atomic_operation
def areas_outside_service_prune(*, now: datetime | None = None) -> list[str]:
    """`areas_prune` for `manage.py load_areas`: a kept area outside the service
    moved to the team serving its people now is moved as an administrator's move
    would (the area's change audited, as the system's), and its open escalations,
    with the cases and contacts they are about, go with it from the team it had,
    each audited with the reason; so do those an earlier run left at the area's old
    team. A replaced district an earlier load gave the fallback team unaudited moves
    too; one an administrator moved stays (`area_team_changed_by_an_administrator`).
    Returns the lines naming what is kept."""
    now = now or timezone.now()

    def kept_area_save(area: Area, old_team_id: int | None) -> int:
        team_before = _area_save_by_the_system(area=area, now=now)
        moved = 0
        for from_team_id in dict.fromkeys((team_before, old_team_id)):
            if from_team_id is None or from_team_id == area.local_team_id:
                continue
            moved += _open_escalations_move(
                area=area,
                from_team_id=from_team_id,
                by=None,
                now=now,
                reason=area_outside_service_reason(area, area.local_team),
            ).escalations_moved
        return moved

    return areas_prune(
        kept_area_save=kept_area_save,
        placed_by_an_administrator=area_team_changed_by_an_administrator,
    )


def area_team_changed_by_an_administrator(area: Area) -> bool:
    """Whether the trail holds an administrator's change of the area's team (staffing's
    `area_save`, as `work.areas.area_save` writes it). The system's own rows (no user:
    `load_areas` moving a kept area) are not an administrator's choice; nor is the
    old load's bare save, which wrote no row."""
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE,
        object_type=Area._meta.label_lower,
        object_id=str(area.pk),
        user__isnull=False,
        detail__has_key="local_team",
    ).exists()


def _area_save_by_the_system(*, area: Area, now: datetime) -> int | None:
    """Save an area's new team, audited as staffing's `area_save` audits an
    administrator's move (old and new), with no one's name: the system's act.
    Returns the team it had before, None when its team did not change."""
    before = (
        Area.objects.select_for_update(of=("self",))
        .select_related("local_team")
        .get(pk=area.pk)
    )
    if before.local_team_id == area.local_team_id:
        return None
    area.save(update_fields=["local_team"])
    audit_record(
        user=None,
        action=AuditEvent.Action.UPDATE,
        obj=area,
        detail={
            "local_team": {
                "from": before.local_team_id,
                "to": area.local_team_id,
                "from_name": str(before.local_team),
                "to_name": str(area.local_team),
            }
        },
        at=now,
    )
    return before.local_team_id


def _open_escalations_move(
    *,
    area: Area,
    from_team_id: int,
    by: User | None,
    now: datetime,
    reason: str | None = None,
) -> AreaSaved:
    """Set-based: the area's open escalations at the old team are locked (in id
    order) and moved by one update, their cases and contacts by one update each,
    and the audit rows written by one insert (`by` None: the system's); the new
    team's emails about the safeguarding concerns among them queued on commit."""
    team = area.local_team
    rows = list(
        Escalation.objects.filter(
            Q(case__area=area) | Q(contact__area=area),
            local_team_id=from_team_id,
            status__in=OPEN,
        )
        .order_by("pk")
        .select_for_update(of=("self",))
        .values_list(
            "pk",
            "case_id",
            "contact_id",
            "case__person_id",
            "contact__person_id",
            "picked_up_by_id",
            "reason",
            "created_by_id",
        )
    )
    if not rows:
        return AreaSaved(moved_to=team)
    moved = Escalation.objects.filter(pk__in=[row[0] for row in rows]).update(
        local_team=team,
        status=Escalation.Status.NEW,
        picked_up_by=None,
        picked_up_at=None,
        # The new team's safeguarding email is still to send: the old team's stamps
        # (sent, being sent, refused, not needed) were about the old team's.
        team_alert_sent_at=None,
        team_alert_claimed_until=None,
        team_alert_refused="",
        # Its overdue email, sent, stays sent: nobody is told again of the old
        # team's lateness. Unsent, it is the new team's to miss by its due time;
        # moved after that, it is not needed: the new team's email says it is
        # overdue (work.calls._team_alert).
        overdue_alert_refused=SqlCase(
            When(
                reason=Escalation.Reason.SAFEGUARDING,
                due_at__lte=now,
                overdue_alert_sent_at__isnull=True,
                then=Value(overdue_alert_moved(team.name)),
            ),
            default=F("overdue_alert_refused"),
            output_field=TextField(),
        ),
        overdue_alert_claimed_until=None,
    )
    for pk, *_, why_escalated, caller_id in rows:
        if why_escalated == Escalation.Reason.SAFEGUARDING and caller_id is not None:
            task_after_commit(SAFEGUARDING_EMAIL, escalation_id=pk, caller_id=caller_id)
    for model, column in ((Case, 1), (Contact, 2)):
        model.objects.filter(
            pk__in={row[column] for row in rows} - {None},
            status=Status.ESCALATED,
            local_team_id=from_team_id,
        ).update(local_team=team)
    reason = reason or area_moved_reason(team)
    escalations_given_back_audited(
        (
            (
                pk,
                case_id,
                contact_id,
                case_person if case_id is not None else contact_person,
                holder,
                reason,
            )
            for pk, case_id, contact_id, case_person, contact_person, holder, *_ in rows
        ),
        by=by,
        now=now,
        team=team.code,
    )
    given_back = sum(1 for row in rows if row[5] is not None)
    log.info("area %s moved: %s open escalations went with it", area.code, moved)
    return AreaSaved(moved_to=team, escalations_moved=moved, given_back=given_back)
