"""A save sent twice, a double click without JavaScript or the browser sending the form
again, is one save: the second sending is told the first worked, as a call sent twice
is ("Your call is logged (it was sent twice, and logged once)": pages/desk/taken.py).
For the case page's forms, the isolation change (and the API's, api/isolation.py: an
integration's retry after a timeout) and a supervisor's change of an hours cap.

Before, the second was refused as if nothing had been saved: "There is a problem:
This case is completed: it cannot be completed", "This visit ... is already
recorded", "They already isolate until ...: enter a different date", "The cap is already
55 hours". These forms
carry no submission id of their own, so the second sending is known by what the
first left: the same user, the same fields, the last such change, a moment ago. A
later entry that merely repeats an earlier one is still refused.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case, SettingVisit
from cases.workitem import Status, WorkItem
from clock import SENT_TWICE_WITHIN
from contacts.models import IsolationChange
from staffing.models import HoursCapChange, StaffProfile
from work.casework import VisitDetails


def _lately(at: datetime) -> bool:
    return at >= timezone.now() - SENT_TWICE_WITHIN


def _case_events(case: Case):
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE,
        object_type=Case._meta.label_lower,
        object_id=str(case.pk),
    )


def _completions(case: Case):
    return _case_events(case).filter(detail__status=Status.COMPLETED)


def case_completed_by(user: Any, case: Case) -> bool:
    """The case is completed, and it was this user who completed it: their
    "Complete the case" sent again (a case is completed only once)."""
    completed = Case.objects.filter(pk=case.pk, status=Status.COMPLETED).exists()
    return completed and _completions(case).filter(user_id=user.pk).exists()


def case_completer(case: Case) -> Any | None:
    """Who completed the case, as its audit trail records it (None: no one did, or
    the service itself)."""
    event = _completions(case).select_related("user").order_by("-at", "-pk").first()
    return event.user if event is not None else None


def visit_just_recorded(user: Any, case: Case, details: VisitDetails) -> bool:
    """The visit sent is the last one recorded on the case, by this user, a moment
    ago, with the same place (name, kind, postcode) and day: the form sent again."""
    event = (
        _case_events(case)
        .filter(detail__has_key="visit")
        .order_by("-at", "-pk")
        .first()
    )
    if event is None or event.user_id != user.pk or not _lately(event.at):
        return False
    visit = (
        SettingVisit.objects.select_related("setting")
        .filter(pk=event.detail["visit"], case=case)
        .first()
    )
    if visit is None:
        return False
    setting = visit.setting
    # The kind this case gave (its visit's audit event): a place with a postcode is
    # one setting whatever kind each case gave it, so the setting's may be another's.
    kind = event.detail.get("kind", setting.kind)
    return (
        visit.visited_on == details.visited_on
        and setting.name.lower() == details.name.strip().lower()
        and kind == details.kind
        # A postcode not found in the areas is kept as none (work.casework).
        and setting.postcode in (details.postcode, "")
    )


def override_just_made(
    user: Any, item: WorkItem, *, ends_on: date, reason: str
) -> IsolationChange | None:
    """The isolation change sent is the item's last change, an override by this
    user a moment ago to this date with this reason, and the date in force: the
    form sent again. That change, or None."""
    change = IsolationChange.objects.of_item(item).first()
    if (
        change is None
        or change.kind != IsolationChange.Kind.OVERRIDE
        or change.by_id != user.pk
        or not _lately(change.at)
        or change.ends_on != ends_on
        or change.reason != reason.strip()
    ):
        return None
    # Read afresh: the page's copy may predate the first sending (both in flight).
    current = (
        type(item)
        .objects.filter(pk=item.pk)
        .values_list("isolation_ends_on", flat=True)
        .first()
    )
    return change if current == ends_on else None


def cap_just_changed(
    user: Any, member: StaffProfile, *, new_cap: int, reason: str
) -> bool:
    """The cap sent is the member's last change, made by this user a moment ago to
    this cap with this reason, and the cap in force: the form sent twice, refused
    the second time as "The cap is already ..."."""
    last = HoursCapChange.objects.filter(profile=member).order_by("-changed_at").first()
    return (
        last is not None
        and last.changed_by_id == user.pk
        and last.new_cap == new_cap
        and last.reason == reason.strip()
        and _lately(last.changed_at)
        and member.weekly_hours_cap == new_cap
    )
