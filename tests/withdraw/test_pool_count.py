"""A supervisor withdraws a case waiting in the pool, then looks at the board: the
pool's count no longer holds it, at once, as a supervisor's own move shows
(items_reassign's: work/pool_counts.py). Before, it was counted for up to 90 s."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.withdraw.conftest import DECEMBER_7, positive
from work.pool_counts import count_pool_for_boards, forget_pool_count, pool_count
from work.withdraw import case_withdraw

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]


def test_the_board_stops_counting_a_withdrawn_case_at_once(
    clock, supervisor, django_capture_on_commit_callbacks
):
    forget_pool_count()
    case = positive()
    counted = count_pool_for_boards(timezone.now()).cases.total
    assert counted >= 1

    with django_capture_on_commit_callbacks(execute=True):
        case_withdraw(case=case, reason="Void test", by=supervisor)

    assert pool_count(timezone.now()).cases.total == counted - 1
