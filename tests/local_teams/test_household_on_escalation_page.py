"""The escalation page names the team's other open escalations at the same door,
and warns of a safeguarding concern raised at it before anything else.

A household at Flat 2, 14 Park Road, S1 1AA: Amira (a case) and Sana and Bilal (her
household contacts). A call to Bilal logged a safeguarding concern ("...Do not visit
alone."): whoever plans a door-step visit to Amira or Sana knocks at that door too.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from areas.models import Area
from escalations.household import door_key, escalations_at_address, town_words
from escalations.models import Escalation
from work.access.escalations import escalations_visible_to
from work.escalation import escalation_claim, escalation_close, item_escalate

from .builders import LEEDS, SHEFFIELD, CaseFactory, ContactFactory, person_in

ADDRESS = "Flat 2, 14 Park Road\nSheffield"
CONCERN = "She whispered she is not safe at home. Do not visit alone."


def _household(address: str = ADDRESS) -> dict[str, Escalation]:
    """Amira's case and her two household contacts, each escalated to Sheffield;
    Bilal's for a safeguarding concern raised on a call."""
    amira = person_in(
        SHEFFIELD, first_name="Amira", last_name="Hussain", address=address
    )
    case = CaseFactory(person=amira, area=amira.area)

    def contact(first_name: str):
        person = person_in(
            SHEFFIELD, first_name=first_name, last_name="Hussain", address=address
        )
        return ContactFactory(
            case=case, person=person, area=person.area, exposure="household"
        )

    sana, bilal = contact("Sana"), contact("Bilal")
    return {
        "amira": item_escalate(
            item=case, reason=Escalation.Reason.UNREACHED, detail="3 call attempts"
        ),
        "sana": item_escalate(
            item=sana, reason=Escalation.Reason.UNREACHED, detail="3 call attempts"
        ),
        "bilal": item_escalate(
            item=bilal, reason=Escalation.Reason.SAFEGUARDING, detail=CONCERN
        ),
    }


def _page(client, escalation: Escalation) -> str:
    response = client.get(reverse("escalations:detail", args=[escalation.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _listed(html: str) -> str:
    """The page's list of the escalations at the address ("" without one)."""
    start = html.find('id="at-address"')
    if start < 0:
        return ""
    return html[start : html.find("</ul>", start)]


def _warning(escalation: Escalation) -> str:
    return (
        "A safeguarding concern was raised at this address (escalation "
        f'<a href="{reverse("escalations:detail", args=[escalation.pk])}">'
        f"{escalation.pk}</a>): read it before you visit."
    )


def test_the_household_is_listed_on_each_members_page(sheffield_client):
    household = _household()

    html = _page(sheffield_client, household["amira"])

    listed = _listed(html)
    for name in ("sana", "bilal"):
        link = reverse("escalations:detail", args=[household[name].pk])
        assert f'href="{link}"' in listed
        assert f"{name.title()} Hussain" in listed
    assert "Not reached after every attempt" in listed
    assert "Safeguarding concern" in listed
    assert "Amira" not in listed  # not herself
    # Bilal's page names the two others, for one visit to the household.
    listed = _listed(_page(sheffield_client, household["bilal"]))
    assert "Amira Hussain" in listed
    assert "Sana Hussain" in listed


def test_a_concern_at_the_address_is_warned_before_anything_else(sheffield_client):
    household = _household()

    for name in ("amira", "sana"):
        html = _page(sheffield_client, household[name])

        warning = html.find(_warning(household["bilal"]))
        assert warning > 0, name
        # The page's first card, before its account of the person.
        card = html.find('class="nhsuk-card nhsuk-card--warning" data-testid')
        assert html.find('class="nhsuk-card') == card < warning
        assert warning < html.find('id="person-summary"')
        # Told where to read it, never the concern itself.
        assert "Do not visit alone" not in html
        assert "not safe at home" not in html


def test_a_flagged_case_escalated_for_another_reason_is_warned_of(sheffield_client):
    household = _household()
    household["bilal"].delete()
    case = household["amira"].case
    case.safeguarding_flag = True
    case.safeguarding_note = CONCERN
    case.save(update_fields=["safeguarding_flag", "safeguarding_note"])

    html = _page(sheffield_client, household["sana"])

    assert _warning(household["amira"]) in html
    assert "a safeguarding concern was raised" in _listed(html)
    assert "Do not visit alone" not in html


def test_a_closed_escalation_is_neither_listed_nor_warned_of(
    sheffield_client, sheffield_member
):
    household = _household()
    escalation_claim(escalation=household["bilal"], by=sheffield_member)
    escalation_close(
        escalation=Escalation.objects.get(pk=household["bilal"].pk),
        outcome=Escalation.Outcome.REACHED,
        note="Seen with a colleague",
        by=sheffield_member,
    )

    html = _page(sheffield_client, household["amira"])

    assert "A safeguarding concern was raised at this address" not in html
    # Closed, it is no longer listed; Sana still is.
    assert "Bilal" not in _listed(html)
    assert "Sana Hussain" in _listed(html)


def test_the_same_address_however_it_was_typed_is_the_same_door(sheffield_client):
    household = _household()
    for typed in (
        "flat 2 14 park road",  # lower case, no comma, no town
        "Flat 2,  14 Park Road., Sheffield",  # one line, with the town
        "  FLAT 2, 14 PARK ROAD  \r\nSheffield\r\nSouth Yorkshire",
        "2, 14 Park Road\nSheffield",  # the flat's number without the word
        "14 Park Road\nFlat 2\nSheffield S1 1AA",  # the flat below, the postcode in
    ):
        person = household["sana"].contact.person
        person.address = typed
        person.save(update_fields=["address"])

        assert "Sana Hussain" in _listed(_page(sheffield_client, household["amira"]))


def test_another_door_is_not_the_household(sheffield_client):
    household = _household()
    # The flat upstairs: the same building and postcode, another door.
    upstairs = _escalated_case(address="Flat 3, 14 Park Road\nSheffield")
    # The same first line in another postcode: another street of that name.
    elsewhere = _escalated_case(address=ADDRESS, postcode="S2 4SU")
    # No address held: nothing says which door.
    unknown = _escalated_case(address="")

    listed = _listed(_page(sheffield_client, household["amira"]))

    for other in (upstairs, elsewhere, unknown):
        assert reverse("escalations:detail", args=[other.pk]) not in listed
    # And a page with no address held lists nobody.
    assert _listed(_page(sheffield_client, unknown)) == ""


def test_only_the_teams_own_escalations_are_listed(sheffield_client):
    household = _household()
    # Escalated to Leeds (the person's area held as Leeds's), at the same door.
    leeds = item_escalate(
        item=CaseFactory(
            person=(person := person_in(LEEDS, postcode="S1 1AA", address=ADDRESS)),
            area=person.area,
        ),
        reason=Escalation.Reason.SAFEGUARDING,
        detail=CONCERN,
    )
    household["bilal"].delete()

    html = _page(sheffield_client, household["amira"])

    assert reverse("escalations:detail", args=[leeds.pk]) not in html
    assert "A safeguarding concern was raised at this address" not in html


def test_the_read_is_one_query_however_large_the_household(
    sheffield_member, django_assert_num_queries
):
    household = _household()
    for n in range(4):
        _escalated_case(address=ADDRESS, first_name=f"Lodger{n}")
    escalation = Escalation.objects.select_related("case__person").get(
        pk=household["amira"].pk
    )
    visible = escalations_visible_to(sheffield_member)

    with django_assert_num_queries(1):
        found = escalations_at_address(escalation, visible=visible)
        # Each one's person, case and reason are read with it.
        said = [(e.item.person.full_name, e.get_reason_display()) for e in found]

    assert len(said) == 6


def test_the_page_reads_the_household_in_one_query_however_large(
    clock, sheffield_client
):
    """One query more than the same page with no address held, for a household of
    two others as for one of six."""
    household = _household()
    amira = household["amira"].case.person
    url = reverse("escalations:detail", args=[household["amira"].pk])
    sheffield_client.get(url)  # the session's first request, counted apart

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert sheffield_client.get(url).status_code == 200
        return len(captured)

    amira.address = ""
    amira.save(update_fields=["address"])
    no_address = queries()
    amira.address = ADDRESS
    amira.save(update_fields=["address"])
    two_others = queries()
    for n in range(4):
        _escalated_case(address=ADDRESS, first_name=f"Lodger{n}")
    six_others = queries()

    assert (no_address, two_others, six_others) == (
        no_address,
        no_address + 1,
        no_address + 1,
    )


def test_a_door_is_its_house_and_flat_numbers_on_any_line():
    def key(address: str):
        return door_key(address, postcode="S1 1AA")

    # (house, flat): the flat after its word, or without it the other number.
    assert key("Flat 2, 14 Park Road\nSheffield") == ("14", "2")
    assert key("14 PARK ROAD.\nflat 2\nS1 1AA") == ("14", "2")  # postcode aside
    assert key("14 Park Road, Apartment 2") == ("14", "2")
    assert key("2, 14 Park Road") == ("14", "2")
    assert key("2 Rose Court, 14 Park Road") == ("14", "2")
    assert key("Flat 14, 2 Park Road") == ("2", "14")  # not flat 2 of number 14
    assert key("14 Park Road, Sheffield S11AA") == ("14", "")
    assert key("14 Park Road, Sheffield S1") == ("14", "")  # the district aside
    assert key("Flat 14, 14 Park Road") == ("14", "14")  # not number 14 alone
    assert key("Flat 2/1, 14a Park Road") == ("14a", "2/1")
    assert key("14-16 Park Road") == ("14-16", "")
    assert key("2, 14") == ("14", "2")  # no street: the last number the house
    assert key("Flat 2") == ("", "2")  # a flat alone is no building's number
    # A road's number is no door's, but for a flat's.
    assert key("14 Park Road (A61)") == ("14", "")
    assert key("Flat B2, 14 Park Road") == ("14", "b2")
    # A floor or a stray number is neither, but still tells doors apart.
    assert key("Flat 3, 2nd Floor, 14 Park Road") == ("14", "3", "2nd")


def test_a_flat_named_by_a_letter_or_its_floor_is_that_flat_of_the_house():
    def key(address: str):
        return door_key(address, postcode="S1 1AA")

    # A letter after the kind of door names the flat, as a number does.
    assert key("Flat A, 14 Park Road") == ("14", "a")
    assert key("14 Park Road\nflat b") == ("14", "b")
    assert key("Flat 2B, 14 Park Road") == ("14", "2b")
    # The floor's words before "flat" name it, "floor" aside, an ordinal as a word.
    assert key("Ground Floor Flat, 14 Park Road") == ("14", "ground")
    assert key("Lower Ground Floor Flat, 14 Park Road") == ("14", "lower ground")
    assert key("1st Floor Flat, 14 Park Road") == ("14", "1st")
    assert key("First floor flat\n14 Park Road") == ("14", "1st")
    assert key("Top Flat, 14 Park Road") == ("14", "top")
    # The number after "flat" is its number only with no comma or line between:
    # "Basement Flat, 14 Park Road" is the basement of number 14, not flat 14.
    assert key("Basement Flat, 14 Park Road") == ("14", "basement")
    assert key("Basement Flat\n14 Park Road") == ("14", "basement")
    assert key("Flat, 14 Park Road") == ("14", "")
    assert key("Flat 14, Park Road") == ("", "14")
    # A flat named both ways: numbered too, the flat is its number, its floor left
    # out, the same door as "Flat 2" written without it.
    assert key("Ground Floor Flat 2, 14 Park Road") == ("14", "2")
    assert key("Ground Floor Flat 2, 14 Park Road") == key("Flat 2, 14 Park Road")
    assert key("Top Flat A, 14 Park Road") == key("Flat A, 14 Park Road")
    # A block's letter is a door of its own, as a block's number is.
    assert key("Flat 1, Block A, 14 Park Road") != key("Flat 1, Block B, 14 Park Road")
    assert key("Flat 1, Block A, 14 Park Road") == key("Block A\nFlat 1\n14 Park Road")


def test_a_named_house_is_its_words_the_town_and_kind_of_door_aside():
    sheffield = town_words(Area.objects.get(code=SHEFFIELD))
    assert sheffield == {"sheffield"}

    def key(address: str):
        return door_key(address, postcode="S1 1AA", town=sheffield)

    assert key("Rose Cottage\nSheffield\nS1 1AA") == {"rose", "cottage"}
    assert key("Unit, The Old Mill, Sheffield") == {"the", "old", "mill"}
    # The postcode's district is no number; a road's number is the road's name.
    assert key("Rose Cottage, Sheffield S1") == {"rose", "cottage"}
    assert key("Rose Cottage, B6054") == {"rose", "cottage", "b6054"}
    # Nothing left says which door.
    assert key("") is None
    assert key("Sheffield\nS1 1AA") is None
    assert door_key("", postcode="") is None


def _visit_and_concern(
    visited_at: str, concern_at: str
) -> tuple[Escalation, Escalation]:
    """Amira escalated (unreached) at `visited_at`; Bilal, at `concern_at` (the same
    postcode), escalated for a safeguarding concern raised on a call to him."""
    unreached = _escalated_case(address=visited_at, first_name="Amira")
    bilal = person_in(SHEFFIELD, first_name="Bilal", address=concern_at)
    concern = item_escalate(
        item=ContactFactory(person=bilal, area=bilal.area),
        reason=Escalation.Reason.SAFEGUARDING,
        detail=CONCERN,
    )
    return unreached, concern


def _warned(client, visited: Escalation, concern: Escalation) -> bool:
    """Whether the visited escalation's page warns of the concern and lists it."""
    html = _page(client, visited)
    link = reverse("escalations:detail", args=[concern.pk])
    warned = _warning(concern) in html
    assert warned == (f'href="{link}"' in _listed(html))
    return warned


@pytest.mark.parametrize(
    ("visited_at", "concern_at"),
    [
        # One building, the flat on the second line: flats 2 and 3.
        ("14 Park Road\nFlat 2\nSheffield", "14 Park Road\nFlat 3\nSheffield"),
        # The flat on the first line, the building on the second: flat 2 of
        # number 14 and flat 2 of number 16, one postcode.
        ("Flat 2\n14 Park Road\nSheffield", "Flat 2\n16 Park Road\nSheffield"),
        # The building's number alone, and flat 3 of it on one line.
        ("14 Park Road\nSheffield", "14 Park Road, Flat 3\nSheffield"),
        # A Scottish flat by floor and door: 2/1 and 2/2 of one close.
        ("Flat 2/1, 14 Park Road", "Flat 2/2, 14 Park Road"),
        # A house and the one built beside it, numbered with a letter.
        ("14 Park Road", "14A Park Road"),
        # Two named houses.
        ("Rose Cottage\nSheffield", "Ivy Cottage\nSheffield"),
        # Two named houses on one numbered road: the road's number is no door's.
        ("Rose Cottage, B6054\nSheffield", "Ivy Cottage, B6054\nSheffield"),
        # Flat 2 of number 14 and flat 14 of number 2 (both sides of the road).
        ("Flat 2, 14 Park Road\nSheffield", "Flat 14, 2 Park Road\nSheffield"),
        # The same, the flat's number typed without the word.
        ("2, 14 Park Road\nSheffield", "14, 2 Park Road\nSheffield"),
        # Flats of one house named by a letter, or by their floors.
        ("Flat A, 14 Park Road\nSheffield", "Flat B, 14 Park Road\nSheffield"),
        ("Ground Floor Flat, 14 Park Road", "First Floor Flat, 14 Park Road"),
        ("Basement Flat\n14 Park Road", "Top Floor Flat\n14 Park Road"),
        # The basement of number 14 and a block's flat 14 with no number.
        ("Basement Flat, 14 Park Road", "Flat 14, Park Road"),
    ],
    ids=[
        "flat-on-second-line",
        "flat-alone-first-line",
        "building-vs-flat-3",
        "floor-and-door",
        "number-with-a-letter",
        "another-named-house",
        "named-houses-on-a-numbered-road",
        "flat-2-of-14-vs-flat-14-of-2",
        "2-of-14-vs-14-of-2-without-the-word",
        "flat-a-vs-flat-b",
        "ground-vs-first-floor-flat",
        "basement-vs-top-floor-flat",
        "basement-flat-of-14-vs-flat-14",
    ],
)
def test_a_concern_at_another_door_of_the_postcode_is_not_warned_of(
    sheffield_client, visited_at, concern_at
):
    unreached, concern = _visit_and_concern(visited_at, concern_at)

    assert not _warned(sheffield_client, unreached, concern)
    # Nor the other way round.
    assert _listed(_page(sheffield_client, concern)) == ""


@pytest.mark.parametrize(
    ("visited_at", "concern_at"),
    [
        # The flat's number typed without the word "flat".
        ("2, 14 Park Road\nSheffield", "Flat 2, 14 Park Road\nSheffield"),
        # The town written on a line of its own, or not at all.
        ("14 Park Road\nSheffield", "14 Park Road"),
        # The flat before the building or after it; "Apartment" for "Flat".
        ("Flat 2\n14 Park Road", "14 Park Road, Apartment 2"),
        # A named house, with its town and postcode or without.
        ("Rose Cottage", "rose cottage,\nSheffield\nS1 1AA"),
        ("The Old Mill, Sheffield", "The Old Mill\nSheffield"),
        # The postcode's district written after the town, as people often do.
        ("14 Park Road\nSheffield", "14 Park Road, Sheffield S1"),
        ("Flat 2, 14 Park Road", "14 Park Road\nFlat 2\nSheffield S1"),
        ("Rose Cottage", "Rose Cottage, Sheffield S1"),
        # A named house on a numbered road, the road written both times.
        ("Rose Cottage, B6054", "rose cottage b6054\nSheffield S1 1AA"),
        # A flat by its letter or its floor, however typed.
        ("Flat A, 14 Park Road", "14 Park Road\nflat a\nSheffield"),
        ("1st floor flat, 14 Park Road", "First Floor Flat\n14 Park Road"),
    ],
    ids=[
        "flat-without-the-word",
        "town-line-or-none",
        "flat-first-or-last",
        "named-house-town-and-postcode",
        "named-house-town-on-its-line",
        "postcode-district-after-the-town",
        "postcode-district-after-a-flat",
        "postcode-district-after-a-named-house",
        "named-house-on-a-numbered-road",
        "flat-letter-first-or-last",
        "floor-flat-in-figures-or-words",
    ],
)
def test_a_concern_at_the_same_door_however_typed_is_warned_of(
    sheffield_client, visited_at, concern_at
):
    unreached, concern = _visit_and_concern(visited_at, concern_at)

    assert _warned(sheffield_client, unreached, concern)


def _escalated_case(*, address: str, postcode: str = "S1 1AA", **person) -> Escalation:
    owner = person_in(SHEFFIELD, address=address, postcode=postcode, **person)
    return item_escalate(
        item=CaseFactory(person=owner, area=owner.area),
        reason=Escalation.Reason.UNREACHED,
        detail="3 call attempts",
    )
