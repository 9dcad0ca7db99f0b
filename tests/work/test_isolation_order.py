"""A contact who becomes a case follows the case of theirs ending last, whatever
order the results arrive in (work.isolation.contacts_become_cases): a late result of
an earlier specimen never shortens the date a call handler reads out. The cases are
made here as intake makes them and handed to the rule as intake hands them, so this
holds however intake groups a person's repeat positives. Each end date by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact, IsolationChange
from people.models import Person
from people.services import PersonDetails
from tests import factories as f
from tests.isolation.conftest import shortened_before_the_rule
from work.casework import ContactDetails, contact_add
from work.isolation import contacts_become_cases

D = dt.date
# Sunday 6 December 2026, 10:00 GMT: the ten-day rules.
DECEMBER_6 = dt.datetime(2026, 12, 6, 10, 0, tzinfo=ZoneInfo("Europe/London"))

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_6)]

SIAN = PersonDetails(
    first_name="Siân",
    last_name="Llŷr",
    date_of_birth=D(1988, 3, 9),
    nhs_number="9434765919",
    phone="07911 123457",
    postcode="S1 2HE",
)


def hold(item, user):
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


def named_on(day: dt.date) -> Contact:
    """Siân named by case 225's person, exposed on `day`."""
    return contact_add(
        case=f.CaseFactory(symptom_onset=day),
        details=ContactDetails(
            person=SIAN, exposure_date=day, exposure=Contact.Exposure.HOUSEHOLD
        ),
    )


def result(person: Person, *, specimen: dt.date) -> Case:
    """A positive result of hers arriving as a case of its own (no symptoms: ten
    days from the specimen), and the rule intake applies to the cases it made."""
    case = f.CaseFactory(
        person=person,
        specimen_date=specimen,
        result_date=timezone.localdate(),
        symptom_onset=None,
    )
    contacts_become_cases(cases=[case], now=timezone.now())
    return case


def read_out(client, contact: Contact) -> str:
    response = client.get(reverse("contacts:detail", args=[contact.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_late_result_of_an_earlier_specimen_leaves_the_later_case_date(
    clock, client, call_handler
):
    contact = hold(named_on(D(2026, 12, 3)), call_handler)  # 3 + 10 = 13 December
    assert contact.isolation_ends_on == D(2026, 12, 13)
    sian = contact.person

    first = result(sian, specimen=D(2026, 12, 4))  # 14 December
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 14)
    second = result(sian, specimen=D(2026, 12, 5))  # 15 December
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 15)

    # Her earliest specimen's result comes last: 1 + 10 = 11 December, sooner than
    # her case of 5 December, still isolating. She keeps the 15th.
    result(sian, specimen=D(2026, 12, 1))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 15)
    client.force_login(call_handler)
    assert (
        "please self-isolate until the end of <strong>Tuesday 15 December 2026"
        "</strong>" in read_out(client, contact)
    )
    # Nothing new to tell her: no third change saying the 15th replaced the 15th.
    changes = IsolationChange.objects.filter(contact=contact).order_by("pk")
    assert [(c.became_case, c.replaced, c.ends_on) for c in changes] == [
        (first, D(2026, 12, 13), D(2026, 12, 14)),
        (second, D(2026, 12, 14), D(2026, 12, 15)),
    ]


def test_an_earlier_specimen_in_a_batch_of_its_own_follows_a_case_already_there(
    clock,
):
    """The contact first meets her cases through a result that ends soonest: she
    follows the case of hers ending last, made before (another route, another
    batch), not the one that has just arrived."""
    contact = named_on(D(2026, 12, 3))  # 13 December
    later = f.CaseFactory(
        person=contact.person, specimen_date=D(2026, 12, 5), symptom_onset=None
    )  # 15 December, come in without the rule (say, before she was named)

    result(contact.person, specimen=D(2026, 12, 1))  # 11 December

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 15)
    change = IsolationChange.objects.get(contact=contact)
    assert (change.became_case, change.replaced, change.ends_on) == (
        later,
        D(2026, 12, 13),
        D(2026, 12, 15),
    )


def test_a_case_ending_later_still_applies(clock):
    contact = named_on(D(2026, 12, 3))  # 13 December
    result(contact.person, specimen=D(2026, 12, 4))  # 14 December

    case = result(contact.person, specimen=D(2026, 12, 6))  # 16 December

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 16)
    assert IsolationChange.objects.filter(contact=contact).latest("pk").became_case == (
        case
    )


def test_an_override_since_becoming_a_case_stands_against_a_late_result(
    clock, supervisor
):
    """A clinician shortened her date knowing her case of the 15th: a later result
    of an earlier specimen (the 14th) brings nothing they did not know."""
    contact = named_on(D(2026, 12, 3))
    result(contact.person, specimen=D(2026, 12, 5))  # 15 December
    contact.refresh_from_db()
    # Before the end of her case: refused now (change it on her case), but saved
    # before.
    shortened_before_the_rule(contact, D(2026, 12, 12), supervisor)

    result(contact.person, specimen=D(2026, 12, 4))  # 14 December

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 12)
