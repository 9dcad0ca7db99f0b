"""The weekly figures leave a withdrawal out where it would count as evidence or as
work: a case "was a known contact" only through a naming by a case whose result
stands (figures.weekly's EXISTS, contacts.chains.contacts_becoming), and an
escalation a withdrawal closed is no hand-over the team worked.

Before, a case whose person had been named only by a case sent in error was counted
a known contact: the link of a chain of transmission that never was."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Case
from escalations.models import Escalation
from figures.weekly import Scope, weekly_figures
from figures.weekly import _case_figures as case_figures
from tests import factories as f
from tests.figures.test_known_contacts import AFTER, BEFORE_THE_WEEK, WEEK, case_of, on
from tests.people.test_chains import named_again
from work.withdraw import case_withdraw

pytestmark = [pytest.mark.django_db, pytest.mark.now(AFTER)]

REASON = "The lab's mix-up: another person's sample"


def naming_case():
    return f.CaseFactory(created_at=BEFORE_THE_WEEK)


def test_a_naming_by_a_withdrawn_case_makes_no_known_contact(clock, supervisor):
    sent_in_error, stands = naming_case(), naming_case()
    # Named only by the case sent in error, exposed 2 Jan, tested 6 Jan.
    only_by_it = f.PersonFactory()
    f.ContactFactory(
        case=sent_in_error,
        person=only_by_it,
        exposure_date=dt.date(2021, 1, 2),
        created_at=BEFORE_THE_WEEK,
    )
    case_of(only_by_it, created=on(8))
    # Named first by the case that stands, exposed 18 Dec (out of the window), then
    # by the one sent in error, exposed 3 Jan (in it): no link is left.
    in_window_by_it = f.PersonFactory()
    contact = f.ContactFactory(
        case=stands,
        person=in_window_by_it,
        exposure_date=dt.date(2020, 12, 18),
        created_at=BEFORE_THE_WEEK,
    )
    named_again(
        sent_in_error, contact, exposed=dt.date(2021, 1, 3), created=BEFORE_THE_WEEK
    )
    case_of(in_window_by_it, created=on(9))
    # Named by both, each in the window: known, through the one that stands.
    by_both = f.PersonFactory()
    both = f.ContactFactory(
        case=sent_in_error,
        person=by_both,
        exposure_date=dt.date(2021, 1, 2),
        created_at=BEFORE_THE_WEEK,
    )
    named_again(stands, both, exposed=dt.date(2021, 1, 3), created=BEFORE_THE_WEEK)
    case_of(by_both, created=on(10))
    assert weekly_figures(period=WEEK, scope=Scope.england()).cases.known_contacts == 3

    case_withdraw(case=sent_in_error, reason=REASON, by=supervisor)

    start, end = WEEK.bounds()
    cases = case_figures(Case.objects.filter(created_at__gte=start, created_at__lt=end))
    assert cases.transferred == 3
    assert cases.known_contacts == 1  # by_both, through the case that stands


def test_a_hand_over_closed_by_a_withdrawal_counts_for_nothing(clock, supervisor):
    """A case of the week handed to its team for a wrong number, then withdrawn:
    neither transferred nor "not reached: no working number"; the team's figures
    are those of the case it worked."""
    worked = case_of(f.PersonFactory(), created=on(8))
    withdrawn = case_of(f.PersonFactory(), created=on(8))
    team = f.area().local_team
    for case in (worked, withdrawn):
        Case.objects.filter(pk=case.pk).update(status="escalated", local_team=team)
        f.EscalationFactory(
            case=case,
            contact=None,
            local_team=team,
            reason=Escalation.Reason.WRONG_NUMBER,
            created_at=on(9),
        )

    case_withdraw(case=withdrawn, reason=REASON, by=supervisor)

    assert Escalation.objects.get(case=withdrawn).outcome == "withdrawn"
    cases = weekly_figures(period=WEEK, scope=Scope.england()).cases
    assert cases.transferred == 1
    assert cases.not_reached_no_details == 1
    assert cases.not_reached_other == 0
