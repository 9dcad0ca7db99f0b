"""Each bulk operation leaves the same rows as its single counterpart run item by item:
the same field values on the items, the same Escalation rows, the same AuditEvent rows.

The same world is built twice, each time inside a savepoint rolled back afterwards: the
bulk operation acts on the first, the single operation item by item on the second. Rows
are compared with primary keys replaced by names in the world ("item0", "handler"...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone

from areas.models import LocalTeam
from audit.models import AuditEvent
from calls.models import Outcome
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from tests import factories as f
from work.assignment import (
    DEACTIVATED,
    OFF_SHIFT,
    assign_work,
    item_assign,
    item_release,
    items_reassign,
    release_stranded_work,
)
from work.calls import call_record
from work.escalation import escalate_unreached, item_escalate_unreached

from .conftest import (
    HOUR,
    ContactFactory,
    call_handler_on_shift,
    caseworker_on_shift,
    held_case,
    held_contact,
    off_shift,
    on_shift,
    supervisor_user,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@dataclass
class World:
    """The rows an operation acts on, by name, in a fixed order."""

    items: list[models.Model] = field(default_factory=list)
    users: dict[str, Any] = field(default_factory=dict)
    # What the single operation is asked to do, item by item (filled by the builder).
    chosen: list[models.Model] = field(default_factory=list)


class Names:
    """Primary keys of one world replaced by the names of the rows they point at."""

    def __init__(self, world: World) -> None:
        self.user = {u.pk: name for name, u in world.users.items()}
        self.item = {
            (i._meta.label_lower, str(i.pk)): f"item{n}"
            for n, i in enumerate(world.items)
        }
        self.person = {
            i.person_id: f"person of item{n}" for n, i in enumerate(world.items)
        }
        self.case = {
            getattr(i, "case_id", None): f"case of item{n}"
            for n, i in enumerate(world.items)
        }

    def of_user(self, pk: int | None) -> str | None:
        return None if pk is None else self.user[pk]

    def of_item(self, model: type[models.Model], pk: int | None) -> str | None:
        return None if pk is None else self.item[(model._meta.label_lower, str(pk))]


def item_rows(world: World, names: Names) -> list[dict]:
    rows = []
    for item in world.items:
        model = type(item)
        row = model.objects.filter(pk=item.pk).values().get()
        del row["id"]
        row["person_id"] = names.person[row["person_id"]]
        row["assignee_id"] = names.of_user(row["assignee_id"])
        row["taken_from_id"] = names.of_user(row["taken_from_id"])
        if "case_id" in row:
            row["case_id"] = names.case[row["case_id"]]
        if "identified_by_id" in row:
            row["identified_by_id"] = names.of_user(row["identified_by_id"])
        rows.append(row)
    return rows


def escalation_rows(world: World, names: Names) -> list[dict]:
    rows = []
    for item in world.items:
        for row in Escalation.objects.filter(**{item.kind: item}).values():
            del row["id"]
            row["case_id"] = names.of_item(Case, row["case_id"])
            row["contact_id"] = names.of_item(Contact, row["contact_id"])
            row["created_by_id"] = names.of_user(row["created_by_id"])
            row["picked_up_by_id"] = names.of_user(row["picked_up_by_id"])
            rows.append(row)
    return rows


def audit_rows(after: int, names: Names) -> list[dict]:
    """The audit rows written since `after` (the operation's), in a fixed order."""
    rows = []
    for row in AuditEvent.objects.filter(pk__gt=after).values():
        del row["id"]
        row["user_id"] = names.of_user(row["user_id"])
        row["person_id"] = names.person[row["person_id"]]
        row["object_id"] = names.item[(row["object_type"], row["object_id"])]
        detail = dict(row["detail"])
        for key in ("from", "to"):
            if key in detail:
                detail[key] = names.of_user(detail[key])
        row["detail"] = detail
        rows.append(row)
    return sorted(rows, key=lambda r: (r["object_id"], r["action"], repr(r["detail"])))


def outcome(build: Callable[[], World], act: Callable[[World], object]) -> dict:
    """Build a world, act on it and read its rows, named; then undo it all."""
    savepoint = transaction.savepoint()
    try:
        world = build()
        after = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0
        act(world)
        names = Names(world)
        return {
            "items": item_rows(world, names),
            "escalations": escalation_rows(world, names),
            "audit": audit_rows(after, names),
        }
    finally:
        transaction.savepoint_rollback(savepoint)


def assert_same_rows(build: Callable[[], World], bulk, single) -> dict:
    by_bulk = outcome(build, bulk)
    one_by_one = outcome(build, single)
    assert by_bulk["items"] == one_by_one["items"]
    assert by_bulk["escalations"] == one_by_one["escalations"]
    assert by_bulk["audit"] == one_by_one["audit"]
    return by_bulk


# --- (a) automatic assignment ------------------------------------------------------


def contacts_waiting_for_one_handler() -> World:
    handler = call_handler_on_shift()
    world = World(users={"handler": handler})
    world.items.append(held_contact(handler))  # already theirs: left alone
    for priority in (0, 1, 0):
        world.chosen.append(ContactFactory(priority=priority))
    world.items += world.chosen
    return world


def cases_waiting_for_one_caseworker() -> World:
    caseworker = caseworker_on_shift()
    world = World(users={"caseworker": caseworker})
    world.chosen = [
        f.CaseFactory(lab_reference="LAB-A"),
        f.CaseFactory(lab_reference="LAB-B", priority=2),
        # Reached, and its holder went off shift: waits to be finished by someone.
        f.CaseFactory(
            lab_reference="LAB-C",
            status=Status.REACHED,
            reached_at=timezone.now() - HOUR,
            next_attempt_at=None,
            escalate_due_at=None,
        ),
    ]
    world.items += world.chosen
    return world


def assign_each_to(user: str) -> Callable[[World], None]:
    def act(world: World) -> None:
        for item in world.chosen:
            item_assign(item=item, to=world.users[user], by=None, now=timezone.now())

    return act


def test_automatic_assignment_of_contacts_writes_what_item_assign_writes():
    rows = assert_same_rows(
        contacts_waiting_for_one_handler,
        lambda _: assign_work(now=timezone.now()),
        assign_each_to("handler"),
    )

    assert [r["assignee_id"] for r in rows["items"]] == ["handler"] * 4
    assert [r["action"] for r in rows["audit"]] == [AuditEvent.Action.ASSIGN] * 3


def test_automatic_assignment_of_cases_writes_what_item_assign_writes():
    rows = assert_same_rows(
        cases_waiting_for_one_caseworker,
        lambda _: assign_work(now=timezone.now()),
        assign_each_to("caseworker"),
    )

    assert [r["status"] for r in rows["items"]] == [
        Status.ASSIGNED,
        Status.ASSIGNED,
        Status.REACHED,
    ]
    assert [r["assignee_id"] for r in rows["items"]] == ["caseworker"] * 3


# --- (b) releasing work held off shift -----------------------------------------------


def work_held_by_people_off_shift() -> World:
    gone_handler = off_shift(f.StaffProfileFactory()).user
    gone_caseworker = off_shift(f.StaffProfileFactory(clinical=True)).user
    staying = call_handler_on_shift()
    world = World(
        users={
            "gone handler": gone_handler,
            "gone caseworker": gone_caseworker,
            "staying": staying,
        }
    )
    world.chosen = [
        held_contact(gone_handler),
        held_contact(gone_handler),
        held_case(gone_caseworker, lab_reference="LAB-A"),
        f.CaseFactory(
            lab_reference="LAB-B",
            status=Status.REACHED,
            assignee=gone_caseworker,
            assigned_at=timezone.now() - 2 * HOUR,
            reached_at=timezone.now() - HOUR,
        ),
    ]
    world.items = [*world.chosen, held_contact(staying)]  # the last stays held
    return world


def test_releasing_stranded_work_writes_what_item_release_writes():
    def one_by_one(world: World) -> None:
        for item in world.chosen:
            item_release(item=item, by=None, reason=OFF_SHIFT, now=timezone.now())

    rows = assert_same_rows(
        work_held_by_people_off_shift,
        lambda _: release_stranded_work(now=timezone.now()),
        one_by_one,
    )

    assert [r["assignee_id"] for r in rows["items"]] == [None] * 4 + ["staying"]
    assert {r["detail"]["reason"] for r in rows["audit"]} == {OFF_SHIFT}


def work_held_by_someone_deactivated() -> World:
    profile = f.StaffProfileFactory()
    on_shift(profile)  # still on a booked shift: it is the account that ended
    profile.user.is_active = False
    profile.user.save(update_fields=["is_active"])
    world = World(users={"deactivated": profile.user})
    world.chosen = [held_contact(profile.user), held_contact(profile.user)]
    world.items = list(world.chosen)
    return world


def test_releasing_work_of_a_deactivated_holder_writes_what_item_release_writes():
    def one_by_one(world: World) -> None:
        for item in world.chosen:
            item_release(item=item, by=None, reason=DEACTIVATED, now=timezone.now())

    rows = assert_same_rows(
        work_held_by_someone_deactivated,
        lambda _: release_stranded_work(now=timezone.now()),
        one_by_one,
    )

    assert [r["status"] for r in rows["items"]] == [Status.NEW] * 2
    assert {r["detail"]["reason"] for r in rows["audit"]} == {DEACTIVATED}


# --- (c) the escalation sweep ----------------------------------------------------------


def contacts_with_a_call_history() -> World:
    """Contacts out of time after different histories; one still has time."""
    now = timezone.now()
    start = now - 30 * HOUR
    caller = supervisor_user()
    handler = f.StaffProfileFactory().user
    world = World(users={"caller": caller, "handler": handler})

    def called(item, *outcomes: str, hours_apart: int = 4):
        for n, result in enumerate(outcomes):
            call_record(
                item=item,
                caller=caller,
                outcome=result,
                now=start + (n + 1) * hours_apart * HOUR,
            )
        item.refresh_from_db()
        return item

    spent = called(
        ContactFactory(created_at=start),
        Outcome.NO_ANSWER,
        Outcome.VOICEMAIL,
        Outcome.NO_ANSWER,
    )
    wrong = called(ContactFactory(created_at=start), Outcome.WRONG_NUMBER)
    refused = called(
        ContactFactory(created_at=start), Outcome.NO_ANSWER, Outcome.REFUSED
    )
    call_back = called(ContactFactory(created_at=start), Outcome.NO_ANSWER)
    call_record(  # asked for a call back that never connected, then time ran out
        item=call_back,
        caller=caller,
        outcome=Outcome.CALL_BACK,
        call_back_at=start + 10 * HOUR,
        now=start + 8 * HOUR,
    )
    call_back.refresh_from_db()
    never_called = ContactFactory(created_at=start)
    held = held_contact(handler, created_at=start)
    called(held, Outcome.NO_ANSWER)
    world.chosen = [spent, wrong, refused, call_back, never_called, held]
    in_time = called(ContactFactory(created_at=now - 2 * HOUR), Outcome.NO_ANSWER)
    world.items = [*world.chosen, in_time]
    return world


def contact_whose_area_is_unknown() -> World:
    world = World()
    world.chosen = [
        ContactFactory(
            created_at=timezone.now() - 25 * HOUR,
            person__area=None,
            area=None,
            area_unknown=True,
        )
    ]
    world.items = list(world.chosen)
    return world


def escalate_each(world: World) -> None:
    for item in world.chosen:
        item_escalate_unreached(item=item, now=timezone.now())


def test_sweep_of_contacts_with_a_call_history_writes_what_the_single_escalation_writes(
    settings,
):
    # The histories start at 04:00 the day before, and their deadlines fall at night:
    # calling hours would move them on past the test's moment. The sweep and the
    # single escalation are compared here, so the calls are at any hour.
    settings.TRACING_CALLING_HOURS = {"opens": "00:00", "closes": "00:00"}
    rows = assert_same_rows(
        contacts_with_a_call_history,
        lambda _: escalate_unreached(now=timezone.now()),
        escalate_each,
    )

    assert [r["status"] for r in rows["items"]] == [Status.ESCALATED] * 6 + [Status.NEW]
    assert [r["reason"] for r in rows["escalations"]] == [
        Escalation.Reason.UNREACHED,
        Escalation.Reason.WRONG_NUMBER,
        Escalation.Reason.REFUSED,
        Escalation.Reason.UNREACHED,
        Escalation.Reason.UNREACHED,
        Escalation.Reason.UNREACHED,
    ]
    assert "Call history:" in rows["escalations"][0]["detail"]


def test_sweep_of_a_contact_with_no_area_writes_what_the_single_escalation_writes():
    rows = assert_same_rows(
        contact_whose_area_is_unknown,
        lambda _: escalate_unreached(now=timezone.now()),
        escalate_each,
    )

    [escalation] = rows["escalations"]
    fallback = LocalTeam.objects.get(is_fallback=True)
    assert escalation["area_unknown"]
    assert escalation["local_team_id"] == fallback.pk
    assert rows["items"][0]["local_team_id"] == fallback.pk


# --- (d) a supervisor's move of many ---------------------------------------------------

REASON = "Covering for a colleague off sick"


def work_to_move_to_one_handler() -> World:
    supervisor = supervisor_user()
    source = call_handler_on_shift()
    target = call_handler_on_shift()
    world = World(users={"supervisor": supervisor, "source": source, "target": target})
    world.chosen = [
        held_contact(source),
        held_contact(source),
        ContactFactory(),
        ContactFactory(priority=1),
        held_contact(target),  # already there: nothing to do, nothing audited
    ]
    world.items = [*world.chosen, held_contact(source)]  # not chosen: stays
    return world


def test_moving_many_to_a_person_writes_what_item_assign_writes_one_by_one():
    def bulk(world: World) -> None:
        items_reassign(
            model=Contact,
            item_ids=[item.pk for item in world.chosen],
            scope=Q(),
            to=world.users["target"],
            reason=REASON,
            by=world.users["supervisor"],
            now=timezone.now(),
        )

    def one_by_one(world: World) -> None:
        for item in world.chosen:
            item_assign(
                item=item,
                to=world.users["target"],
                by=world.users["supervisor"],
                reason=REASON,
                now=timezone.now(),
            )

    rows = assert_same_rows(work_to_move_to_one_handler, bulk, one_by_one)

    assert [r["assignee_id"] for r in rows["items"]] == ["target"] * 5 + ["source"]
    assert [(r["action"], r["user_id"]) for r in rows["audit"]] == [
        (AuditEvent.Action.REASSIGN, "supervisor"),
        (AuditEvent.Action.REASSIGN, "supervisor"),
        (AuditEvent.Action.ASSIGN, "supervisor"),
        (AuditEvent.Action.ASSIGN, "supervisor"),
    ]


def test_moving_many_to_the_pool_writes_what_item_release_writes_one_by_one():
    def bulk(world: World) -> None:
        items_reassign(
            model=Contact,
            item_ids=[item.pk for item in world.chosen[:2]],
            scope=Q(),
            to=None,
            reason=REASON,
            by=world.users["supervisor"],
            now=timezone.now(),
        )

    def one_by_one(world: World) -> None:
        for item in world.chosen[:2]:
            item_release(
                item=item,
                by=world.users["supervisor"],
                reason=REASON,
                now=timezone.now(),
                taken_from_holder=True,
            )

    rows = assert_same_rows(work_to_move_to_one_handler, bulk, one_by_one)

    assert [r["status"] for r in rows["items"][:2]] == [Status.NEW] * 2
    assert [r["detail"] for r in rows["audit"]] == [
        {"from": "source", "to": None, "reason": REASON}
    ] * 2


def work_to_release_some_of_it_waiting_already() -> World:
    supervisor = supervisor_user()
    source = call_handler_on_shift()
    world = World(users={"supervisor": supervisor, "source": source})
    world.chosen = [held_contact(source), ContactFactory()]  # the second is waiting
    world.items = list(world.chosen)
    return world


def test_releasing_work_already_in_the_pool_writes_what_moving_it_there_writes():
    def bulk(world: World) -> None:
        items_reassign(
            model=Contact,
            item_ids=[item.pk for item in world.chosen],
            scope=Q(),
            to=None,
            reason=REASON,
            by=world.users["supervisor"],
            now=timezone.now(),
        )

    def one_by_one(world: World) -> None:
        for item in world.chosen:
            item_release(
                item=item,
                by=world.users["supervisor"],
                reason=REASON,
                now=timezone.now(),
                taken_from_holder=True,
            )

    rows = assert_same_rows(
        work_to_release_some_of_it_waiting_already, bulk, one_by_one
    )

    assert [r["object_id"] for r in rows["audit"]] == ["item0"]
