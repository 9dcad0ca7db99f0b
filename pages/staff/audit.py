"""The audit trail, read: who has seen a person (supervisors), and a search of the
whole trail (administrators).

Both page newest first by keyset (`?before=<iso time>,<id>`, 50 a page) on the index
the filter reads: never OFFSET, never COUNT(*) (audit/selectors.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from areas.models import Area
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
from calls.models import CallAttempt
from people.models import Person, PersonMerge
from people.selectors import people_merged_into
from staffing.access import is_national_supervisor
from staffing.models import CallReview, Shift, StaffProfile, Tier, TrainingModule
from work.said import and_joined

from .forms import DateInput

DOORS = {"page": "the pages", "api": "the API", "admin": "the admin"}
UPDATES = {
    "status": "status now {}",
    "outcome": "outcome {}",
    "picked_up": "picked up",
    "reviewed": "reviewed",
    "symptom_onset": "symptom onset {}",
    "merged_into": "merged into record {}",
    "unmerged": "merge of record {} undone",
    "unmerged_from": "merge into record {} undone",
}
# A person's details an event says were "changed" or "added" (intake, a local team's
# send back, a contact's answer online): which, never the values (those are in the
# person's history, people.PersonChange).
PERSON_DETAILS = {
    "first_name": "first name",
    "last_name": "last name",
    "date_of_birth": "date of birth",
    "nhs_number": "NHS number",
    "phone": "phone",
    "phone_alt": "other phone",
    "address": "address",
    "email": "email",
    "postcode": "postcode",
    "language": "language",
    "needs_interpreter": "interpreter needed",
}
DETAIL_CHANGES = ("changed", "added")
# What a local team recorded doing (escalations.EscalationAction.Kind).
TEAM_ACTIONS = {
    "doorstep": "a door-step visit",
    "phone": "a phone call",
    "letter": "a letter",
    "other": "another action",
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
    event: AuditEvent,
    users: dict[Any, Any],
    subjects: Subjects | None = None,
    *,
    escalation_details: bool = True,
) -> str:
    """What happened, in words: viewed through which door, changed, called...; with
    `escalation_details` false, a local team's work on an escalation in one phrase.
    `subjects` names the accounts, staff, areas, shifts, calls and training modules
    the events are about (_subjects_named)."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    if not escalation_details and _about_an_escalation(event, detail):
        return ESCALATION_WORK
    thing = _object_label(event)
    subjects = subjects or Subjects()
    if said := _staffing_change(event, detail, users, subjects):
        return said

    def who(key: str) -> str:
        pk = detail.get(key)
        if pk is None:
            return "the team's queue" if "escalation" in detail else "the pool"
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
        if "escalation" in detail:
            thing = f"the escalation of {thing}"
        if "team" in detail:  # to another team's queue (work.areas: an area moved)
            held = "" if detail.get("from") is None else f" from {who('from')}"
            text = f"Moved {thing}{held} to team {detail['team']}'s queue"
        else:
            text = f"Reassigned {thing} from {who('from')} to {who('to')}"
        return text + (f" ({detail['reason']})" if detail.get("reason") else "")
    if action == AuditEvent.Action.ESCALATE:
        team, reason = detail.get("team", ""), detail.get("reason", "")
        return f"Escalated {thing} to team {team}" + (f" ({reason})" if reason else "")
    if action == AuditEvent.Action.CALL:
        outcome = detail.get("outcome")
        return f"Logged a call to {thing}{_on_behalf(event, detail, users)}" + (
            f": {_outcome(outcome)}" if outcome else ""
        )
    if action == AuditEvent.Action.EXPORT:
        what = detail.get("what", "records")
        rows = detail.get("rows")
        return f"Exported {what}" + (f" ({rows} rows)" if rows is not None else "")
    if action == AuditEvent.Action.CREATE:
        if "assessment" in detail:  # a case's first (work.casework)
            said = _assessment_said(detail)
            return f"Recorded the risk assessment on {thing}" + (
                f": {said}" if said else ""
            )
        return f"Created {thing}"
    if action == AuditEvent.Action.UPDATE:
        whom = subjects.names.get((event.object_type, event.object_id), thing)
        if said := _admin_change(event.object_type, detail, whom):
            return said
        if "follows" in detail and event.object_type == "contacts.contact":
            return _contact_followed(detail, thing, subjects)
        if said := _casework_change(event, detail, thing, users):
            return said
        changes = [
            text.format(detail[key]) for key, text in UPDATES.items() if key in detail
        ]
        changes += _changes_said(detail, subjects)
        changes += _contacts_followed(detail, subjects)
        return (
            f"Changed {thing}"
            + (f": {', '.join(changes)}" if changes else "")
            + _from_result(detail)
        )
    return f"{event.get_action_display()}: {thing}"


# --- casework: calls, assessments, isolation, a local team's work, details ------------


def _outcome(value: Any) -> str:
    """A call's outcome as stored ("wrong_number") in words ("wrong number")."""
    return str(value).replace("_", " ")


def _short_day(text: Any) -> str:
    """A date as a detail stores it (ISO) as "13 Dec" (the text itself if not one)."""
    try:
        day = date.fromisoformat(str(text))
    except ValueError:
        return str(text)
    return f"{day.day} {day:%b}"


def _on_behalf(event: AuditEvent, detail: dict[str, Any], users: dict[Any, Any]) -> str:
    """ " (caller: Dan Price)" for a call logged (or corrected) by someone other
    than who made it, an integration on their behalf; "" when they logged it."""
    caller = detail.get("caller")
    if not isinstance(caller, int) or caller == event.user_id:
        return ""
    user = users.get(caller)
    return f" (caller: {_name(user) if user is not None else f'user {caller}'})"


def _isolation_moved(detail: dict[str, Any]) -> str:
    """ "isolation end moved from 16 Dec to 20 Dec" ("" when it did not move)."""
    ends, was = detail.get("isolation_ends_on"), detail.get("replaced")
    if not ends or not was or ends == was:
        return ""
    return f"isolation end moved from {_short_day(was)} to {_short_day(ends)}"


def _told(detail: dict[str, Any]) -> str:
    """The message telling the person a new date, if one was sent."""
    message = detail.get("message")
    return f"told by message {message}" if message else ""


def _assessment_said(detail: dict[str, Any]) -> str:
    """A risk assessment saved (work.casework.case_assessment_record): the symptom
    onset, and the isolation end it moved and the message telling them, if any."""
    onset = detail.get("symptom_onset")
    said = []
    if onset is not None:
        said.append(f"symptom onset {_day(onset)}" if _day(onset) else "no symptoms")
    said += [text for text in (_isolation_moved(detail), _told(detail)) if text]
    return ", ".join(said)


def _casework_change(
    event: AuditEvent, detail: dict[str, Any], thing: str, users: dict[Any, Any]
) -> str:
    """A call's outcome corrected, a risk assessment revised, a clinician's new
    isolation end, in words ("" for any other change)."""
    if isinstance(corrected := detail.get("corrected"), dict):  # work.calls
        text = (
            f"Corrected the call to {thing}{_on_behalf(event, detail, users)} "
            f"from {_outcome(corrected.get('from'))} to {_outcome(corrected.get('to'))}"
        )
        text += f" ({detail['reason']})" if detail.get("reason") else ""
        if detail.get("advice"):
            text += f"; the advice text {detail['advice']}"
        return text
    if "assessment" in detail:  # work.casework: saved again
        said = _assessment_said(detail)
        return f"Revised the risk assessment on {thing}" + (f": {said}" if said else "")
    if said := _withdrawal(detail, thing):  # work.withdraw
        return said
    if "clinician" in detail and "isolation_ends_on" in detail:  # work.isolation
        text = (
            f"Changed the isolation end of {thing} from "
            f"{_short_day(detail.get('replaced'))} to "
            f"{_short_day(detail['isolation_ends_on'])}"
        )
        clinician = detail["clinician"]
        if clinician != event.user_id:
            user = users.get(clinician)
            name = _name(user) if user is not None else f"user {clinician}"
            text += f" (clinician: {name})"
        return text
    return ""


def _withdrawal(detail: dict[str, Any], thing: str) -> str:
    """A positive result withdrawn, sent in error (work.withdraw), in words: on the
    case, what it closed; on a contact, closed with it or its date worked out again
    ("" for any other change)."""
    closed = detail.get("escalations_closed") or []
    after = [
        text
        for text in (
            "its escalation closed" if closed else "",
            _isolation_moved(detail),
            _told(detail),
        )
        if text
    ]
    if detail.get("withdrawn") is True:
        withdrawn = len(detail.get("contacts_withdrawn") or [])
        kept = len(detail.get("contacts_kept") or [])
        said = [
            f"{_plural(withdrawn, 'contact', 'contacts')} only it named closed",
            *(
                [
                    f"{_plural(kept, 'contact', 'contacts')} named by another case too "
                    "left open"
                ]
                if kept
                else []
            ),
            *after,
        ]
        return f"Withdrew the positive result of {thing} (sent in error): " + (
            ", ".join(said)
        )
    case = detail.get("withdrawn_case")
    if case is None:
        return ""
    if detail.get("status") == "withdrawn":
        text = f"Closed {thing} as withdrawn: the result of case {case} was withdrawn"
    else:
        text = f"Changed {thing} when the result of case {case} was withdrawn"
    return text + (f": {', '.join(after)}" if after else "")


def _changes_said(detail: dict[str, Any], subjects: Subjects) -> list[str]:
    """What else an update's detail holds, in words: a local team's action, a
    person's details changed or added, a merge and what it took, an isolation end
    moved and the message telling them."""
    said = []
    if "action" in detail:
        kind = detail["action"]
        said.append(f"recorded {TEAM_ACTIONS.get(kind, kind)}")
    said += [
        f"{label} {detail[key]}"
        for key, label in PERSON_DETAILS.items()
        if detail.get(key) in DETAIL_CHANGES
    ]
    if "merged" in detail:
        said.append(_merged(detail, subjects))
    if "named_by_case" in detail:
        said.append(f"named again by case {detail['named_by_case']}")
    said += [text for text in (_isolation_moved(detail), _told(detail)) if text]
    return said


def _merged(detail: dict[str, Any], subjects: Subjects) -> str:
    """ "record 290 merged into it, its phone and email kept" (work.merge: the
    fields by the side of the pair they were taken from)."""
    text = f"record {detail['merged']} merged into it"
    fields = detail.get("fields") if isinstance(detail.get("fields"), dict) else {}
    theirs = subjects.merged_sides.get(detail.get("merge"))
    if not fields or theirs is None:
        return text
    taken = [
        label for name, label in PERSON_DETAILS.items() if fields.get(name) == theirs
    ]
    return text + (
        f", its {and_joined(taken)} kept" if taken else ", none of its details kept"
    )


def _from_result(detail: dict[str, Any]) -> str:
    """Where a person's changed details came from: a lab result (work.intake)."""
    if not isinstance(result := detail.get("result"), dict):
        return ""
    if result.get("further_result"):
        return (
            f" (from a lab result, further result {result['further_result']} of "
            f"case {result.get('case')})"
        )
    return f" (from a lab result, case {result.get('case')})"


# --- an administrator's change to who someone is: accounts, staff and areas -------
# (staffing.services: account_save, staff_profile_save, area_save). The old and new
# values are read by the names the event stored, so a team renamed or removed since
# still reads as it was; the account, person or area changed is named as it is now.
# The rota's events (staffing.services: a slot published, booked, given back,
# cancelled or cut short), a new starter's call reviewed, a training module saved or
# deleted, a registration verified, training done, a new starter signed off and
# a contact taking their person's area (work.contact_area) name theirs the same way.


@dataclass
class Subjects:
    """What a page of events is about, named, fetched once a kind (_subjects_named):
    `names` of accounts, staff and areas by (object_type, object_id) ("Dan Evans",
    "area Sheffield"); the shifts by id (and the end one cut short since was
    booked to); the calls' starts by id; the training
    modules' tiers by id ("tier 3 (call handler)")."""

    names: dict[tuple[str, str], str] = dataclass_field(default_factory=dict)
    shifts: dict[str, Shift] = dataclass_field(default_factory=dict)
    calls: dict[int, datetime] = dataclass_field(default_factory=dict)
    module_tiers: dict[str, str] = dataclass_field(default_factory=dict)
    # The end a shift cut short since was booked to (ISO), by its id.
    booked_until: dict[str, str] = dataclass_field(default_factory=dict)
    # The side of its pair ("a", "b") of the record each merge merged, by its id.
    merged_sides: dict[Any, str] = dataclass_field(default_factory=dict)

    def staff(self, pk: Any) -> str:
        """A member of staff by their profile's id, "staff member 7" if gone."""
        return self.names.get(("staffing.staffprofile", str(pk)), f"staff member {pk}")

    def area(self, pk: Any) -> str:
        """An area by its id: "area Sheffield", "area 7" if gone."""
        return self.names.get(("areas.area", str(pk)), f"area {pk}")


def _ids_named(events: list[AuditEvent]) -> dict[str, set[int]]:
    """The ids of each kind of record the events change or name in their detail:
    the staff a shift is booked for, the areas a contact moved between, the call a
    review is of."""
    ids: dict[str, set[int]] = defaultdict(set)
    for event in events:
        detail = event.detail if isinstance(event.detail, dict) else {}
        if event.action == AuditEvent.Action.UPDATE and event.object_id.isdigit():
            ids[event.object_type].add(int(event.object_id))
        if event.object_type == "staffing.shift" and "shift" in detail:
            if event.object_id.isdigit():
                ids["staffing.shift"].add(int(event.object_id))
            if isinstance(detail.get("staff"), int):
                ids["staffing.staffprofile"].add(detail["staff"])
        if isinstance(detail.get("call"), int) and detail.get("reviewed") is True:
            ids["calls.callattempt"].add(detail["call"])
        if "merged" in detail and isinstance(detail.get("merge"), int):
            ids["people.personmerge"].add(detail["merge"])
        moves = list(detail.get("contacts_followed") or [])
        if "follows" in detail:
            moves.append(detail)
        for move in moves:
            for key in ("area", "area_was"):
                if isinstance(move.get(key), int):
                    ids["areas.area"].add(move[key])
    return ids


def _subjects_named(events: list[AuditEvent]) -> Subjects:
    """The records the events are about, named (Subjects); one query a kind, none
    when no event is about one. One since deleted is left out (and read as "user
    12", "area 7", "shift 108")."""
    ids = _ids_named(events)
    subjects = Subjects()
    names = subjects.names
    if user_ids := ids.get("auth.user"):
        for user in get_user_model().objects.filter(pk__in=user_ids):
            names["auth.user", str(user.pk)] = _name(user)
    if profile_ids := ids.get("staffing.staffprofile"):
        profiles = StaffProfile.objects.filter(pk__in=profile_ids).select_related(
            "user"
        )
        for profile in profiles:
            names["staffing.staffprofile", str(profile.pk)] = _name(profile.user)
    if area_ids := ids.get("areas.area"):
        for pk, name in Area.objects.filter(pk__in=area_ids).values_list("pk", "name"):
            names["areas.area", str(pk)] = f"area {name}"
    if shift_ids := ids.get("staffing.shift"):
        for shift in Shift.objects.filter(pk__in=shift_ids).select_related("team"):
            subjects.shifts[str(shift.pk)] = shift
        subjects.booked_until = _booked_until(shift_ids)
    if call_ids := ids.get("calls.callattempt"):
        calls = CallAttempt.objects.filter(pk__in=call_ids)
        subjects.calls = dict(calls.values_list("pk", "started_at"))
    if merge_ids := ids.get("people.personmerge"):
        merges = PersonMerge.objects.filter(pk__in=merge_ids).values_list(
            "pk", "merged_id", "pair__person_a_id", "pair__person_b_id"
        )
        for pk, merged, a, b in merges:
            side = "a" if merged == a else "b" if merged == b else None
            if side is not None:
                subjects.merged_sides[pk] = side
    if module_ids := ids.get("staffing.trainingmodule"):
        modules = TrainingModule.objects.filter(pk__in=module_ids)
        for pk, tier in modules.values_list("pk", "tier"):
            subjects.module_tiers[str(pk)] = _tier_named(Tier(tier).label)
    return subjects


def _booked_until(shift_ids: set[int]) -> dict[str, str]:
    """The end each of these shifts was booked to, of those cut short since (a
    cut-short shift ends when it was cut: its booking reads as booked), from their
    events on the trail's index of records, in one query."""
    cut = AuditEvent.objects.filter(
        object_type="staffing.shift",
        object_id__in=[str(pk) for pk in shift_ids],
        action=AuditEvent.Action.UPDATE,
        detail__shift="cut short",
    ).values_list("object_id", "detail__ends_at__from")
    return {shift_id: end for shift_id, end in cut if isinstance(end, str)}


def _admin_change(object_type: str, detail: dict[str, Any], whom: str) -> str:
    """An administrator's change to an account, a staff profile or an area in words
    ("" for any other change)."""
    if object_type == "auth.user" and isinstance(detail.get("is_active"), dict):
        return _account_turned(detail, whom)
    if object_type == "staffing.staffprofile":
        return _profile_recorded(detail, whom) or _profile_changed(detail, whom)
    if object_type == "areas.area" and isinstance(detail.get("local_team"), dict):
        change = detail["local_team"]
        return (
            f"Moved {whom} from {_named(change, 'from', 'local team')} "
            f"to {_named(change, 'to', 'local team')}"
        )
    return ""


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _account_turned(detail: dict[str, Any], whom: str) -> str:
    """ "Turned off Dan Evans's account (Left the service): 1 shift ended early, 2 to
    come cancelled", or turned on."""
    if detail["is_active"].get("to"):
        return f"Turned on {whom}'s account"
    text = f"Turned off {whom}'s account"
    if detail.get("reason"):
        text += f" ({detail['reason']})"
    shifts = _shifts_ended(detail)
    return text + (f": {shifts}" if shifts else "")


def _shifts_ended(detail: dict[str, Any]) -> str:
    """ "1 shift ended early, 2 to come cancelled" ("" when none ended)."""
    cut_short = detail.get("shifts_cut_short") or 0
    cancelled = detail.get("shifts_cancelled") or 0
    shifts = []
    if cut_short:
        shifts.append(_plural(cut_short, "shift ended early", "shifts ended early"))
    if cancelled:
        noun = "" if shifts else " shift" if cancelled == 1 else " shifts"
        shifts.append(f"{cancelled}{noun} to come cancelled")
    return ", ".join(shifts)


def _named(change: dict[str, Any], end: str, kind: str) -> str:
    """The old ("from") or new ("to") value of a change by the name stored with it,
    else by its kind and id."""
    name = change.get(f"{end}_name")
    if name:
        return str(name)
    value = change.get(end)
    return f"no {kind}" if value is None else f"{kind} {value}"


def _tier(change: dict[str, Any], end: str) -> str:
    """ "Tier 2: clinical caseworker" as "tier 2 (clinical caseworker)"."""
    return _tier_named(_named(change, end, "tier"))


def _tier_named(name: str) -> str:
    match = re.fullmatch(r"Tier (\d+): (.+)", name)
    return f"tier {match[1]} ({match[2]})" if match else name


def _move(change: dict[str, Any], kind: str) -> str:
    """A move between teams (or organisations): from one to another, into one or
    out of one."""
    if change.get("from") is None:
        return f"into {kind} {_named(change, 'to', kind)}"
    if change.get("to") is None:
        return f"out of {kind} {_named(change, 'from', kind)}"
    return (
        f"from {kind} {_named(change, 'from', kind)} "
        f"to {kind} {_named(change, 'to', kind)}"
    )


def _day(text: Any) -> str:
    """A date as a detail stores it (ISO) as "14 Jan 2026" ("" if not one)."""
    try:
        day = date.fromisoformat(str(text))
    except ValueError:
        return ""
    return f"{day.day} {day:%b %Y}"


def _profile_recorded(detail: dict[str, Any], whom: str) -> str:
    """A registration verified, a training module completed or a new starter signed
    off, in words ("" for any other change to a staff profile)."""
    if detail.get("registration") == "verified":
        until = _day(detail.get("expires_on"))
        return (
            f"Verified {whom}'s registration: {detail.get('body')} "
            f"{detail.get('number')}" + (f", until {until}" if until else "")
        )
    if detail.get("training") == "completed":
        on = _day(detail.get("completed_on"))
        module = detail.get("module_name") or f"module {detail.get('module')}"
        return f"Recorded {whom}'s training “{module}” as completed" + (
            f" on {on}" if on else ""
        )
    if detail.get("new_starter") == "signed off":
        return f"Signed off {whom} as no longer a new starter"
    return ""


def _profile_changed(detail: dict[str, Any], whom: str) -> str:
    """ "Moved Ada Hughes from tier 2 (clinical caseworker) to tier 3 (call
    handler) and from team A to team B; made Ada Hughes a supervisor"."""
    moves = []
    if isinstance(change := detail.get("tier"), dict):
        moves.append(f"from {_tier(change, 'from')} to {_tier(change, 'to')}")
    for field, kind in (
        ("team", "team"),
        ("local_team", "local team"),
        ("organisation", "organisation"),
    ):
        if isinstance(change := detail.get(field), dict):
            moves.append(_move(change, kind))
    said = [f"Moved {whom} {and_joined(moves)}"] if moves else []
    if moves and (shifts := _shifts_ended(detail)):
        said.append(f"{shifts} ({detail.get('reason')})")
    if moves and detail.get("new_starter") == "again":
        said.append("a new starter in the new tier")
    if isinstance(change := detail.get("weekly_hours_cap"), dict):
        cap = (
            f"Changed {whom}'s weekly hours cap from {change.get('from')} to "
            f"{change.get('to')} hours"
        )
        said.append(cap + (f": {detail['reason']}" if detail.get("reason") else ""))
    if isinstance(change := detail.get("is_supervisor"), dict):
        role = (
            "Made {} a supervisor"
            if change.get("to")
            else "Stopped {} being a supervisor"
        )
        if said:
            role = role[0].lower() + role[1:]
        said.append(role.format(whom))
    return "; ".join(said)


# --- the rota, new starters' reviews, training modules --------------------------


def _local(moment: datetime | str) -> datetime:
    """A moment (or its ISO text, as a detail stores it) in UK time."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return timezone.localtime(moment)


def _shift_label(shift_id: str, shift: Shift | None, ends: Any = None) -> str:
    """ "Mon 19 Jan 08:00-16:00 (shift 108)", in UK time; `ends` when it was booked
    to end otherwise than it stands now (one cut short); "shift 108" if gone."""
    if shift is None:
        return f"shift {shift_id}"
    end = _local(ends) if ends else _local(shift.ends_at)
    return f"{_local(shift.starts_at):%a %d %b %H:%M}-{end:%H:%M} (shift {shift_id})"


def _shift_changed(
    event: AuditEvent, detail: dict[str, Any], subjects: Subjects
) -> str:
    """A slot published, a shift booked (by its member or by a supervisor), given
    back, released (a registration verified as running out before it), cancelled
    or cut short, in words ("" for any other event)."""
    shift = subjects.shifts.get(event.object_id)
    booked_until = subjects.booked_until.get(event.object_id)
    label = _shift_label(event.object_id, shift, booked_until)
    staff = subjects.staff(detail.get("staff"))
    reason = f": {detail['reason']}" if detail.get("reason") else ""
    kind = detail["shift"]
    if kind == "booked":
        text = f"Booked {label} for {staff}"
        if asked := detail.get("asked_for"):
            text += f" (shift {asked}, the slot asked for, had just been taken)"
        return text
    if kind == "given back":
        return f"Gave back {staff}'s shift of {label}: the slot is open again"
    if kind == "released":
        return f"Released {staff}'s shift of {label}, the slot open again{reason}"
    if kind == "published":
        team = f" for team {shift.team.name}" if shift and shift.team else ""
        return f"Published the open slot {label}{team}{reason}"
    if kind == "cut short":
        ends = detail.get("ends_at") if isinstance(detail.get("ends_at"), dict) else {}
        when = f" at {_local(ends['to']):%H:%M}" if ends.get("to") else ""
        return f"Ended {staff}'s shift of {label} early{when}{reason}"
    if kind == "cancelled":
        if detail.get("cut_from"):
            return (
                f"Cancelled the rest of {staff}'s shift {detail['cut_from']}, "
                f"{label}{reason}"
            )
        if detail.get("staff") is None:
            return f"Withdrew the open slot {label}{reason}"
        return f"Cancelled {staff}'s shift of {label}{reason}"
    return ""


def _call_reviewed(
    detail: dict[str, Any], users: dict[Any, Any], subjects: Subjects
) -> str:
    """ "Reviewed Fay Lee's call of Mon 12 Jan 10:05: Needs support"."""
    caller = users.get(detail.get("caller"))
    whose = f"{_name(caller)}'s" if caller is not None else "a new starter's"
    started = subjects.calls.get(detail.get("call"))
    call = (
        f"call of {_local(started):%a %d %b %H:%M}"
        if started
        else f"call {detail.get('call')}"
    )
    verdict = detail.get("verdict") or ""
    if verdict in CallReview.Verdict.values:
        verdict = CallReview.Verdict(verdict).label
    return f"Reviewed {whose} {call}" + (f": {verdict}" if verdict else "")


def _module_saved(event: AuditEvent, detail: dict[str, Any], subjects: Subjects) -> str:
    """A training module created in the admin, or renamed, moved to another tier,
    made required or optional, or deleted, in words."""
    deleted = detail.get("deleted") is True
    if deleted or event.action == AuditEvent.Action.CREATE:
        # As it stood when it was made, or when it went.
        need = "required" if detail.get("required") else "optional"
        tier = _tier_named(str(detail.get("tier_name") or f"tier {detail.get('tier')}"))
        if deleted:
            return (
                f"Deleted the training module “{detail['training_module']}”, "
                f"{need} for {tier}"
            )
        return f"Created the training module “{detail.get('name')}”, {need} for {tier}"
    module = f"the training module “{detail['training_module']}”"
    tier = subjects.module_tiers.get(event.object_id, "its tier")
    said = []
    if isinstance(change := detail.get("name"), dict):
        said.append(
            f"Renamed the training module “{change['from']}” to “{change['to']}”"
        )
    if isinstance(change := detail.get("tier"), dict):
        said.append(
            f"Moved {module} from {_tier(change, 'from')} to {_tier(change, 'to')}"
        )
        tier = _tier(change, "to")
    if isinstance(change := detail.get("required"), dict):
        need = "required" if change.get("to") else "optional"
        said.append(f"Made {module} {need} for {tier}")
    return "; ".join(
        text if n == 0 else text[0].lower() + text[1:] for n, text in enumerate(said)
    )


def _staffing_change(
    event: AuditEvent, detail: dict[str, Any], users: dict[Any, Any], subjects: Subjects
) -> str:
    """The rota's, the new starters' and the training modules' events in words (""
    for any other event)."""
    if event.action not in (AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE):
        return ""
    if event.object_type == "staffing.shift" and "shift" in detail:
        return _shift_changed(event, detail, subjects)
    if event.object_type == "staffing.callreview" and detail.get("reviewed") is True:
        return _call_reviewed(detail, users, subjects)
    if event.object_type == "staffing.trainingmodule" and "training_module" in detail:
        return _module_saved(event, detail, subjects)
    return ""


# --- a contact following their person's area (work.contact_area) ------------------

# Why a contact took their person's area, as the event's "follows" says.
FOLLOWS = {"new result": "their new result's postcode"}


def _area_move(move: dict[str, Any], subjects: Subjects) -> str:
    """ "from area Sheffield to area Leeds", or "into area Leeds" when the contact's
    area was not known."""
    to = subjects.area(move.get("area"))
    if move.get("area_was") is None:
        return f"into {to}"
    return f"from {subjects.area(move['area_was'])} to {to}"


def _contact_followed(detail: dict[str, Any], thing: str, subjects: Subjects) -> str:
    """ "Moved contact 12 from area Sheffield to area Leeds (their new result's
    postcode)"."""
    why = FOLLOWS.get(detail["follows"], detail["follows"])
    return f"Moved {thing} {_area_move(detail, subjects)} ({why})"


def _contacts_followed(detail: dict[str, Any], subjects: Subjects) -> list[str]:
    """A merge's contacts still to be reached that took the survivor's area: "contact
    12 moved from area Sheffield to area Leeds", each."""
    return [
        f"contact {move.get('contact')} moved {_area_move(move, subjects)}"
        for move in detail.get("contacts_followed") or []
        if isinstance(move, dict)
    ]


def _rows(page: AuditPage, *, escalation_details: bool = True) -> list[Row]:
    users = users_named(page.events)
    subjects = _subjects_named(page.events)
    return [
        Row(
            event=e,
            who=_name(e.user),
            what=_describe(e, users, subjects, escalation_details=escalation_details),
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
