"""Fixtures for a safeguarding concern raised on a case its caseworker completed:
Sheffield's team and the completed case, and a way to log the concern."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from calls.models import Outcome
from cases.models import Case
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from tests.conftest import ensure_ons_areas
from tests.local_teams.builders import SHEFFIELD, CaseFactory, local_member, person_in
from work.assignment import item_assign
from work.calls import call_record
from work.casework import item_complete

CONCERN = "Partner heard shouting at them on the call"


@pytest.fixture(autouse=True)
def ons_areas(db):
    """The areas and teams the data migration loads (gone after a flush)."""
    ensure_ons_areas()


@pytest.fixture
def sheffield_member(db):
    return local_member(
        SHEFFIELD, "sheffield_member", user__email="team@sheffield.example.org"
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reached_case(caseworker) -> Case:
    """A Sheffield case its caseworker holds and reached, assessed, not completed."""
    person = person_in(SHEFFIELD)
    case = CaseFactory(person=person, area=person.area)
    item_assign(item=case, to=caseworker)
    call_record(item=case, caller=caseworker, outcome=Outcome.REACHED)
    f.RiskAssessmentFactory(case=case, assessed_by=caseworker)
    case.refresh_from_db()
    assert case.status == Status.REACHED
    return case


@pytest.fixture
def completed_case(clock, caseworker) -> Case:
    """A Sheffield case reached, assessed and completed by its caseworker."""
    case = reached_case(caseworker)
    item_complete(item=case, by=caseworker)
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    return case


def concern_on_the_page(client: Client, case: Case):
    """The concern raised on the case page's form, as its caseworker raises it."""
    return client.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": Outcome.SAFEGUARDING, "notes": CONCERN},
        follow=True,
    )


@pytest.fixture
def concern(completed_case, caseworker) -> Escalation:
    """The concern heard on a follow-up call to the completed case."""
    logged = call_record(
        item=completed_case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes=CONCERN,
    )
    assert logged.escalation is not None
    return logged.escalation


def detail_url(escalation: Escalation) -> str:
    return reverse("escalations:detail", args=[escalation.pk])


def contacts_url(escalation: Escalation) -> str:
    return reverse("escalations:contacts", args=[escalation.pk])
