"""Jon Barker, escalated to Sheffield's local team: a member of the team at his door
(or on the team's own call) learns his right phone number, email or address, and
corrects them on the escalation's page ("Their details"), as a caseworker would on
the case page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from escalations.models import Escalation
from people.models import Person
from tests import factories as f
from tests.conftest import ensure_ons_areas
from tests.local_teams.builders import (
    LEEDS,
    SHEFFIELD,
    CaseFactory,
    ContactFactory,
    local_member,
)
from tests.person_details.conftest import form_as_drawn
from work.escalation import item_escalate

HELD_PHONE = "+447911123456"
HELD_POSTCODE = "S1 2HE"
LEEDS_POSTCODE = "LS6 3QE"
# In the postcode directory, in Wales: no area of the service.
CARDIFF_POSTCODE = "CF10 1EP"

__all__ = ["LEEDS", "SHEFFIELD", "form_as_drawn"]


@pytest.fixture(autouse=True)
def ons_areas(db):
    """The areas and teams the data migration loads (gone after a flush)."""
    ensure_ons_areas()


@pytest.fixture
def jon(db) -> Person:
    """John Barker as we hold him: in Sheffield, his date of birth typed wrong."""
    return f.PersonFactory(
        first_name="John",
        last_name="Barker",
        date_of_birth=dt.date(1985, 6, 4),
        phone=HELD_PHONE,
        email="john.barker@example.com",
        address="12 West Street, Sheffield",
        postcode=HELD_POSTCODE,
        area=f.area(SHEFFIELD),
    )


@pytest.fixture
def sheffield_member(db):
    return local_member(
        SHEFFIELD,
        "sheffield_member",
        user__first_name="Mary",
        user__last_name="Seacole",
    )


@pytest.fixture
def sheffield_colleague(db):
    return local_member(SHEFFIELD, "sheffield_colleague")


@pytest.fixture
def leeds_member(db):
    return local_member(LEEDS, "leeds_member")


@pytest.fixture
def escalation(clock, jon) -> Escalation:
    """Jon's case, unreached by the phones, new in Sheffield's queue."""
    case = CaseFactory(person=jon, area=jon.area)
    return item_escalate(item=case, reason=Escalation.Reason.UNREACHED)


@pytest.fixture
def contact_escalation(clock, jon) -> Escalation:
    """Jon named as a contact, unreached by the phones, new in Sheffield's queue."""
    contact = ContactFactory(person=jon, area=jon.area)
    return item_escalate(item=contact, reason=Escalation.Reason.UNREACHED)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail_url(escalation: Escalation) -> str:
    return reverse("escalations:detail", args=[escalation.pk])


def details_url(escalation: Escalation) -> str:
    return reverse("escalations:details", args=[escalation.pk])


def api_url(item) -> str:
    return f"/api/v1/{item.kind}s/{item.pk}/person/"
