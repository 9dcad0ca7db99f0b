"""What a merge does not keep is not lost (work/merge.py): the phone not chosen goes
into the survivor's empty other phone, and every value the merge replaces or drops
is written to the survivor's change history; and an undo is refused, nothing
changed, once the survivor has moved on since the merge (details changed, a case or
contact arrived), rather than putting back their details from before over it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from people.models import Person, PersonChange, PersonMerge, PossibleDuplicate
from people.services import PersonDetails, person_find_or_create
from tests import factories as f
from work.errors import WorkRefused
from work.merge import person_merge, person_merge_undo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

BORN = dt.date(1979, 11, 23)
NHS = "9434765919"
UNDO = {"action": "undo"}


def pair_of(one: Person, other: Person) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.8,
        reasons=["same date of birth", "similar name (0.8)"],
        created_at=timezone.now(),
    )


def side_of(pair: PossibleDuplicate, person: Person) -> str:
    return "a" if pair.person_a_id == person.pk else "b"


def history(person: Person) -> set[tuple[str, str, str, str]]:
    return {
        (c.field, c.old_value, c.new_value, c.source)
        for c in PersonChange.objects.filter(person=person)
    }


@pytest.fixture
def admin(db):
    return f.UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def lucy(db) -> Person:
    return f.PersonFactory(
        first_name="Lucy", last_name="Ward", date_of_birth=BORN, phone="07400 777001"
    )


@pytest.fixture
def lucie(db) -> Person:
    return f.PersonFactory(
        first_name="Lucie", last_name="Ward", date_of_birth=BORN, phone="07400 777002"
    )


# --- what a merge does not keep -------------------------------------------------------


def test_the_phone_not_kept_becomes_the_other_phone_and_is_found_by_search(
    client, supervisor, lucy, lucie
):
    """On the page: Lucy kept, with Lucie's phone. Her own number is her other
    phone now, the change is in her history, and a search by it finds her."""
    f.CaseFactory(person=lucie)
    pair = pair_of(lucy, lucie)
    client.force_login(supervisor)
    url = reverse("staffing:duplicate_merge", args=[pair.pk])
    choices = {
        "survivor": side_of(pair, lucy),
        "first_name": side_of(pair, lucy),
        "phone": side_of(pair, lucie),
        "confirm": "1",
    }

    assert client.post(url, choices).status_code == 302

    lucy.refresh_from_db()
    assert str(lucy.phone) == "+447400777002"
    assert str(lucy.phone_alt) == "+447400777001"
    assert ("phone", "+447400777001", "+447400777002", "merge") in history(lucy)
    found = client.get(reverse("staffing:people_search"), {"q": "07400 777001"})
    assert [r.person.pk for r in found.context["results"]] == [lucy.pk]


def test_with_no_room_the_numbers_not_kept_are_in_the_history(supervisor, lucy, lucie):
    """Both have another phone already: the numbers dropped are kept in the
    survivor's history, as is the NHS number not kept."""
    Person.objects.filter(pk=lucy.pk).update(phone_alt="+447400777011")
    Person.objects.filter(pk=lucie.pk).update(phone_alt="+447400777022", nhs_number=NHS)
    lucy.refresh_from_db()
    pair = pair_of(lucy, lucie)

    person_merge(
        pair=pair,
        survivor=lucy,
        fields={"phone": side_of(pair, lucie), "nhs_number": side_of(pair, lucy)},
        by=supervisor,
    )

    lucy.refresh_from_db()
    assert (str(lucy.phone), str(lucy.phone_alt)) == ("+447400777002", "+447400777011")
    assert lucy.nhs_number == ""
    assert history(lucy) == {
        ("phone", "+447400777001", "+447400777002", "merge"),
        ("phone", "+447400777022", "+447400777002", "merge"),
        ("nhs_number", NHS, "", "merge"),
    }


def test_undo_puts_back_exactly_what_was_there_before(supervisor, admin, lucy, lucie):
    pair = pair_of(lucy, lucie)
    merge = person_merge(
        pair=pair, survivor=lucy, fields={"phone": side_of(pair, lucie)}, by=supervisor
    )

    person_merge_undo(merge=merge, by=admin)

    lucy.refresh_from_db()
    assert (str(lucy.phone), lucy.phone_alt) == ("+447400777001", "")
    assert not PersonChange.objects.exists()


# --- an undo after the survivor has moved on ------------------------------------------


@pytest.fixture
def merged_price(supervisor) -> PersonMerge:
    """Anna Price (kept) and Anne Price, merged."""
    anna = f.PersonFactory(
        first_name="Anna",
        last_name="Price",
        date_of_birth=BORN,
        phone="07400 888001",
        email="anna@example.org",
        address="",
    )
    anne = f.PersonFactory(first_name="Anne", last_name="Price", date_of_birth=BORN)
    return person_merge(
        pair=pair_of(anna, anne), survivor=anna, fields={}, by=supervisor
    )


def undo_in_the_admin(client, admin, merge: PersonMerge) -> str:
    client.force_login(admin)
    response = client.post(
        reverse("admin:people_personmerge_changelist"),
        {**UNDO, "_selected_action": [merge.pk]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_undo_is_refused_once_a_result_has_filled_in_the_survivors_details(
    client, clock, admin, merged_price
):
    clock.shift(dt.timedelta(hours=3))
    anna, _ = person_find_or_create(
        details=PersonDetails(
            first_name="Anna",
            last_name="Price",
            date_of_birth=BORN,
            nhs_number=NHS,
            phone="07400 888003",
            email="anna@example.org",
            address="4 Mill Lane",
        ),
        source="intake",
    )
    assert anna.pk == merged_price.survivor_id

    page = undo_in_the_admin(client, admin, merged_price)

    assert "Undone: record" not in page
    assert "their NHS number, phone, address changed" in page
    assert timezone.localtime(timezone.now()).strftime("%d/%m/%Y %H:%M") in page
    assert "nothing was changed" in page
    anna.refresh_from_db()
    assert (anna.nhs_number, str(anna.phone)) == (NHS, "+447400888003")
    merged_price.refresh_from_db()
    assert merged_price.undone_at is None


def test_undo_is_refused_once_a_case_has_arrived_for_the_survivor(
    client, clock, admin, merged_price
):
    clock.shift(dt.timedelta(hours=1))
    case = f.CaseFactory(person_id=merged_price.survivor_id, lab_reference="LABNEW01")

    page = undo_in_the_admin(client, admin, merged_price)

    assert "Undone: record" not in page
    assert "case LABNEW01 arrived" in page
    assert Case.objects.get(pk=case.pk).person_id == merged_price.survivor_id
    merged_price.refresh_from_db()
    assert merged_price.undone_at is None


def test_undo_is_refused_once_they_are_named_as_a_contact(admin, merged_price):
    contact = f.ContactFactory(person_id=merged_price.survivor_id)

    with pytest.raises(WorkRefused, match=f"named as contact {contact.pk}"):
        person_merge_undo(merge=merged_price, by=admin)

    assert Person.objects.get(pk=merged_price.merged_id).merged_into_id is not None
