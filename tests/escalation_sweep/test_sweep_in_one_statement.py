"""The sweep's batch written by one PostgreSQL statement (work.escalation_sql) writes
exactly what the row-by-row batch writes: the same items, escalations (reason and
detail worded from the call history) and audit rows, in the same order.

The detail's first line says what happened, for the reason the sweep chose: a
refusal or a wrong number as that, when, with the note made on that call (never the
note of a safeguarding concern); the hours or attempts run out only when they
did."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from audit.models import AuditEvent
from calls.models import Outcome
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from tests import factories as f
from tests.assignment.conftest import CaseFactory, ContactFactory
from work import escalation
from work.escalation import escalate_unreached

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2021, 6, 2, 12, 0, tzinfo=LONDON)
HOUR = dt.timedelta(hours=1)


def at(day: str, time: str) -> dt.datetime:
    """A London wall-clock time ("2021-03-28", "03:00")."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=LONDON)


# A call: (outcome, when), then optionally its call_back_at and a dict of its other
# fields ({"notes": ...}).
Call = tuple

SAFEGUARDING_NOTE = "Bruising seen on video call; partner shouting in background"
REFUSAL_NOTE = "Answered, refused, asked not to be called again"


def due_item(model: type[Case] | type[Contact], *, attempts: int, calls, **kwargs):
    """An unreached item out of time, with these calls in its history."""
    factory = CaseFactory if model is Case else ContactFactory
    item = factory(
        created_at=NOW - 30 * HOUR,
        escalate_due_at=NOW - HOUR,
        attempts=attempts,
        **kwargs,
    )
    for outcome, started_at, *rest in calls:
        fields = next((r for r in rest if isinstance(r, dict)), {})
        f.CallAttemptFactory(
            **{"case": None, "contact": None, model.kind: item},
            outcome=outcome,
            started_at=started_at,
            call_back_at=next((r for r in rest if isinstance(r, dt.datetime)), None),
            **fields,
        )
    return item


@pytest.fixture(params=["one statement", "row by row"])
def way(request, monkeypatch):
    """The sweep's batch in one PostgreSQL statement, or row by row (SQLite's)."""
    if request.param == "row by row":
        monkeypatch.setattr(escalation, "_batch_in_one_statement", lambda: False)
    return request.param


# Each history, and the reason and detail the local team reads for it.
HISTORIES: dict[str, tuple[int, list[Call], str, list[str]]] = {
    "never called": (
        0,
        [],
        Escalation.Reason.UNREACHED,
        ["Not reached within 24 hours: never called.", "No calls were made."],
    ),
    "one attempt, hours up": (
        1,
        [(Outcome.NO_ANSWER, at("2021-06-01", "07:05"))],
        Escalation.Reason.UNREACHED,
        [
            "Not reached within 24 hours (1 call attempt).",
            "Call history:",
            "Tue 01 Jun 07:05: No answer",
        ],
    ),
    "attempts spent": (
        3,
        [
            (Outcome.NO_ANSWER, at("2021-06-01", "09:00")),
            (Outcome.VOICEMAIL, at("2021-06-01", "13:00")),
            (Outcome.NEEDS_INTERPRETER, at("2021-06-01", "17:00")),
        ],
        Escalation.Reason.UNREACHED,
        [
            "Not reached after 3 call attempts.",
            "Call history:",
            "Tue 01 Jun 09:00: No answer",
            "Tue 01 Jun 13:00: Voicemail left",
            "Tue 01 Jun 17:00: Needs an interpreter",
        ],
    ),
    "wrong number last": (
        2,
        [
            (Outcome.NO_ANSWER, at("2021-06-01", "09:00"), {"notes": "Rang out"}),
            (
                Outcome.WRONG_NUMBER,
                at("2021-06-01", "14:30"),
                {"notes": "A shop answered"},
            ),
        ],
        Escalation.Reason.WRONG_NUMBER,
        [
            "The number called was wrong: answered by someone else on "
            "Tue 01 Jun 14:30 (2 call attempts).",
            "Note made on the call: A shop answered",
            "Call history:",
            "Tue 01 Jun 09:00: No answer",
            "Tue 01 Jun 14:30: Wrong number",
        ],
    ),
    "refused last": (
        1,
        [(Outcome.REFUSED, at("2021-06-01", "10:00"), {"notes": REFUSAL_NOTE})],
        Escalation.Reason.REFUSED,
        [
            "Refused to take part when called on Tue 01 Jun 10:00 (1 call attempt).",
            f"Note made on the call: {REFUSAL_NOTE}",
            "Call history:",
            "Tue 01 Jun 10:00: Refused to take part",
        ],
    ),
    "refused on the last of the attempts, no note": (
        3,
        [
            (Outcome.NO_ANSWER, at("2021-06-01", "09:00")),
            (Outcome.VOICEMAIL, at("2021-06-01", "13:00")),
            (Outcome.REFUSED, at("2021-06-01", "17:00"), {"notes": ""}),
        ],
        Escalation.Reason.REFUSED,
        [
            "Refused to take part when called on Tue 01 Jun 17:00 (3 call attempts).",
            "Call history:",
            "Tue 01 Jun 09:00: No answer",
            "Tue 01 Jun 13:00: Voicemail left",
            "Tue 01 Jun 17:00: Refused to take part",
        ],
    ),
    "a safeguarding concern sent back, then refused: only the refusal's note": (
        1,
        [
            (
                Outcome.SAFEGUARDING,
                at("2021-05-31", "11:00"),
                {"notes": SAFEGUARDING_NOTE},
            ),
            (Outcome.REFUSED, at("2021-06-01", "10:00"), {"notes": REFUSAL_NOTE}),
        ],
        Escalation.Reason.REFUSED,
        [
            "Refused to take part when called on Tue 01 Jun 10:00 (1 call attempt).",
            f"Note made on the call: {REFUSAL_NOTE}",
            "Call history:",
            "Mon 31 May 11:00: Safeguarding concern",
            "Tue 01 Jun 10:00: Refused to take part",
        ],
    ),
    "a safeguarding concern sent back, no call since: its note not copied": (
        0,
        [
            (
                Outcome.SAFEGUARDING,
                at("2021-05-31", "11:00"),
                {"notes": SAFEGUARDING_NOTE},
            )
        ],
        Escalation.Reason.UNREACHED,
        [
            "Not reached within 24 hours (0 call attempts).",
            "Call history:",
            "Mon 31 May 11:00: Safeguarding concern",
        ],
    ),
    "wrong number, then no answer: the last call decides": (
        2,
        [
            (Outcome.WRONG_NUMBER, at("2021-06-01", "09:00")),
            (Outcome.NO_ANSWER, at("2021-06-01", "13:00")),
        ],
        Escalation.Reason.UNREACHED,
        [
            "Not reached within 24 hours (2 call attempts).",
            "Call history:",
            "Tue 01 Jun 09:00: Wrong number",
            "Tue 01 Jun 13:00: No answer",
        ],
    ),
    "asked for a call back that never connected": (
        2,
        [
            (Outcome.NO_ANSWER, at("2021-06-01", "08:00")),
            (
                Outcome.CALL_BACK,
                at("2021-06-01", "12:00"),
                at("2021-06-01", "18:45"),
            ),
        ],
        Escalation.Reason.UNREACHED,
        [
            "Not reached within 24 hours (2 call attempts).",
            "Call history:",
            "Tue 01 Jun 08:00: No answer",
            "Tue 01 Jun 12:00: Asked to be called back, asked for a call back at "
            "Tue 01 Jun 18:45",
        ],
    ),
    "across the clock change, in local time": (
        2,
        [
            (Outcome.NO_ANSWER, at("2021-03-27", "23:30")),  # GMT
            (Outcome.VOICEMAIL, at("2021-03-28", "03:00")),  # BST
        ],
        Escalation.Reason.UNREACHED,
        [
            "Not reached within 24 hours (2 call attempts).",
            "Call history:",
            "Sat 27 Mar 23:30: No answer",
            "Sun 28 Mar 03:00: Voicemail left",
        ],
    ),
    "a new round after being sent back: no attempt in this one yet": (
        0,
        [(Outcome.NO_ANSWER, at("2021-05-30", "09:00"))],
        Escalation.Reason.UNREACHED,
        [
            "Not reached within 24 hours (0 call attempts).",
            "Call history:",
            "Sun 30 May 09:00: No answer",
        ],
    ),
}


@pytest.mark.parametrize("model", [Contact, Case], ids=["contact", "case"])
@pytest.mark.parametrize("history", HISTORIES)
def test_the_reason_and_detail_are_worded_from_the_call_history(model, history, way):
    attempts, calls, reason, lines = HISTORIES[history]
    item = due_item(model, attempts=attempts, calls=calls)

    assert escalate_unreached(now=NOW) == (1, False)

    escalation_ = Escalation.objects.get(**{model.kind: item})
    assert escalation_.reason == reason
    assert escalation_.detail.split("\n") == lines
    assert SAFEGUARDING_NOTE not in escalation_.detail


def test_calls_at_the_same_moment_keep_the_order_they_were_recorded_in():
    moment = at("2021-06-01", "09:00")
    item = due_item(
        Contact,
        attempts=2,
        calls=[(Outcome.NO_ANSWER, moment), (Outcome.REFUSED, moment)],
    )

    escalate_unreached(now=NOW)

    escalation_ = Escalation.objects.get(contact=item)
    assert escalation_.reason == Escalation.Reason.REFUSED
    assert escalation_.detail.split("\n")[-2:] == [
        "Tue 01 Jun 09:00: No answer",
        "Tue 01 Jun 09:00: Refused to take part",
    ]


# --- the one statement beside the row-by-row batch -------------------------------


def a_day_of_due_work() -> dict[tuple[str, int], str]:
    """Every history above, for contacts and cases, some held, some with no area,
    and one item still in time. Returns each item's name, by (type, pk)."""
    handler = f.UserFactory()
    names: dict[tuple[str, int], str] = {}
    for n, (name, (attempts, calls, _, _)) in enumerate(HISTORIES.items()):
        for model in (Contact, Case):
            extra: dict[str, Any] = {}
            if n % 3 == 1:
                extra = {"status": Status.ASSIGNED, "assignee": handler}
            if n % 4 == 2:
                extra.update(person__area=None, area=None, area_unknown=True)
            item = due_item(model, attempts=attempts, calls=calls, **extra)
            # Staggered, so that the batch's order is the due order, not the pk's.
            model.objects.filter(pk=item.pk).update(
                escalate_due_at=NOW - (n % 5 + 1) * HOUR
            )
            names[(model._meta.label_lower, item.pk)] = f"{model.kind}: {name}"
    in_time = ContactFactory(created_at=NOW - HOUR)
    names[("contacts.contact", in_time.pk)] = "contact in time"
    return names


def written_rows(names: dict[tuple[str, int], str]) -> dict[str, list]:
    """What a sweep wrote, with each key replaced by its item's name, in id order."""

    def item_name(row: dict) -> str:
        if row["case_id"] is not None:
            return names[("cases.case", row["case_id"])]
        return names[("contacts.contact", row["contact_id"])]

    items = sorted(
        (
            {**row, "id": names[(model._meta.label_lower, row["id"])]}
            for model in (Contact, Case)
            for row in model.objects.filter(
                pk__in=[pk for (t, pk) in names if t == model._meta.label_lower]
            ).values()
        ),
        key=lambda row: row["id"],
    )
    escalations = [
        {**row, "id": None, "case_id": None, "contact_id": None, "item": item_name(row)}
        for row in Escalation.objects.order_by("id").values()
    ]
    audit = [
        {
            **row,
            "id": None,
            "object_id": names[(row["object_type"], int(row["object_id"]))],
        }
        for row in AuditEvent.objects.filter(action=AuditEvent.Action.ESCALATE)
        .order_by("id")
        .values()
    ]
    return {"items": items, "escalations": escalations, "audit": audit}


def sweep_and_undo(names, *, batch: int) -> tuple[list, dict[str, list]]:
    """Sweep until nothing is due, read what it wrote, and undo it all."""
    results = []
    with transaction.atomic():
        while True:
            results.append(escalate_unreached(now=NOW, batch=batch))
            if not results[-1][1]:
                break
        rows = written_rows(names)
        transaction.set_rollback(True)
    return results, rows


@pytest.mark.parametrize("batch", [2000, 4])
def test_one_statement_writes_what_the_row_by_row_batch_writes(
    monkeypatch, settings, batch
):
    # A case rule of its own, so that each kind is worded by its own rule.
    settings.TRACING_CALL_RULES = {
        **settings.TRACING_CALL_RULES,
        "case": {"max_attempts": 2, "min_gap_hours": 2, "window_hours": 36},
    }
    names = a_day_of_due_work()

    in_sql = sweep_and_undo(names, batch=batch)
    monkeypatch.setattr(escalation, "_batch_in_one_statement", lambda: False)
    row_by_row = sweep_and_undo(names, batch=batch)

    assert in_sql == row_by_row
    results, rows = in_sql
    assert sum(done for done, _ in results) == 2 * len(HISTORIES)
    assert len(rows["escalations"]) == len(rows["audit"]) == 2 * len(HISTORIES)
    assert {r["reason"] for r in rows["escalations"]} == {
        Escalation.Reason.UNREACHED,
        Escalation.Reason.WRONG_NUMBER,
        Escalation.Reason.REFUSED,
    }
    assert any(r["area_unknown"] for r in rows["escalations"])
    assert any("36 hours" in r["detail"] for r in rows["escalations"])
    assert any("after 2 call attempts" in r["detail"] for r in rows["escalations"])
    assert any(
        r["detail"].startswith("Refused to take part when called on")
        and f"Note made on the call: {REFUSAL_NOTE}" in r["detail"]
        for r in rows["escalations"]
    )
    assert not any(SAFEGUARDING_NOTE in r["detail"] for r in rows["escalations"])


@pytest.mark.parametrize("held", [False, True])
def test_each_way_asks_for_an_assignment_run_only_when_a_held_item_went(
    monkeypatch, held
):
    """A swept item someone held frees their slot, and the batch asks for an
    assignment run; a batch of items nobody held does not (both ways of writing
    it)."""
    extra = {"status": Status.ASSIGNED, "assignee": f.UserFactory()} if held else {}
    due_item(Contact, attempts=3, calls=[], **extra)
    asked = []
    monkeypatch.setattr(
        escalation, "assignment_run_after_commit", lambda: asked.append(True)
    )
    for one_statement in (True, False):
        asked.clear()
        monkeypatch.setattr(
            escalation, "_batch_in_one_statement", lambda way=one_statement: way
        )
        with transaction.atomic():
            assert escalate_unreached(now=NOW) == (1, False)
            transaction.set_rollback(True)
        assert asked == ([True] if held else []), one_statement
