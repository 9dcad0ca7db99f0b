"""Calls logged "Wrong number" before the upgrade that added Person.wrong_numbers
(people 0012): the column came in empty, so the stranger who answered a contact's
mistyped mobile was still texted about them (a clinician's new end date, a link).
Now the data migration after it (calls 0009) fills each person's list from the
calls already logged "Wrong number" (not those corrected to another outcome), and
nothing more goes to those numbers.

Each test migrates the database back to just before the backfill, writes the calls
as they stood on the day of the upgrade, and migrates forward again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from cases.models import Case
from contacts.models import Contact
from people.models import Message, Person
from tests import factories as f
from work.isolation import isolation_override
from work.online import reachable_by_message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

# The state the upgrade left: the column added, empty, and no backfill yet.
BEFORE_BACKFILL = [
    ("calls", "0008_call_correction_db_defaults"),
    ("people", "0012_person_wrong_numbers"),
]
REASON = "Immunosuppressed household: a longer infectious period is likely."


@pytest.fixture
def upgrade() -> Callable[[], None]:
    """Migrates back to before the backfill now; the function returned migrates
    forward to the latest migrations, as the deployment does."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_BACKFILL)

    def forward() -> None:
        executor.loader.build_graph()  # the graph as it is on disk, applied since
        executor.migrate(executor.loader.graph.leaf_nodes())

    return forward


def logged_before(item: Case | Contact, outcome: str, *, number: str = "") -> None:
    """A call to the item's person logged before the upgrade: its row only, the
    number it rang as the call recorded it (their phone, unless said)."""
    on_item: dict[str, Case | Contact | None] = {"case": None, "contact": None}
    on_item[item.kind] = item
    f.CallAttemptFactory(
        **on_item,
        phone=number or str(item.person.phone),
        outcome=outcome,
        started_at=timezone.now() - dt.timedelta(days=3),
    )


def corrected_to_no_answer(item: Contact) -> None:
    """A "Wrong number" logged on the wrong contact, corrected to "No answer"."""
    call = CallAttempt.objects.get(contact=item, outcome=Outcome.WRONG_NUMBER)
    CallAttempt.objects.filter(pk=call.pk).update(
        outcome=Outcome.NO_ANSWER,
        corrected_from=Outcome.WRONG_NUMBER,
        corrected_at=call.started_at + dt.timedelta(minutes=20),
        corrected_by=f.UserFactory(),
        correction_reason="Logged on the wrong contact: this number rang out.",
    )


def reloaded(person: Person) -> Person:
    person.refresh_from_db()
    return person


def test_a_number_logged_wrong_before_the_upgrade_is_not_texted_after_it(upgrade):
    contact = f.ContactFactory()
    logged_before(contact, Outcome.NO_ANSWER)
    logged_before(contact, Outcome.WRONG_NUMBER)
    logged_before(contact, Outcome.WRONG_NUMBER)  # rung again: the same stranger
    number = str(contact.person.phone)

    upgrade()

    person = reloaded(contact.person)
    assert person.wrong_numbers == [number]
    assert reachable_by_message(person) is None


def test_a_cases_number_logged_wrong_joins_the_ones_already_marked(upgrade):
    case = f.CaseFactory(person__email="ade@example.org")
    marked = "+447400999001"  # logged wrong since the upgrade, on an older phone
    Person.objects.filter(pk=case.person_id).update(wrong_numbers=[marked])
    logged_before(case, Outcome.WRONG_NUMBER, number=marked)
    logged_before(case, Outcome.WRONG_NUMBER)
    number = str(case.person.phone)

    upgrade()

    person = reloaded(case.person)
    assert person.wrong_numbers == [marked, number]
    assert reachable_by_message(person) == (Message.Channel.EMAIL, "ade@example.org")


def test_a_wrong_number_corrected_to_another_outcome_is_still_texted(upgrade):
    contact = f.ContactFactory()
    logged_before(contact, Outcome.WRONG_NUMBER)
    corrected_to_no_answer(contact)
    number = str(contact.person.phone)

    upgrade()

    person = reloaded(contact.person)
    assert person.wrong_numbers == []
    assert reachable_by_message(person) == (Message.Channel.SMS, number)


def test_someone_never_logged_wrong_keeps_an_empty_list(upgrade):
    contact = f.ContactFactory()
    logged_before(contact, Outcome.NO_ANSWER)
    logged_before(contact, Outcome.REACHED)

    upgrade()

    assert reloaded(contact.person).wrong_numbers == []


def test_a_clinicians_new_end_date_after_the_upgrade_is_not_texted_to_the_stranger(
    upgrade, supervisor
):
    contact = f.ContactFactory()
    logged_before(contact, Outcome.WRONG_NUMBER)
    number = str(contact.person.phone)

    upgrade()
    done = isolation_override(
        item=contact,
        ends_on=contact.isolation_ends_on + dt.timedelta(days=2),
        reason=REASON,
        clinician=supervisor,
    )

    assert done.message is None
    assert not Message.objects.filter(to=number).exists()
