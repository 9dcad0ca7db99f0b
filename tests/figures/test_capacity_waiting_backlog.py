"""Tier 3's forecast counts each contact once: the contacts a waiting case has named
already are waiting work, not more to come; and the contacts of today's cases are
in the contact forecast already, waiting or not. Only the cases carried over from
the days before bring contacts of their own, each the contacts per case less those
it has named (found by review)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from figures import capacity as cap
from figures import capacity_selectors as reads
from staffing.models import Tier
from tests import factories as f
from tests.capacity.builders import cases_arriving
from tests.conftest import NOW

TODAY = NOW.date()
YESTERDAY = TODAY - dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def tier3(history: cap.History) -> cap.TierForecast:
    return cap.forecast_work(history, start=NOW).tiers[Tier.CALL_HANDLER]


@pytest.mark.django_db
def test_contacts_a_new_case_has_named_are_not_counted_again(clock):
    case = f.CaseFactory(status="new", next_attempt_at=NOW)
    f.ContactFactory.create_batch(3, case=case)

    t3 = tier3(reads.history_measure(now=NOW))

    # Its three contacts wait for their calls; nothing more is to come from it.
    assert t3.waiting == 3
    assert t3.items[0] + t3.waiting == pytest.approx(3)


@pytest.mark.django_db
@pytest.mark.parametrize(("named", "contacts"), [(0, 3), (1, 3), (3, 3), (4, 4)])
def test_a_case_carried_over_from_yesterday_brings_the_contacts_it_has_not_named(
    clock, named, contacts
):
    case = f.CaseFactory(created_at=NOW - dt.timedelta(days=1))
    f.ContactFactory.create_batch(named, case=case)
    # Without the forecast of arrivals (yesterday's case would make one): only the
    # work waiting, and what it brings.
    history = replace(reads.history_measure(now=NOW), cases_by_hour={})

    t3 = tier3(history)

    # Three contacts a case (the default): those named wait, the rest are named when
    # the case, overdue, is called now.
    assert t3.waiting == named
    assert t3.items[0] + t3.waiting == pytest.approx(contacts)


def contacts_named_an_hour_later(per_case: int) -> None:
    """Each case reached so far names `per_case` contacts an hour after it arrived,
    each reached as it arrives; in one INSERT."""
    people = [f.PersonFactory() for _ in range(per_case)]
    contacts = []
    for case in Case.objects.filter(status=Status.COMPLETED).only(
        "pk", "created_at", "area_id", "isolation_ends_on"
    ):
        named = case.created_at + HOUR
        contacts.extend(
            Contact(
                case=case,
                person=person,
                area_id=case.area_id,
                exposure_date=named.date(),
                exposure=Contact.Exposure.HOUSEHOLD,
                isolation_ends_on=case.isolation_ends_on,
                created_at=named,
                next_attempt_at=named,
                escalate_due_at=named + dt.timedelta(hours=24),
                status=Status.COMPLETED,
                reached_at=named,
                completed_at=named,
            )
            for person in people
        )
    Contact.objects.bulk_create(contacts, batch_size=2000)


@pytest.mark.django_db
def test_the_cases_of_the_hour_before_waiting_as_every_day_do_not_double_tier_3(
    clock,
):
    # A fortnight of 12 cases an hour from 8 to 20, each naming 3 contacts an hour
    # later; today's from 8 to 9 reached, and the 12 from 9 to 10 waiting for their
    # call at ten, as every day.
    cases_arriving([144] * 14, last_day=YESTERDAY)
    cases_arriving([12], last_day=TODAY, hours=[8])
    contacts_named_an_hour_later(3)
    cases_arriving([12], last_day=TODAY, hours=[9], waiting=True)

    t3 = tier3(reads.history_measure(now=NOW))

    # The contacts of 10 to 11 are those of the cases of 9 to 10: 36, as every day
    # (contacts per case measured a little under 3, today's cases' contacts yet to
    # come), not 36 again for the cases waiting.
    assert t3.items[0] == pytest.approx(36, abs=1)
    assert t3.items[1] == pytest.approx(36, abs=1)
