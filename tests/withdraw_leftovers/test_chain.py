"""A case whose positive result was withdrawn (sent in error) is no evidence of
transmission: the chain of transmission (work/chains.py, drawn by
pages/desk/chain_svg.py, its rule in contacts/chains.py) draws no link to or from
it, and a naming by it links nobody.

Before, the chain around a case still ran through a withdrawn one: "Named by" the
case sent in error, or "Became" it, on the pages of people it never infected."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.workitem import Status
from pages.desk.chain_svg import chain_for_page
from tests.people.test_chains import (
    DAY,
    case_of,
    chain_section,
    keys,
    named_again,
    names,
    page,
    person,
)
from work.chains import BECAME, NAMED, chain_around
from work.withdraw import case_withdraw

pytestmark = pytest.mark.django_db

REASON = "The lab's mix-up: another person's sample"


@pytest.fixture
def withdraw(supervisor):
    def done(case):
        case_withdraw(case=case, reason=REASON, by=supervisor)
        case.refresh_from_db()
        assert case.status == Status.WITHDRAWN
        return case

    return done


@pytest.fixture
def alice():
    return person("Alice", "Ashdown")


@pytest.fixture
def bryn():
    return person("Bryn", "Brook")


@pytest.fixture
def a_names_b(alice, bryn):
    """Alice's case names Bryn (exposed 1 Jan); Bryn tests positive 5 days later."""
    case_a = case_of(alice, specimen=DAY - dt.timedelta(days=1))
    contact_b = names(case_a, bryn, exposed=DAY)
    case_b = case_of(bryn, specimen=DAY + dt.timedelta(days=5))
    return case_a, contact_b, case_b


def test_a_case_sent_in_error_is_not_where_a_chain_came_from(
    supervisor, withdraw, a_names_b
):
    case_a, contact_b, case_b = a_names_b
    assert chain_around(viewer=supervisor, case=case_b).linked  # before

    withdraw(case_a)

    for chain, centre in (
        (chain_around(viewer=supervisor, case=case_b), case_b),
        (chain_around(viewer=supervisor, case=case_a), case_a),
        (chain_around(viewer=supervisor, contact=contact_b), contact_b),
    ):
        assert not chain.linked
        assert keys(chain) == {f"{centre.kind}-{centre.pk}"}
        assert chain.edges == []


def test_a_case_sent_in_error_is_not_what_a_contact_became(
    supervisor, withdraw, a_names_b
):
    case_a, contact_b, case_b = a_names_b

    withdraw(case_b)

    for chain, centre in (
        (chain_around(viewer=supervisor, case=case_a), case_a),
        (chain_around(viewer=supervisor, contact=contact_b), contact_b),
        (chain_around(viewer=supervisor, case=case_b), case_b),
    ):
        assert not chain.linked
        assert keys(chain) == {f"{centre.kind}-{centre.pk}"}


@pytest.fixture
def xavier():
    return person("Xavier", "Exley")


def test_a_contact_named_by_a_withdrawn_case_and_another_is_linked_by_the_other(
    supervisor, withdraw, alice, bryn, xavier
):
    """Alice's case (withdrawn) names Xavier first, exposed 12 Jan; Bryn's names him
    again, exposed 10 Jan; he tests positive on 20 Jan. Bryn's naming links him,
    and his date is Bryn's exposure: Alice's case is in the chain nowhere."""
    case_a = case_of(alice, specimen=DAY + dt.timedelta(days=10))
    contact_x = names(case_a, xavier, exposed=DAY + dt.timedelta(days=11))
    case_b = case_of(bryn, specimen=DAY + dt.timedelta(days=8))
    named_again(case_b, contact_x, exposed=DAY + dt.timedelta(days=9))
    case_x = case_of(xavier, specimen=DAY + dt.timedelta(days=19))

    withdraw(case_a)

    b, k, x = f"case-{case_b.pk}", f"contact-{contact_x.pk}", f"case-{case_x.pk}"
    for chain in (
        chain_around(viewer=supervisor, case=case_x),
        chain_around(viewer=supervisor, case=case_b),
        chain_around(viewer=supervisor, contact=contact_x),
    ):
        assert keys(chain) == {b, k, x}
        assert {(e.source, e.target, e.kind) for e in chain.edges} == {
            (b, k, NAMED),
            (k, x, BECAME),
        }
        node = chain.node(k)
        assert (node.date_kind, node.date) == ("exposed on", DAY + dt.timedelta(9))
    assert not chain_around(viewer=supervisor, case=case_a).linked


def test_a_link_only_a_withdrawn_cases_naming_made_is_no_link(
    supervisor, withdraw, alice, bryn, xavier
):
    """Bryn's case names Xavier first, exposed 1 Jan (19 days before his test: out
    of the window); Alice's (withdrawn) names him again, exposed 12 Jan: in it."""
    case_b = case_of(bryn, specimen=DAY - dt.timedelta(days=1))
    contact_x = names(case_b, xavier, exposed=DAY)
    case_a = case_of(alice, specimen=DAY + dt.timedelta(days=10))
    named_again(case_a, contact_x, exposed=DAY + dt.timedelta(days=11))
    case_x = case_of(xavier, specimen=DAY + dt.timedelta(days=19))
    assert chain_around(viewer=supervisor, case=case_x).linked  # before

    withdraw(case_a)

    for chain in (
        chain_around(viewer=supervisor, case=case_x),
        chain_around(viewer=supervisor, case=case_b),
        chain_around(viewer=supervisor, contact=contact_x),
    ):
        assert not chain.linked
        assert f"case-{case_a.pk}" not in keys(chain)


def test_the_pages_draw_no_link_through_it(client, supervisor, withdraw, a_names_b):
    case_a, contact_b, case_b = a_names_b

    withdraw(case_a)

    client.force_login(supervisor)
    for item in (case_b, contact_b):
        section = chain_section(page(client, item))
        assert "<svg" not in section
        assert "Alice" not in section
        assert reverse("cases:detail", args=[case_a.pk]) not in section


def test_the_withdrawn_cases_own_chain_says_why_it_is_in_none(
    supervisor, withdraw, a_names_b
):
    case_a, contact_b, case_b = a_names_b

    withdraw(case_a)

    figure = chain_for_page(supervisor, case=case_a)
    assert not figure.linked
    assert figure.none == (
        "Not in any chain of transmission: its positive result was withdrawn "
        "(sent in error)."
    )
    contact_b.refresh_from_db()  # withdrawn with the case: only it named them
    figure = chain_for_page(supervisor, contact=contact_b)
    assert figure.none == (
        "Not in any chain of transmission: the positive result of the case that "
        "named them was withdrawn (sent in error)."
    )
    # One that stands, not linked: as before.
    assert chain_for_page(supervisor, case=case_b).none == (
        "Not linked to other cases."
    )
