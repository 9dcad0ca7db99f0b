"""New cases who were known contacts (figures.weekly): the cases of the week whose
person had been named as a contact, exposed within the chain's days before their
symptom onset (or specimen date), before the case arrived; by the case that first
named them or by another that named them again (a further exposure, known from when
it was recorded). Counted by hand below."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from api.models import Scope as ApiScope
from cases.models import Case
from contacts.models import Contact, FurtherExposure
from figures.weekly import Period, Scope, weekly_figures
from figures.weekly import _case_figures as case_figures
from tests import factories as f

from .test_api import client_for

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")

# The Thursday week 7-13 January 2021; looked at when it is over.
WEEK = Period(dt.date(2021, 1, 7))
AFTER = dt.datetime(2021, 1, 20, 12, 0, tzinfo=LONDON)
BEFORE_THE_WEEK = dt.datetime(2021, 1, 4, 9, 0, tzinfo=LONDON)


def on(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2021, 1, day, hour, 0, tzinfo=LONDON)


def case_of(person, *, created, specimen=dt.date(2021, 1, 6), onset=None):
    return f.CaseFactory(
        person=person,
        created_at=created,
        specimen_date=specimen,
        result_date=dt.date(2021, 1, 7),
        symptom_onset=onset,
    )


def named(person, *, exposed: dt.date, created=BEFORE_THE_WEEK):
    """The person named as a contact by some other case (of the week before)."""
    naming = f.CaseFactory(created_at=BEFORE_THE_WEEK)
    return f.ContactFactory(
        case=naming, person=person, exposure_date=exposed, created_at=created
    )


@pytest.fixture
def week():
    """Eight cases arrive in the week; three of them were known contacts."""
    p = [f.PersonFactory() for _ in range(9)]
    # k1: named, exposed 2 Jan, tested 6 Jan (4 days): counted.
    named(p[1], exposed=dt.date(2021, 1, 2))
    case_of(p[1], created=on(8))
    # k2: exposed 15 Dec, 22 days before the test: no link.
    named(p[2], exposed=dt.date(2020, 12, 15))
    case_of(p[2], created=on(8))
    # k3: exposed 5 Jan, but named only after the case arrived: linked, not counted.
    case_of(p[3], created=on(8))
    named(p[3], exposed=dt.date(2021, 1, 5), created=on(9))
    # k4: symptoms from 1 Jan; exposed 4 Jan, after the onset: no link.
    named(p[4], exposed=dt.date(2021, 1, 4))
    case_of(p[4], created=on(9), onset=dt.date(2021, 1, 1))
    # k5: symptoms from 1 Jan; exposed 18 Dec, 14 days before: counted.
    named(p[5], exposed=dt.date(2020, 12, 18))
    case_of(p[5], created=on(9), onset=dt.date(2021, 1, 1))
    # k6: exposed 22 Dec, 15 days before the test: no link.
    named(p[6], exposed=dt.date(2020, 12, 22))
    case_of(p[6], created=on(10))
    # k7: named by two cases: one case, counted once.
    named(p[7], exposed=dt.date(2021, 1, 3))
    named(p[7], exposed=dt.date(2021, 1, 4))
    case_of(p[7], created=on(11))
    # k8: never a contact.
    case_of(p[8], created=on(12))
    # The week before: a known contact, not of this week.
    named(p[0], exposed=dt.date(2021, 1, 1), created=on(1))
    case_of(p[0], created=on(5))


@pytest.mark.now(AFTER)
def test_the_known_contacts_of_the_week_are_counted_by_hand(clock, week):
    cases = weekly_figures(period=WEEK, scope=Scope.england()).cases
    assert cases.transferred == 8  # k1-k8
    assert cases.known_contacts == 3  # k1, k5, k7
    assert cases.known_contacts_pct == 37.5  # 3 / 8


@pytest.mark.now(AFTER)
def test_the_cases_query_still_one_query(clock, week, django_assert_num_queries):
    start, end = WEEK.bounds()
    with django_assert_num_queries(1):
        figures = case_figures(
            Case.objects.filter(created_at__gte=start, created_at__lt=end)
        )
    assert figures.known_contacts == 3


@pytest.mark.now(AFTER)
def test_the_chain_days_come_from_the_settings(clock, week, settings):
    settings.TRACING_CHAIN_DAYS = 3  # k1 (4 days) and k5 (14 days) fall out
    cases = weekly_figures(period=WEEK, scope=Scope.england()).cases
    assert cases.known_contacts == 1  # k7 (exposed 3 Jan, tested 6 Jan)


@pytest.mark.now(AFTER)
def test_the_page_the_csv_and_the_api_show_the_count(clock, week, client, supervisor):
    client.force_login(supervisor)
    query = {"week": "2021-01-07"}
    page = client.get(reverse("figures:weekly"), query).content.decode()
    row = page[page.index('id="cases-known-contacts"') :]
    row = row[: row.index("</div>")]
    assert "New cases who were known contacts" in row
    assert ">3<" in row
    assert "37.5% of transferred" in row

    response = client.get(reverse("figures:weekly_csv"), query)
    last = list(csv.DictReader(io.StringIO(response.content.decode())))[-1]
    assert (last["cases_known_contacts"], last["cases_known_contacts_pct"]) == (
        "3",
        "37.5",
    )

    api = client_for(scopes=(ApiScope.READ_FIGURES,))
    body = api.get("/api/v1/figures/weekly/", query).json()
    assert body["cases"]["known_contacts"] == 3
    assert body["cases"]["known_contacts_pct"] == 37.5


def named_again(contact, *, exposed: dt.date, created):
    """Another case names the contact's person: a further exposure of the contact."""
    return FurtherExposure.objects.create(
        contact=contact,
        case=f.CaseFactory(created_at=BEFORE_THE_WEEK),
        exposure_date=exposed,
        exposure=Contact.Exposure.HOUSEHOLD,
        created_at=created,
    )


@pytest.fixture
def named_again_week():
    """Four cases arrive in the week, each person named first too long before their
    test (15 Dec); two are known contacts by a second naming."""
    p = [f.PersonFactory() for _ in range(4)]
    first = [named(person, exposed=dt.date(2020, 12, 15)) for person in p]
    # n0: named again, exposed 3 Jan, recorded 4 Jan; tested 6 Jan: counted.
    named_again(first[0], exposed=dt.date(2021, 1, 3), created=BEFORE_THE_WEEK)
    case_of(p[0], created=on(8))
    # n1: named again in the window, but recorded after the case arrived: not known.
    case_of(p[1], created=on(8))
    named_again(first[1], exposed=dt.date(2021, 1, 5), created=on(9))
    # n2: named again, exposed 7 Jan, after the test: no link.
    named_again(first[2], exposed=dt.date(2021, 1, 7), created=on(7))
    case_of(p[2], created=on(9))
    # n3: in the window by the first naming and by two more: one case, counted once.
    Contact.objects.filter(pk=first[3].pk).update(exposure_date=dt.date(2021, 1, 1))
    named_again(first[3], exposed=dt.date(2021, 1, 2), created=BEFORE_THE_WEEK)
    named_again(first[3], exposed=dt.date(2021, 1, 4), created=BEFORE_THE_WEEK)
    case_of(p[3], created=on(10))


@pytest.mark.now(AFTER)
def test_a_case_named_again_before_it_arrived_is_a_known_contact_once(
    clock, named_again_week, django_assert_num_queries
):
    start, end = WEEK.bounds()
    with django_assert_num_queries(1):
        figures = case_figures(
            Case.objects.filter(created_at__gte=start, created_at__lt=end)
        )
    assert figures.transferred == 4
    assert figures.known_contacts == 2  # n0, n3
    assert figures.known_contacts_pct == 50.0
