"""The call rules never schedule an attempt after the item's deadline for the local
team: the last attempt is brought forward, or the item goes to the local team now."""

from __future__ import annotations

import datetime as dt

import pytest

from calls.models import Outcome
from work.rules import (
    LAST_CALL_BEFORE_DEADLINE,
    SHORTEST_RETRY,
    CallRule,
    after_call,
)

NOW = dt.datetime(2021, 1, 12, 10, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def no_answer(*, deadline_in: dt.timedelta, kind: str = "case", attempts_before=0):
    return after_call(
        kind=kind,
        outcome=Outcome.NO_ANSWER,
        attempts_before=attempts_before,
        escalate_due_at=NOW + deadline_in,
        now=NOW,
    )


def test_an_attempt_well_inside_the_window_keeps_the_usual_gap():
    gap = CallRule.for_kind("case").min_gap

    plan = no_answer(deadline_in=dt.timedelta(hours=20))

    assert plan.next_attempt_at == NOW + gap
    assert plan.escalate_due_at == NOW + dt.timedelta(hours=20)


def test_an_attempt_landing_exactly_at_the_last_call_time_keeps_the_usual_gap():
    gap = CallRule.for_kind("case").min_gap

    plan = no_answer(deadline_in=gap + LAST_CALL_BEFORE_DEADLINE)

    assert plan.next_attempt_at == NOW + gap


def test_an_attempt_that_would_fall_after_the_deadline_is_brought_forward():
    gap = CallRule.for_kind("case").min_gap
    deadline = NOW + gap + LAST_CALL_BEFORE_DEADLINE - MINUTE

    plan = no_answer(deadline_in=deadline - NOW)

    assert plan.next_attempt_at == deadline - LAST_CALL_BEFORE_DEADLINE
    assert plan.next_attempt_at < deadline
    assert plan.escalate_due_at == deadline


def test_when_no_attempt_fits_before_the_deadline_it_goes_to_the_local_team_now():
    deadline_in = LAST_CALL_BEFORE_DEADLINE + SHORTEST_RETRY - MINUTE

    plan = no_answer(deadline_in=deadline_in)

    assert plan.next_attempt_at is None
    assert plan.escalate_due_at == NOW


def test_the_shortest_retry_that_still_fits_is_kept():
    deadline_in = LAST_CALL_BEFORE_DEADLINE + SHORTEST_RETRY

    plan = no_answer(deadline_in=deadline_in)

    assert plan.next_attempt_at == NOW + SHORTEST_RETRY


@pytest.mark.parametrize("kind", ["case", "contact"])
@pytest.mark.parametrize("minutes_left", range(0, 24 * 60, 7))
def test_no_attempt_is_ever_scheduled_after_the_deadline(kind, minutes_left):
    deadline = NOW + dt.timedelta(minutes=minutes_left)

    plan = no_answer(deadline_in=deadline - NOW, kind=kind)

    if plan.next_attempt_at is not None:
        assert plan.next_attempt_at < deadline
        assert plan.next_attempt_at >= NOW + SHORTEST_RETRY
    else:
        assert plan.escalate_due_at == NOW
