"""A merge that makes two call handlers' contacts one: the contact of the record that
goes is folded (one case named both records) or joined (two cases, one person to
call) into the other handler's. The handler who held it, perhaps mid-call, opening
its page again is told where it went, not shown a bare "not found"; the audit trail
says whose it was when the merge took it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from contacts.models import Contact
from people.models import Person, PossibleDuplicate
from tests import factories as f
from tests.isolation.conftest import hold

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

BORN = dt.date(1971, 11, 30)


@pytest.fixture
def ann(db):
    """Ann Reid, the call handler holding the contact kept."""
    profile = f.StaffProfileFactory(
        user__username="ann", user__first_name="Ann", user__last_name="Reid"
    )
    f.ShiftFactory(staff=profile)
    return profile.user


@pytest.fixture
def ben(call_handler):
    """Ben, the call handler holding the contact that goes."""
    call_handler.first_name, call_handler.last_name = "Ben", "Cole"
    call_handler.save(update_fields=["first_name", "last_name"])
    return call_handler


@pytest.fixture
def kept(db) -> Person:
    return f.PersonFactory(first_name="Tom", last_name="Hart", date_of_birth=BORN)


@pytest.fixture
def other(kept) -> Person:
    return f.PersonFactory(first_name="Tom", last_name="Hart", date_of_birth=BORN)


def held_contacts(kept, other, ann, ben, *, one_case: bool) -> tuple[Contact, Contact]:
    """Ann's contact of the record kept, Ben's of the other (named later): of one
    case (folded at the merge), or of two (joined)."""
    case = f.CaseFactory()
    anns = hold(f.ContactFactory(person=kept, case=case), ann)
    bens = hold(
        f.ContactFactory(
            person=other,
            case=case if one_case else f.CaseFactory(),
            created_at=timezone.now() + dt.timedelta(minutes=5),
        ),
        ben,
    )
    return anns, bens


def on_bens_list(client, ben, contact: Contact) -> None:
    """Ben has the contact on his My work list, and its page open."""
    client.force_login(ben)
    assert (
        f"/contacts/{contact.pk}/"
        in client.get(reverse("cases:queue")).content.decode()
    )
    assert client.get(reverse("contacts:detail", args=[contact.pk])).status_code == 200


def merged_on_the_page(client, supervisor, survivor: Person, other: Person) -> None:
    a, b = sorted((survivor.pk, other.pk))
    pair = PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.8,
        reasons=["same name", "same date of birth"],
        created_at=timezone.now(),
    )
    client.force_login(supervisor)
    done = client.post(
        reverse("staffing:duplicate_merge", args=[pair.pk]),
        {
            "survivor": "a" if survivor.pk == a else "b",
            "phone": "a" if survivor.pk == a else "b",
            "confirm": "1",
        },
    )
    assert done.status_code == 302, done.content.decode()
    assert Person.objects.get(pk=other.pk).merged_into_id == survivor.pk


@pytest.mark.parametrize("one_case", [True, False], ids=["folded", "joined"])
def test_the_handler_whose_contact_went_is_told_where_it_went(
    client, supervisor, ann, ben, kept, other, one_case
):
    anns, bens = held_contacts(kept, other, ann, ben, one_case=one_case)
    on_bens_list(client, ben, bens)

    merged_on_the_page(client, supervisor, kept, other)

    assert not Contact.objects.filter(pk=bens.pk).exists()
    client.force_login(ben)
    page = client.get(reverse("contacts:detail", args=[bens.pk]), follow=True)
    assert page.status_code == 200
    assert page.redirect_chain[-1][0] == reverse("cases:queue")
    text = page.content.decode()
    assert f"merged into contact {anns.pk}" in text
    assert "now held by Ann Reid" in text


def test_someone_who_never_held_it_is_told_nothing(
    client, supervisor, ann, ben, kept, other
):
    _, bens = held_contacts(kept, other, ann, ben, one_case=True)

    merged_on_the_page(client, supervisor, kept, other)

    client.force_login(ann)
    assert client.get(reverse("contacts:detail", args=[bens.pk])).status_code == 404


@pytest.mark.parametrize("one_case", [True, False], ids=["folded", "joined"])
def test_the_audit_trail_says_the_merge_took_it_from_its_holder(
    client, supervisor, ann, ben, kept, other, one_case
):
    anns, bens = held_contacts(kept, other, ann, ben, one_case=one_case)

    merged_on_the_page(client, supervisor, kept, other)

    event = AuditEvent.objects.filter(
        object_type="contacts.contact",
        object_id=str(bens.pk),
        action=AuditEvent.Action.UPDATE,
    ).get()
    assert event.user == supervisor
    assert event.person_id == kept.pk
    assert event.detail["merged_into_contact"] == anns.pk
    assert event.detail["held_by"] == ben.pk
