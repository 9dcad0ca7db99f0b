"""Alice's case is held by a caseworker; on her link she names Carol and Dave, both
saved. Her other phone then sends the same page, to a link that takes no more: she
is told to ring 119 about Carol and Dave (the page lists all that was typed, never
checked against whom the case named, which would tell whoever holds an old text who
was). But the case page told staff "2 people they entered online could not be
saved ... add them", though both were its contacts. Now what staff are told counts
only the people typed that the case had not named (staff may know whom it named),
and only while the case is open to a caseworker."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from online.models import OnlineLink
from tests import factories as f
from tests.online.test_dead_link_oracle_names import (
    WITH_NAMED,
    _fresh_allowance,  # noqa: F401 (a fixture, used by name)
    alice,
    alice_names_carol_and_dave,
    alices_answer,
    invite,
    names_only,
    url,
    words,
)
from work.casework import item_complete

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def held_by(caseworker) -> tuple[Case, OnlineLink]:
    """Alice, sent her link, then taken up by a caseworker."""
    case = alice()
    link = invite(case)
    case.assignee = caseworker
    case.status = Status.ASSIGNED
    case.save(update_fields=["assignee", "status"])
    return case, link


def case_page(client, case: Case, user) -> str:
    client.force_login(user)
    return words(client.get(reverse("cases:detail", args=[case.pk])))


def test_a_completed_case_s_page_does_not_ask_for_people_it_named(
    client, clock, caseworker
):
    case, link = held_by(caseworker)
    alice_names_carol_and_dave(client, link)
    f.RiskAssessmentFactory(case=case)
    item_complete(item=case, by=caseworker)
    clock.shift(dt.timedelta(minutes=5))

    # Her other phone: the same page, sent again.
    page = words(client.post(url(link), alices_answer()))

    assert "We could not save these people" in page
    assert "Carol Friend" in page
    assert "Dave Mailer" in page
    assert "call 119" in page
    staff = case_page(client, case, caseworker)
    assert 'data-testid="online-summary"' in staff
    assert "could not be saved" not in staff


def test_an_open_case_s_page_counts_only_the_people_it_had_not_named(
    client, clock, caseworker
):
    case, link = held_by(caseworker)
    alice_names_carol_and_dave(client, link)
    link.refresh_from_db()
    clock.move_to(link.expires_at + dt.timedelta(minutes=10))

    # Carol, Zoe, Dave and Eve, typed on a page opened while the link worked.
    page = words(client.post(url(link), names_only(WITH_NAMED)))

    for first, last in WITH_NAMED:
        assert f"{first} {last}" in page
    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.assignee == caseworker
    staff = case_page(client, case, caseworker)
    assert "2 people they entered online could not be saved" in staff
    [detail] = AuditEvent.objects.filter(
        object_type="cases.case", object_id=str(case.pk), detail__online="not saved"
    ).values_list("detail", flat=True)
    assert detail["contacts"] == 2
