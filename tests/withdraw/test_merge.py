"""Merging (and unmerging) two records of one person when one of them holds a
withdrawn contact (work.merge with work.withdraw).

Before: a withdrawn contact folded into an open one made it withdrawn (never called
about the case that still stands); an open one folded into a withdrawn one was lost;
a join dated the contact from the withdrawn case's naming again; and an undo after a
withdrawal put back a contact of the withdrawn case, waiting to be called."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact
from people.models import PossibleDuplicate
from people.services import PersonDetails
from tests import factories as f
from tests.isolation.conftest import D
from tests.withdraw.conftest import CARYS, DECEMBER_7, SAM, named, positive
from work.errors import WorkRefused
from work.merge import person_merge, person_merge_undo
from work.withdraw import case_withdraw

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]
REASON = "Sample mix-up at the lab"
# The same human as SAM, written another way: another record.
SAMUEL = PersonDetails(
    first_name="Samuel",
    last_name="Okafor-Jones",
    phone="07911 123460",
    postcode="S1 2HE",
)
DAN = PersonDetails(
    first_name="Dan",
    last_name="Price",
    date_of_birth=D(1990, 1, 1),
    phone="07911 123461",
    postcode="S1 2HE",
)


def pair_of(one, other) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.7,
        reasons=["same name"],
        created_at=timezone.now(),
    )


@pytest.fixture
def admin():
    return f.UserFactory(username="admin", is_superuser=True, is_staff=True)


def _reached(contact: Contact) -> None:
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.REACHED, reached_at=timezone.now(), reached_route="phone"
    )


def _shared_and_withdrawn(supervisor):
    """Asha names Samuel (then Carys names him too, exposed 1 Dec: until the 11th)
    and Sam (only her; Sam reached). Asha's result is withdrawn: Sam's contact is
    withdrawn, Samuel's stays open until the 11th."""
    asha = positive()
    samuel = named(asha, SAMUEL)
    carys = positive("LAB-CARYS", CARYS)
    assert named(carys, SAMUEL, exposed=D(2026, 12, 1)).pk == samuel.pk
    sam = named(asha, SAM)
    _reached(sam)
    case_withdraw(case=asha, reason=REASON, by=supervisor)
    samuel.refresh_from_db()
    sam.refresh_from_db()
    assert sam.status == Status.WITHDRAWN
    assert samuel.status != Status.WITHDRAWN
    assert samuel.isolation_ends_on == D(2026, 12, 11)
    return asha, sam, samuel


def test_merge_folding_a_withdrawn_contact_does_not_withdraw_the_one_kept(
    supervisor, admin
):
    """The withdrawn contact (reached before) folded into the survivor's open one
    gives it its "progress": status withdrawn, so the contact Carys's case still
    stands for leaves every queue and is never called."""
    _, sam, samuel = _shared_and_withdrawn(supervisor)
    person_merge(
        pair=pair_of(sam.person, samuel.person),
        survivor=samuel.person,
        fields={},
        by=admin,
    )
    kept = Contact.objects.get(pk=samuel.pk)
    assert kept.status != Status.WITHDRAWN
    assert kept.isolation_ends_on == D(2026, 12, 11)


def test_merge_folding_an_open_contact_into_a_withdrawn_one_keeps_it_open(
    supervisor, admin
):
    """The other way round: Samuel's open contact (Carys's naming) is folded into
    Sam's withdrawn one and deleted: the person no longer has any contact isolating
    for Carys's case."""
    _, sam, samuel = _shared_and_withdrawn(supervisor)
    person_merge(
        pair=pair_of(sam.person, samuel.person),
        survivor=sam.person,
        fields={},
        by=admin,
    )
    standing = Contact.objects.filter(person=sam.person).exclude(
        status=Status.WITHDRAWN
    )
    assert [c.isolation_ends_on for c in standing] == [D(2026, 12, 11)]


def test_merge_join_does_not_bring_back_the_withdrawn_namings_date(supervisor, admin):
    """Sam's contact (Asha's, exposed the 5th; Carys's too, the 1st) stands until
    the 11th once Asha's result is withdrawn. Merged with Samuel, a contact of Dan's
    case (exposed the 2nd: until the 12th), still to be told: the join recomputes
    the date from every naming, Asha's withdrawn one included, back to the 15th."""
    asha = positive()
    sam = named(asha, SAM)
    carys = positive("LAB-CARYS", CARYS)
    assert named(carys, SAM, exposed=D(2026, 12, 1)).pk == sam.pk
    case_withdraw(case=asha, reason=REASON, by=supervisor)
    sam.refresh_from_db()
    assert sam.isolation_ends_on == D(2026, 12, 11)
    dan = positive("LAB-DAN", DAN)
    samuel = named(dan, SAMUEL, exposed=D(2026, 12, 2))
    assert samuel.isolation_ends_on == D(2026, 12, 12)

    person_merge(
        pair=pair_of(sam.person, samuel.person),
        survivor=sam.person,
        fields={},
        by=admin,
    )

    [kept] = Contact.objects.filter(person=sam.person)
    assert kept.isolation_ends_on == D(2026, 12, 12)


def test_merge_undo_after_a_withdrawal_is_refused_naming_the_case(supervisor, admin):
    """Sam (Asha's contact) and Samuel (Carys's) are merged: joined into Sam's
    contact. Asha's result is withdrawn: the contact stays open for Carys's naming.
    Before, the merge undone left Sam's contact Asha's alone again, yet open, in
    the queue and isolating, for a result sent in error. Now the undo is refused,
    naming the case, and nothing changes."""
    asha = positive()
    sam = named(asha, SAM)
    carys = positive("LAB-CARYS", CARYS)
    samuel = named(carys, SAMUEL, exposed=D(2026, 12, 1))
    merge = person_merge(
        pair=pair_of(sam.person, samuel.person),
        survivor=sam.person,
        fields={},
        by=admin,
    )
    case_withdraw(case=asha, reason=REASON, by=supervisor)
    sam.refresh_from_db()
    assert sam.status != Status.WITHDRAWN
    contacts_before = sorted(Contact.objects.values_list("pk", "status"))

    with pytest.raises(WorkRefused, match="LAB-VOID was withdrawn after the merge"):
        person_merge_undo(merge=merge, by=admin)

    assert sorted(Contact.objects.values_list("pk", "status")) == contacts_before
