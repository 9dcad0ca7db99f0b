"""The merge form keeps a mobile as the main phone by default (work/merge.py,
person_merge_defaults): texts (online links, isolation messages) go only to the
main phone, so a newer record's landline taken over an older record's mobile left
the person without texts. The landline is kept as the other phone, and the
supervisor may still choose it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from people.models import Person, PossibleDuplicate
from tests import factories as f
from work.online import reachable_by_message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

BORN = dt.date(1971, 4, 2)
MOBILE = "+447400333444"
LANDLINE = "+441144960000"


def pair_of(one: Person, other: Person) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.9,
        reasons=["same date of birth", "same name"],
        created_at=timezone.now(),
    )


def side_of(pair: PossibleDuplicate, person: Person) -> str:
    return "a" if pair.person_a_id == person.pk else "b"


def mohammed(phone: str, *, days_ago: int) -> Person:
    person = f.PersonFactory(
        first_name="Mohammed", last_name="Ali", date_of_birth=BORN, phone=phone
    )
    Person.objects.filter(pk=person.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    person.refresh_from_db()
    return person


@pytest.fixture
def from_result(db) -> Person:
    """Mohammed as his lab result gave him: his mobile."""
    person = mohammed("07400 333444", days_ago=3)
    f.CaseFactory(person=person)
    return person


@pytest.fixture
def typed_in(db) -> Person:
    """Mohammed typed in later as a contact: his landline."""
    person = mohammed("0114 496 0000", days_ago=1)
    f.ContactFactory(person=person)
    return person


def test_the_mobile_is_the_main_phone_by_default_and_the_landline_the_other(
    client, supervisor, from_result, typed_in
):
    pair = pair_of(from_result, typed_in)
    client.force_login(supervisor)

    page = client.get(reverse("staffing:duplicate", args=[pair.pk]))

    assert page.status_code == 200
    form = page.context["form"]
    assert form["phone"].initial == side_of(pair, from_result)

    # The supervisor merges as offered.
    defaults = {name: form[name].initial for name in form.fields}
    url = reverse("staffing:duplicate_merge", args=[pair.pk])
    confirm = client.post(url, defaults)
    assert ("Phone", MOBILE) in confirm.context["kept"]
    assert client.post(url, {**defaults, "confirm": "1"}).status_code == 302

    assert defaults["survivor"] == side_of(pair, from_result)  # the older record
    survivor = Person.objects.get(pk=from_result.pk)
    assert str(survivor.phone) == MOBILE
    assert str(survivor.phone_alt) == LANDLINE
    assert reachable_by_message(survivor) == ("sms", MOBILE)


def test_the_mobile_is_offered_when_it_is_the_newer_records_too(client, supervisor, db):
    landline = mohammed("0114 496 0000", days_ago=3)
    mobile = mohammed("07400 333444", days_ago=1)
    pair = pair_of(landline, mobile)
    client.force_login(supervisor)

    form = client.get(reverse("staffing:duplicate", args=[pair.pk])).context["form"]

    assert form["phone"].initial == side_of(pair, mobile)


def test_with_two_mobiles_the_newer_records_is_offered_as_before(
    client, supervisor, db
):
    older = mohammed("07400 333444", days_ago=3)
    newer = mohammed("07400 333555", days_ago=1)
    pair = pair_of(older, newer)
    client.force_login(supervisor)

    form = client.get(reverse("staffing:duplicate", args=[pair.pk])).context["form"]

    assert form["phone"].initial == side_of(pair, newer)
