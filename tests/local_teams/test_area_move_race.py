"""An area given to another local team while one of its contacts is escalated (by the
beat's sweep, or singly: online support, complex intake): whichever commits first,
the escalation ends in the new team's queue, with the contact, never left in the old
team's queue, which no longer has the area.

Each race holds the first transaction open until the second is blocked by it (or has
finished, which, before the lock on the area, it did: at the old team)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from areas.models import Area
from contacts.models import Contact
from escalations.models import Escalation
from tests import factories as f
from tests.core.conftest import committed_db  # noqa: F401
from tests.threads import side_by_side
from work.areas import area_save
from work.escalation import escalate_unreached, item_escalate

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "committed_db"),
]

CITY, HACKNEY = "E09000001", "E09000012"  # City of London, Hackney


def _sweep(contact: Contact) -> None:
    escalated, _ = escalate_unreached()
    assert escalated == 1


def _escalate_singly(contact: Contact) -> None:
    item_escalate(item=contact, reason=Escalation.Reason.SUPPORT)


ESCALATE: dict[str, Callable[[Contact], None]] = {
    "sweep": _sweep,
    "single": _escalate_singly,
}


def _move_the_city(admin: User) -> None:
    area = Area.objects.get(code=CITY)
    area.local_team = Area.objects.get(code=HACKNEY).local_team
    area_save(area=area, by=admin)


def _hold_until_blocking(other_done: threading.Event) -> None:
    """Keep this transaction open until another connection waits for one of its
    locks, or the other job has finished without waiting."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (me,) = cursor.fetchone()
        while not other_done.is_set():
            cursor.execute(
                # pg_locks, not pg_stat_activity: read afresh within a transaction.
                "SELECT count(*) FROM pg_locks"
                " WHERE NOT granted AND %s = ANY (pg_blocking_pids(pid))",
                [me],
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)


def _overdue_city_contact() -> Contact:
    past = timezone.now() - dt.timedelta(days=3)
    person = f.PersonFactory(area=Area.objects.get(code=CITY), postcode="EC2V 7HH")
    return f.ContactFactory(person=person, created_at=past, escalate_due_at=past)


def _race(first: Callable[[], None], then: Callable[[], None]) -> None:
    """`first` runs and holds its transaction open while `then` runs."""
    first_done, then_done = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                first()
                first_done.set()
                _hold_until_blocking(then_done)
        finally:
            first_done.set()

    def follow() -> None:
        first_done.wait()
        try:
            then()
        finally:
            then_done.set()

    errors = side_by_side(hold, follow)
    assert not errors, errors


def _assert_at_the_new_team(contact: Contact) -> None:
    hackney = Area.objects.get(code=HACKNEY).local_team
    assert Area.objects.get(code=CITY).local_team == hackney
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.local_team == hackney, (
        f"the escalation is in {escalation.local_team.name}'s queue, "
        f"but the City of London is {hackney.name}'s now"
    )
    contact.refresh_from_db()
    assert contact.local_team == hackney


@pytest.mark.parametrize("how", ESCALATE)
def test_escalated_while_the_area_moves_goes_to_the_new_team(how):
    admin = User.objects.create_superuser("admin", "a@example.org", "x")
    contact = _overdue_city_contact()

    _race(lambda: _move_the_city(admin), lambda: ESCALATE[how](contact))

    _assert_at_the_new_team(contact)


@pytest.mark.parametrize("how", ESCALATE)
def test_area_moved_while_its_contact_is_escalated_takes_the_escalation(how):
    admin = User.objects.create_superuser("admin", "a@example.org", "x")
    contact = _overdue_city_contact()

    _race(lambda: ESCALATE[how](contact), lambda: _move_the_city(admin))

    _assert_at_the_new_team(contact)
    assert Escalation.objects.get(contact=contact).status == Escalation.Status.NEW


def test_a_pick_up_by_the_old_team_during_the_move_is_refused():
    # The old team's member pressed Pick up as the area moved: their page had checked
    # the escalation as it was, and the pick-up then recorded them as holder of an
    # escalation of the new team, told "it is yours to work" on a page now a 404.
    from django.test import Client
    from django.urls import reverse

    admin = User.objects.create_superuser("admin", "a@example.org", "x")
    city = Area.objects.get(code=CITY)
    old_team, hackney = city.local_team, Area.objects.get(code=HACKNEY).local_team
    member = f.StaffProfileFactory(local=True, local_team=old_team).user
    person = f.PersonFactory(area=city, postcode="EC2V 7HH")
    contact = f.ContactFactory(person=person, status="escalated", local_team=old_team)
    escalation = f.EscalationFactory(contact=contact, local_team=old_team)
    browser = Client()
    browser.force_login(member)
    answers = []

    def pick_up() -> None:
        url = reverse("escalations:claim", args=[escalation.pk])
        answers.append(browser.post(url, follow=True).content.decode())

    _race(lambda: _move_the_city(admin), pick_up)

    escalation.refresh_from_db()
    assert escalation.local_team == hackney
    assert escalation.picked_up_by is None
    assert "You picked this up" not in answers[0]
