"""A person who is a case isolating now, named as a contact, is told nothing as a
contact: their case told them to stay at home, and until when.

The Harts: Lily, 6, and her brother Tom, 17, both tested positive; each case was
texted its link on their mother's mobile. On Lily's link their mother names the
household: herself and Tom (found as Tom by his name and the phone: a younger
child, found so, would be a new person listed as a possible duplicate of him,
people.matching). Before, Tom's contact row was texted "You have been
near someone who has coronavirus. Stay at home..." on the day of his own "your
test was positive" text. Now the contact row is kept (Lily to Tom is a link in the
chain of transmission) with his case's date, as before, but no link goes to it,
and it is held back from the call handlers' phones as any contact whose person is
a case being worked (work.queues): the pool gives it to no one, and its page tells
a call handler who opens it that a caseworker is calling them about their case.
The same when a caseworker names Tom on Lily's case page.
"""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from pages.online import limits
from people.models import Message
from tests import factories as f
from work.assignment import assign_work
from work.online import online_case_invite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MUM = "+447911100101"


@pytest.fixture(autouse=True)
def _fresh_allowance():
    """Every test starts with its address's whole allowance (counted in Redis)."""
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def case_of(first_name: str, born: dt.date) -> Case:
    person = f.PersonFactory(
        first_name=first_name, last_name="Hart", date_of_birth=born, phone=MUM
    )
    return f.CaseFactory(person=person, area=person.area)


def lily_and_tom() -> tuple[Case, Case]:
    """Both cases, each texted its link (waiting for an answer online)."""
    lily = case_of("Lily", dt.date(2014, 5, 1))
    tom = case_of("Tom", dt.date(2003, 3, 2))
    assert online_case_invite(case=tom, now=timezone.now()) is not None
    return lily, tom


def named_on_lilys_link(client, lily: Case, *first_names: str) -> None:
    link = online_case_invite(case=lily, now=timezone.now())
    assert link is not None
    token = link.message.body.split("/o/")[1].split("/")[0]
    data = {"lang": "en"}
    for i, first_name in enumerate(first_names):
        data |= {
            f"contact-{i}-first_name": first_name,
            f"contact-{i}-last_name": "Hart",
            f"contact-{i}-phone": "07911 100101",
            f"contact-{i}-email": "",
            f"contact-{i}-last_near": yesterday().isoformat(),
            f"contact-{i}-household": "yes",
            f"contact-{i}-postcode": "",
        }
    done = client.post(f"/o/{token}/", data)
    assert "Thank you" in unescape(done.content.decode())


def told_as_contact(contact: Contact) -> list[str]:
    return list(Message.objects.filter(contact=contact).values_list("kind", flat=True))


def assert_held_back(contact: Contact, tom: Case, call_handler, supervisor) -> None:
    """Tom's contact row: kept, with his case's date, never handed to the phones
    (no call handler holds it, so none may open it), and its page says why to
    whoever may read it."""
    assert contact.isolation_ends_on == tom.isolation_ends_on
    assign_work()
    contact.refresh_from_db()
    assert (contact.status, contact.assignee) == (Status.NEW, None)
    detail = reverse("contacts:detail", args=[contact.pk])
    handler = Client()
    handler.force_login(call_handler)
    assert handler.get(detail).status_code == 403
    reader = Client()
    reader.force_login(supervisor)
    page = reader.get(detail)
    assert page.status_code == 200, page.status_code
    html = page.content.decode()
    assert 'data-testid="called-as-case"' in html
    assert "Log the call" not in html


def test_a_sibling_who_is_a_case_named_online_is_not_texted_as_a_contact(
    client, call_handler, supervisor
):
    lily, tom = lily_and_tom()

    named_on_lilys_link(client, lily, "Sarah", "Tom")

    toms = Contact.objects.get(case=lily, person=tom.person)
    assert told_as_contact(toms) == []
    # Tom's own text, as a case, is the only one he has.
    assert list(
        Message.objects.filter(person=tom.person).values_list("kind", flat=True)
    ) == [Message.Kind.CASE_LINK]
    # Their mother, not a case, is told as a contact.
    sarah = Contact.objects.get(case=lily, person__first_name="Sarah")
    assert told_as_contact(sarah) == [Message.Kind.CONTACT_LINK]
    assert_held_back(toms, tom, call_handler, supervisor)


def test_a_sibling_who_is_a_case_named_on_the_case_page_is_held_back(
    client, caseworker, call_handler, supervisor
):
    lily, tom = lily_and_tom()
    Case.objects.filter(pk=lily.pk).update(
        status=Status.ASSIGNED, assignee=caseworker, assigned_at=timezone.now()
    )
    client.force_login(caseworker)

    client.post(
        reverse("cases:contacts", args=[lily.pk]),
        {
            "contacts-TOTAL_FORMS": "3",
            "contacts-INITIAL_FORMS": "0",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "20",
            "contacts-0-first_name": "Tom",
            "contacts-0-last_name": "Hart",
            "contacts-0-phone": "07911 100101",
            "contacts-0-postcode": "S1 1AA",
            "contacts-0-exposure_date": yesterday().isoformat(),
            "contacts-0-exposure": Contact.Exposure.HOUSEHOLD,
        },
    )

    toms = Contact.objects.get(case=lily, person=tom.person)
    assert told_as_contact(toms) == []
    assert_held_back(toms, tom, call_handler, supervisor)
