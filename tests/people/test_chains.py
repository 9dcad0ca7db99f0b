"""Chains of transmission (work/chains.py, pages/desk/chain_svg.py): a contact who
becomes a case is linked to that case, shown on both pages as a graph drawn on the
server and as a list, naming only the people the viewer may see."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact, FurtherExposure
from figures.weekly import Period, Scope, weekly_figures
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.chains import BECAME, CHAIN_NODE_CAP, NAMED, chain_around

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
DAY = dt.date(2021, 1, 1)


def person(first: str, last: str):
    return f.PersonFactory(first_name=first, last_name=last)


def case_of(who, *, specimen: dt.date, onset: dt.date | None = None, created=None):
    return f.CaseFactory(
        person=who,
        specimen_date=specimen,
        result_date=specimen + dt.timedelta(days=1),
        symptom_onset=onset,
        created_at=created or timezone.now(),
    )


def names(case, who, *, exposed: dt.date, created=None) -> Contact:
    return f.ContactFactory(
        case=case,
        person=who,
        exposure_date=exposed,
        created_at=created or timezone.now(),
    )


def named_again(case, contact: Contact, *, exposed: dt.date, created=None):
    """`case` names the person of `contact` too, who joins that contact: a further
    exposure (as work.casework.contact_add records it)."""
    return FurtherExposure.objects.create(
        contact=contact,
        case=case,
        exposure_date=exposed,
        exposure=Contact.Exposure.FACE_TO_FACE,
        created_at=created or timezone.now(),
    )


def hold(item, user):
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


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


def keys(chain) -> set[str]:
    return {node.key for node in chain.nodes}


def page(client, item) -> str:
    name = "cases:detail" if isinstance(item, Case) else "contacts:detail"
    response = client.get(reverse(name, args=[item.pk]))
    assert response.status_code == 200
    return response.content.decode()


def chain_section(html: str) -> str:
    start = html.index('id="chain"')
    return html[start : html.index("</section>", start)]


# --- the link ---------------------------------------------------------------------------


def test_a_contact_who_tests_positive_five_days_later_is_linked_both_ways(
    supervisor, a_names_b
):
    case_a, contact_b, case_b = a_names_b
    around_a = chain_around(viewer=supervisor, case=case_a)
    around_b = chain_around(viewer=supervisor, case=case_b)
    around_contact = chain_around(viewer=supervisor, contact=contact_b)
    expected = {f"case-{case_a.pk}", f"contact-{contact_b.pk}", f"case-{case_b.pk}"}
    assert keys(around_a) == keys(around_b) == keys(around_contact) == expected
    assert {(e.source, e.target, e.kind) for e in around_a.edges} == {
        (f"case-{case_a.pk}", f"contact-{contact_b.pk}", NAMED),
        (f"contact-{contact_b.pk}", f"case-{case_b.pk}", BECAME),
    }
    # In columns by generation around each centre.
    assert {n.key: n.column for n in around_b.nodes} == {
        f"case-{case_a.pk}": -2,
        f"contact-{contact_b.pk}": -1,
        f"case-{case_b.pk}": 0,
    }
    assert around_contact.centre.key == f"contact-{contact_b.pk}"


def test_both_case_pages_and_the_contact_page_draw_the_other(
    client, supervisor, a_names_b
):
    case_a, contact_b, case_b = a_names_b
    client.force_login(supervisor)
    for item, other_url in (
        (case_a, reverse("cases:detail", args=[case_b.pk])),
        (case_b, reverse("cases:detail", args=[case_a.pk])),
        (contact_b, reverse("cases:detail", args=[case_b.pk])),
    ):
        section = chain_section(page(client, item))
        assert "Chain of transmission" in section
        assert "Not linked" not in section
        svg = ET.fromstring(
            section[section.index("<svg") : section.index("</svg>") + 6]
        )
        assert svg.get("role") == "img"
        assert svg.find(f"{SVG}title").text.startswith("Chain of transmission")
        drawn = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
        assert "Alice Ashdown" in drawn
        assert "Bryn Brook" in drawn
        assert f'href="{other_url}"' in section  # the list links the other


def test_tested_twenty_days_after_the_exposure_is_not_linked(
    client, supervisor, alice, bryn
):
    case_a = case_of(alice, specimen=DAY)
    contact_b = names(case_a, bryn, exposed=DAY)
    case_b = case_of(bryn, specimen=DAY + dt.timedelta(days=20))
    assert not chain_around(viewer=supervisor, case=case_b).linked
    assert not chain_around(viewer=supervisor, contact=contact_b).linked
    client.force_login(supervisor)
    for item in (case_a, case_b, contact_b):
        section = chain_section(page(client, item))
        assert "Not linked to other cases." in section
        assert "<svg" not in section


def test_the_window_is_fourteen_days_to_the_onset_inclusive(supervisor, alice, bryn):
    case_a = case_of(alice, specimen=DAY)
    names(case_a, bryn, exposed=DAY)
    onset_on_day_14 = case_of(
        bryn, specimen=DAY + dt.timedelta(days=20), onset=DAY + dt.timedelta(days=14)
    )
    assert chain_around(viewer=supervisor, case=onset_on_day_14).linked
    Case.objects.filter(pk=onset_on_day_14.pk).update(
        symptom_onset=DAY + dt.timedelta(days=15)
    )
    onset_on_day_14.refresh_from_db()
    assert not chain_around(viewer=supervisor, case=onset_on_day_14).linked
    # Symptoms before the exposure: not from this contact.
    Case.objects.filter(pk=onset_on_day_14.pk).update(
        symptom_onset=DAY - dt.timedelta(days=1)
    )
    onset_on_day_14.refresh_from_db()
    assert not chain_around(viewer=supervisor, case=onset_on_day_14).linked


def test_a_case_before_being_named_is_linked_but_not_a_known_contact(
    supervisor, alice, bryn
):
    thursday = dt.datetime(2021, 1, 7, 9, tzinfo=timezone.get_current_timezone())
    case_b = case_of(bryn, specimen=dt.date(2021, 1, 6), created=thursday)
    case_a = case_of(alice, specimen=dt.date(2021, 1, 6), created=thursday)
    # Alice's caseworker names Bryn the next day: exposed 4 Jan.
    names(case_a, bryn, exposed=dt.date(2021, 1, 4), created=thursday + dt.timedelta(1))
    chain = chain_around(viewer=supervisor, case=case_b)
    assert chain.linked
    assert f"case-{case_a.pk}" in keys(chain)
    figures = weekly_figures(period=Period(dt.date(2021, 1, 7)), scope=Scope.england())
    assert figures.cases.transferred == 2
    assert figures.cases.known_contacts == 0


def test_a_merge_of_people_brings_the_chain_along(supervisor, alice, bryn):
    """The link is derived: when Bryn's duplicate record is merged into Bryn (their
    contacts moved), the chain appears with no column to update."""
    case_a = case_of(alice, specimen=DAY)
    duplicate = person("Bryn", "Brooke")
    contact = names(case_a, duplicate, exposed=DAY)
    case_b = case_of(bryn, specimen=DAY + dt.timedelta(days=3))
    assert not chain_around(viewer=supervisor, case=case_b).linked
    Contact.objects.filter(pk=contact.pk).update(person=bryn)
    assert chain_around(viewer=supervisor, case=case_b).linked


# --- a contact named again by another case (a further exposure) --------------------------


@pytest.fixture
def xavier():
    return person("Xavier", "Exley")


@pytest.fixture
def named_twice(alice, bryn, xavier):
    """Alice's case names Xavier (exposed 1 Jan); Bryn's case names him again (he
    joins the same contact, exposed 12 Jan); Xavier tests positive on 20 Jan: 19 days
    after Alice's exposure, 8 after Bryn's."""
    case_a = case_of(alice, specimen=DAY - dt.timedelta(days=1))
    contact_x = names(case_a, xavier, exposed=DAY)
    case_b = case_of(bryn, specimen=DAY + dt.timedelta(days=10))
    named_again(case_b, contact_x, exposed=DAY + dt.timedelta(days=11))
    case_x = case_of(xavier, specimen=DAY + dt.timedelta(days=19))
    return case_a, case_b, contact_x, case_x


def test_a_contact_named_again_is_linked_through_the_later_exposure(
    supervisor, named_twice
):
    case_a, case_b, contact_x, case_x = named_twice
    a, b = f"case-{case_a.pk}", f"case-{case_b.pk}"
    k, x = f"contact-{contact_x.pk}", f"case-{case_x.pk}"
    around_x = chain_around(viewer=supervisor, case=case_x)
    assert around_x.linked
    # Both cases named him; he became his case.
    assert {(e.source, e.target, e.kind) for e in around_x.edges} == {
        (a, k, NAMED),
        (b, k, NAMED),
        (k, x, BECAME),
    }
    assert {n.key: n.column for n in around_x.nodes} == {a: -2, b: -2, k: -1, x: 0}
    # The contact's date is its latest exposure, the one that links it.
    contact_node = around_x.node(k)
    assert (contact_node.date_kind, contact_node.date) == (
        "last exposed on",
        DAY + dt.timedelta(days=11),
    )


def test_the_second_case_and_the_contact_show_the_chain_too(supervisor, named_twice):
    case_a, case_b, contact_x, case_x = named_twice
    a, b = f"case-{case_a.pk}", f"case-{case_b.pk}"
    k, x = f"contact-{contact_x.pk}", f"case-{case_x.pk}"
    around_b = chain_around(viewer=supervisor, case=case_b)
    assert keys(around_b) == {b, k, x}
    assert {(e.source, e.target, e.kind) for e in around_b.edges} == {
        (b, k, NAMED),
        (k, x, BECAME),
    }
    around_k = chain_around(viewer=supervisor, contact=contact_x)
    assert keys(around_k) == {a, b, k, x}
    assert {n.key: n.column for n in around_k.nodes if n.kind == "case"} == {
        a: -1,
        b: -1,
        x: 1,
    }
    # Alice's case named the contact who became a case: linked as well.
    assert keys(chain_around(viewer=supervisor, case=case_a)) == {a, k, x}


def test_the_second_case_page_draws_the_case_the_contact_became(
    client, supervisor, named_twice
):
    _, case_b, contact_x, case_x = named_twice
    client.force_login(supervisor)
    section = chain_section(page(client, case_b))
    assert "Not linked" not in section
    svg = ET.fromstring(section[section.index("<svg") : section.index("</svg>") + 6])
    drawn = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert "Bryn Brook" in drawn
    assert "Xavier Exley" in drawn
    assert "Alice" not in drawn  # the first naming is a step sideways from here
    assert f'href="{reverse("cases:detail", args=[case_x.pk])}"' in section
    assert f'href="{reverse("contacts:detail", args=[contact_x.pk])}"' in section
    # The contact's page lists both cases that named him.
    section = chain_section(page(client, contact_x))
    assert "Named by Alice Ashdown" in section
    assert "Named by Bryn Brook" in section
    assert "Became Xavier Exley (case, tested on 20 Jan 2021)" in section


def test_no_exposure_in_the_window_is_no_link(supervisor, alice, bryn, xavier):
    """Near misses: the later naming's exposure after his test, the earlier 19 days
    before it."""
    case_a = case_of(alice, specimen=DAY - dt.timedelta(days=1))
    contact_x = names(case_a, xavier, exposed=DAY)
    case_b = case_of(bryn, specimen=DAY + dt.timedelta(days=18))
    named_again(case_b, contact_x, exposed=DAY + dt.timedelta(days=20))
    case_x = case_of(xavier, specimen=DAY + dt.timedelta(days=19))
    for chain in (
        chain_around(viewer=supervisor, case=case_x),
        chain_around(viewer=supervisor, case=case_b),
        chain_around(viewer=supervisor, contact=contact_x),
    ):
        assert not chain.linked
    # Moved into the window (his test day, inclusive): linked.
    FurtherExposure.objects.filter(case=case_b).update(
        exposure_date=DAY + dt.timedelta(days=19)
    )
    assert chain_around(viewer=supervisor, case=case_b).linked


def test_a_person_joined_through_the_service_links_to_the_case_they_became(
    supervisor, clock, alice, bryn
):
    """As work.casework.contact_add records a second naming: an exposure of the
    existing contact, which the chain follows."""
    details = {
        "person": PersonDetails(
            first_name="Xavier",
            last_name="Exley",
            phone="0114 496 0777",
            postcode="S1 2HH",
        ),
        "exposure": Contact.Exposure.HOUSEHOLD,
    }
    case_a = case_of(alice, specimen=DAY - dt.timedelta(days=1))
    case_b = case_of(bryn, specimen=DAY + dt.timedelta(days=10))
    for case in (case_a, case_b):
        Case.objects.filter(pk=case.pk).update(status=Status.REACHED)
        case.refresh_from_db()
    # Each named the day after (a contact whose isolation is over is not traced).
    clock.move_to(DAY + dt.timedelta(days=1))
    first = contact_add(
        case=case_a, details=ContactDetails(exposure_date=DAY, **details)
    )
    clock.move_to(DAY + dt.timedelta(days=12))
    joined = contact_add(
        case=case_b,
        details=ContactDetails(exposure_date=DAY + dt.timedelta(days=11), **details),
    )
    assert joined.pk == first.pk
    assert joined.joined is not None
    case_x = case_of(first.person, specimen=DAY + dt.timedelta(days=19))
    chain = chain_around(viewer=supervisor, case=case_b)
    assert f"case-{case_x.pk}" in keys(chain)


# --- who sees whose name -------------------------------------------------------------------


def test_the_graph_does_not_name_a_person_the_viewer_may_not_see(
    client, caseworker, a_names_b
):
    case_a, contact_b, case_b = a_names_b
    hold(case_b, caseworker)  # Bryn's case is theirs; Alice's is not
    client.force_login(caseworker)
    section = chain_section(page(client, case_b))
    assert "Bryn Brook" in section
    assert "Alice" not in section
    assert "Ashdown" not in section
    assert "A case in Sheffield" in section
    # No link to a case they may not open, nor to the contact (a call handler's).
    assert reverse("cases:detail", args=[case_a.pk]) not in section
    assert reverse("contacts:detail", args=[contact_b.pk]) not in section
    # Those it does name are audited as shown to the caseworker: none but Bryn.
    shown = AuditEvent.objects.filter(
        user=caseworker, detail__list="chain of transmission"
    )
    assert not shown.exists()


def test_a_call_handler_sees_the_case_behind_their_contact_as_an_area_only(
    client, call_handler, a_names_b
):
    _, contact_b, _ = a_names_b
    hold(contact_b, call_handler)
    client.force_login(call_handler)
    section = chain_section(page(client, contact_b))
    assert "Ashdown" not in section
    assert "A case in Sheffield" in section
    assert "Bryn Brook" in section  # the person they are calling
    assert "/cases/" not in section


def test_the_people_named_in_the_chain_are_audited_as_viewed(
    client, supervisor, a_names_b, alice
):
    *_, case_b = a_names_b
    client.force_login(supervisor)
    page(client, case_b)
    events = AuditEvent.objects.filter(
        user=supervisor, detail__list="chain of transmission"
    )
    assert {e.person_id for e in events} == {alice.pk}


# --- how far, how many, how many queries -----------------------------------------------


def generations(n: int):
    """A chain of n cases, each naming the next, who tests positive 3 days later."""
    cases = [case_of(f.PersonFactory(), specimen=DAY)]
    contacts = []
    for i in range(1, n):
        exposed = DAY + dt.timedelta(days=4 * i)
        nxt = f.PersonFactory()
        contacts.append(names(cases[-1], nxt, exposed=exposed))
        cases.append(case_of(nxt, specimen=exposed + dt.timedelta(days=3)))
    return cases, contacts


def test_two_steps_up_and_two_down(supervisor):
    cases, contacts = generations(7)  # c0 -> c1 -> ... -> c6
    chain = chain_around(viewer=supervisor, case=cases[3])
    shown = {c.pk for c in cases if f"case-{c.pk}" in keys(chain)}
    assert shown == {cases[i].pk for i in (1, 2, 3, 4, 5)}
    chain = chain_around(viewer=supervisor, contact=contacts[0])  # c0 names c1
    shown = {c.pk for c in cases if f"case-{c.pk}" in keys(chain)}
    assert shown == {cases[i].pk for i in (0, 1, 2)}


def test_a_big_chain_is_capped_and_says_how_many_more(client, supervisor):
    cases, _ = generations(2)
    for _ in range(CHAIN_NODE_CAP + 5):
        names(cases[1], f.PersonFactory(), exposed=DAY + dt.timedelta(days=5))
    chain = chain_around(viewer=supervisor, case=cases[1])
    assert len(chain.nodes) == CHAIN_NODE_CAP
    assert chain.more == 8  # 3 drawn (c0, its contact, c1) + 37 of its 45 contacts
    client.force_login(supervisor)
    section = chain_section(page(client, cases[1]))
    assert "At least 8 more not shown." in section


@pytest.mark.parametrize("width", [2, 12])
def test_the_chain_is_read_in_a_few_queries_whatever_its_size(
    supervisor, width, django_assert_max_num_queries
):
    """Two generations above and below, each case naming `width` people who all
    became cases, each of them named again by another case (a further exposure):
    the same queries, one or two a level."""
    origin = case_of(f.PersonFactory(), specimen=DAY - dt.timedelta(days=3))
    top_person = f.PersonFactory()
    names(origin, top_person, exposed=DAY - dt.timedelta(days=2))
    top = case_of(top_person, specimen=DAY)
    middle_person = f.PersonFactory()
    names(top, middle_person, exposed=DAY)
    middle = case_of(middle_person, specimen=DAY + dt.timedelta(days=2))
    also_naming = case_of(f.PersonFactory(), specimen=DAY)
    for _ in range(width):
        child = f.PersonFactory()
        child_contact = names(middle, child, exposed=DAY + dt.timedelta(days=3))
        named_again(also_naming, child_contact, exposed=DAY + dt.timedelta(days=4))
        child_case = case_of(child, specimen=DAY + dt.timedelta(days=5))
        grandchild = f.PersonFactory()
        grandchild_contact = names(
            child_case, grandchild, exposed=DAY + dt.timedelta(days=6)
        )
        named_again(also_naming, grandchild_contact, exposed=DAY + dt.timedelta(7))
        case_of(grandchild, specimen=DAY + dt.timedelta(days=8))
    # linked?; 2 up and 2 down that read contacts, two queries each (the contacts,
    # their further exposures with the cases that named them); 2 down that read
    # cases; the visible cases and contacts. (The viewer's profile, one more on a
    # page, is read already with the fixture's user.)
    with django_assert_max_num_queries(1 + 4 * 2 + 2 + 2):
        chain = chain_around(viewer=supervisor, case=middle)
    # origin, its contact top, top, its contact middle, middle, and per child its
    # contact, its case, the grandchild's contact and case. (The case that named the
    # children again is a step sideways, not drawn.)
    assert len(chain.nodes) == min(5 + 4 * width, CHAIN_NODE_CAP)
    assert f"case-{also_naming.pk}" not in keys(chain)
