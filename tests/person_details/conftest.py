"""Jon Barker, on the phone: a case held by a caseworker, a contact held by a call
handler. He gives his details again as they are, or as they should be: "my name is
spelt Jon, not John", "I've moved to Leeds", "my email is ...", "call me on this
other mobile"."""

from __future__ import annotations

import datetime as dt

import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from cases.workitem import Status
from pages.desk.details_form import details_shown
from people.models import Person
from tests import factories as f

SHEFFIELD = "E08000019"
LEEDS = "E08000035"
HELD_PHONE = "+447911123456"
HELD_EMAIL = "john.barker@example.com"
# Known to the postcode directory: Sheffield's, and Leeds's (he moves there).
HELD_POSTCODE = "S1 2HE"
LEEDS_POSTCODE = "LS6 3QE"
# Well formed, and not in the directory: a typo of Sheffield's.
UNKNOWN_POSTCODE = "S10 2HE"


# The shared CaseFactory computes the isolation date from symptom_onset without
# declaring it; declare it so a case can be built without one.
class CaseFactory(f.CaseFactory):
    symptom_onset = None


class ContactFactory(f.ContactFactory):
    case = factory.SubFactory(CaseFactory)


def hold(item, user):
    """The item in someone's queue, assigned to them."""
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


def barker(**kwargs) -> Person:
    """John Barker as we hold him: in Sheffield, his date of birth typed wrong."""
    values = {
        "first_name": "John",
        "last_name": "Barker",
        "date_of_birth": dt.date(1985, 6, 4),
        "phone": HELD_PHONE,
        "email": HELD_EMAIL,
        "address": "12 West Street, Sheffield",
        "postcode": HELD_POSTCODE,
        "area": f.area(SHEFFIELD),
    }
    values.update(kwargs)
    return f.PersonFactory(**values)


@pytest.fixture
def jon(db) -> Person:
    return barker()


@pytest.fixture
def held_case(caseworker, jon):
    return hold(CaseFactory(person=jon), caseworker)


@pytest.fixture
def held_contact(call_handler, jon):
    return hold(ContactFactory(person=jon), call_handler)


@pytest.fixture
def other_caseworker(db):
    profile = f.StaffProfileFactory(clinical=True, user__username="other_caseworker")
    f.ShiftFactory(staff=profile)
    return profile.user


def details_url(item) -> str:
    namespace = "cases" if item.kind == "case" else "contacts"
    return reverse(f"{namespace}:person_details", args=[item.pk])


def api_url(item) -> str:
    return f"/api/v1/{item.kind}s/{item.pk}/person/"


def form_as_drawn(person: Person, **typed: str) -> dict[str, str]:
    """The "Their details" form as the page draws it for `person` (what is held, in
    its fields and in the hidden ones saying what it was drawn with), with what the
    caller typed over it."""
    # As the page shows each (a UK phone in national form, one from abroad with
    # its country's code; a date in ISO form).
    held = {
        name: value.isoformat() if isinstance(value, dt.date) else str(value or "")
        for name, value in details_shown(person).items()
    }
    drawn = {f"details-drawn_{name}": value for name, value in held.items()}
    held.update(typed)
    return {**{f"details-{name}": value for name, value in held.items()}, **drawn}


def withdrawn(case):
    """The case's positive result withdrawn, as sent in error (said when and why)."""
    type(case).objects.filter(pk=case.pk).update(
        status=Status.WITHDRAWN,
        withdrawn_at=timezone.now(),
        withdrawn_reason="A lab's mix-up.",
        withdrawn_by=f.UserFactory(username="withdrawing_supervisor"),
    )
    case.refresh_from_db()
    return case
