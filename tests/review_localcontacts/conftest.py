"""Fixtures for the contacts a local team adds to a case it is working: a complex
case with Sheffield's team, the team's members, another team's, and the phones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Case, SettingKind
from contacts.models import Contact
from escalations.models import Escalation
from people.services import PersonDetails
from tests.conftest import ensure_ons_areas
from tests.local_teams.builders import LEEDS, SHEFFIELD, local_member
from work.intake import TestResult, case_intake


@pytest.fixture(autouse=True)
def ons_areas(db):
    """The areas and teams the data migration loads (gone after a flush)."""
    ensure_ons_areas()


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


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def complex_case(
    lab_reference: str = "LAB-CARE-1", postcode: str = "S1 2HE"
) -> tuple[Case, Escalation]:
    """A care home worker's positive result: intake sends the case straight to the
    local team of its area (its "Complex cases" page)."""
    case, _ = case_intake(
        result=TestResult(
            lab_reference=lab_reference,
            person=PersonDetails(
                first_name="Maud",
                last_name="Gonne",
                phone="07911 123456",
                postcode=postcode,
            ),
            specimen_date=dt.date(2021, 1, 10),
            result_date=dt.date(2021, 1, 11),
            complex_setting=SettingKind.CARE_HOME,
        )
    )
    return case, Escalation.objects.get(case=case)


@pytest.fixture
def escalation(clock) -> Escalation:
    """Sheffield's complex case, new in the team's queue."""
    return complex_case()[1]


def contacts_url(escalation: Escalation) -> str:
    return reverse("escalations:contacts", args=[escalation.pk])


def detail_url(escalation: Escalation) -> str:
    return reverse("escalations:detail", args=[escalation.pk])


def contact_rows(*rows: dict) -> dict:
    """The contact rows as the form sends them (three rows at least, as drawn)."""
    data = {
        "contacts-TOTAL_FORMS": str(max(3, len(rows))),
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "20",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"contacts-{i}-{key}"] = value
    return data


def row(first: str, phone: str, **extra: str) -> dict:
    return {
        "first_name": first,
        "last_name": "Tester",
        "phone": phone,
        "postcode": "S1 2HH",
        "exposure_date": "2021-01-11",
        "exposure": Contact.Exposure.HOUSEHOLD,
        **extra,
    }
