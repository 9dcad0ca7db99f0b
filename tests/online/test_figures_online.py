"""The weekly figures (figures.weekly, what the figures page and GET
/api/v1/figures/weekly/ show) count a case and a contact reached online under
"online", and in the totals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.workitem import Route, Status
from contacts.models import Contact
from figures.weekly import (
    ISO,
    Period,
    RouteFigures,
    Scope,
    WeekFigures,
    compute_weekly_figures,
)
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails
from work.online import (
    CaseAnswer,
    online_case_submit,
    online_case_wait,
    online_cases_invite,
    online_contact_answer,
)

pytestmark = pytest.mark.django_db


def invite(case):
    """What intake does for a new case that can be messaged: no call due for the
    set hours, and its link sent."""
    now = timezone.now()
    assert online_case_wait(case, now)
    case.save(update_fields=["next_attempt_at"])
    [link] = online_cases_invite(cases=[case], now=now)
    return link


def this_week() -> WeekFigures:
    """This ISO week's figures for England, worked out afresh."""
    period = Period.containing(timezone.localdate(), ISO)
    return compute_weekly_figures(period=period, scope=Scope.england())


@pytest.fixture
def reached_online(clock):
    """A case sent its link on intake enters a contact an hour later; the contact,
    told by text, confirms they will isolate an hour after that. A second case is
    reached by phone, and a third not at all."""
    case = f.CaseFactory(person=f.PersonFactory(phone="+447400200001"))
    link = invite(case)
    clock.shift(dt.timedelta(hours=1))
    today = timezone.localdate()
    online_case_submit(
        link=link,
        answer=CaseAnswer(
            contacts=[
                ContactDetails(
                    person=PersonDetails(
                        first_name="Nia",
                        last_name="Online",
                        phone="07400 200002",
                        postcode="S1 2HE",
                    ),
                    exposure_date=today - dt.timedelta(days=1),
                    exposure=Contact.Exposure.HOUSEHOLD,
                )
            ],
            visits=[],
        ),
    )
    contact = Contact.objects.get(case=case)
    clock.shift(dt.timedelta(hours=1))
    online_contact_answer(link=contact.online_links.get(), will_isolate=True)
    f.CaseFactory(
        status=Status.COMPLETED,
        reached_at=timezone.now(),
        reached_route=Route.NATIONAL,
    )
    f.CaseFactory()
    case.refresh_from_db()
    contact.refresh_from_db()
    return case, contact


def test_the_items_were_reached_by_the_online_route(reached_online):
    case, contact = reached_online
    assert case.reached_route == Route.ONLINE
    assert contact.reached_route == Route.ONLINE
    assert contact.status == Status.REACHED


def test_a_case_reached_online_counts_under_online_and_in_the_totals(reached_online):
    cases = this_week().cases
    assert cases.transferred == 3
    assert cases.reached == 2
    assert cases.within_24h == 2
    assert cases.by_route["online"] == RouteFigures(reached=1, within_24h=1)
    national = [cases.by_route[tier] for tier in ("tier2", "tier3")]
    assert sum(route.reached for route in national) == 1
    assert cases.by_route["local"] == RouteFigures(reached=0, within_24h=0)


def test_a_contact_reached_online_counts_under_online_and_in_the_totals(
    reached_online,
):
    contacts = this_week().contacts
    assert contacts.identified == 1
    assert contacts.reached == 1
    assert contacts.within_24h == 1
    assert contacts.by_route["online"] == RouteFigures(reached=1, within_24h=1)
    for tier in ("tier2", "tier3", "local"):
        assert contacts.by_route[tier] == RouteFigures(reached=0, within_24h=0)


def test_an_answer_later_than_a_day_is_reached_but_not_within_24_hours(clock):
    case = f.CaseFactory(person=f.PersonFactory(phone="+447400200003"))
    link = invite(case)
    clock.shift(dt.timedelta(hours=25))
    online_case_submit(link=link, answer=CaseAnswer(contacts=[], visits=[]))
    cases = this_week().cases
    assert cases.reached == 1
    assert cases.within_24h == 0
    assert cases.by_route["online"] == RouteFigures(reached=1, within_24h=0)
