"""The weekly figures leave a withdrawn case, and the contacts only it named, out:
neither a case nor a contact, reached or not. Before, a withdrawn result could not
be told apart, and the figures counted it as a case not reached, with its contacts.
"""

from __future__ import annotations

import pytest

from figures.weekly import Period, Scope, compute_weekly_figures
from figures.weekly_refresh import compute_team_figures
from tests import factories as f
from work.withdraw import case_withdraw

from .conftest import BEN, CARYS, DECEMBER_7, SAM, named, positive

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]

WEEK = Period.containing(DECEMBER_7.date())


def counts(figures) -> tuple[int, int, int, int]:
    cases, contacts = figures.cases, figures.contacts
    return (
        cases.transferred,
        cases.not_reached_no_details + cases.not_reached_other,
        contacts.identified,
        contacts.identified - contacts.reached,
    )


def test_a_withdrawn_case_and_its_own_contacts_are_counted_nowhere(supervisor):
    real = positive("LAB-CARYS", CARYS)
    named(real, SAM)
    void = positive()
    named(void, BEN)
    team = f.area().local_team
    assert counts(compute_weekly_figures(period=WEEK, scope=Scope.england())) == (
        2,
        2,
        2,
        2,
    )

    case_withdraw(case=void, reason="Lab mix-up", by=supervisor)

    england = compute_weekly_figures(period=WEEK, scope=Scope.england())
    assert counts(england) == (1, 1, 1, 1)
    assert counts(compute_weekly_figures(period=WEEK, scope=Scope.team(team))) == (
        1,
        1,
        1,
        1,
    )
    # The beat's refresh, every team's week in one grouped query per block.
    assert counts(compute_team_figures(period=WEEK, teams=[team])[team.pk]) == (
        1,
        1,
        1,
        1,
    )
