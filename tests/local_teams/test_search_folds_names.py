"""A name typed without its accents or apostrophes finds the person in the work lists
as it does in the people search: "Sian OBrien" finds Siân O'Brien."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.workitem import Status
from staffing.models import Tier
from tests import factories as f

from .builders import SHEFFIELD, escalated_contact, person_in

pytestmark = pytest.mark.django_db

TYPED = ["Sian OBrien", "OBrien", "Sian", "siân o'brien", "o\u2019brien", "SIAN"]


@pytest.mark.parametrize("typed", TYPED)
def test_the_local_queue_finds_a_name_typed_without_accents(
    clock, sheffield_client, typed
):
    wanted = escalated_contact(
        person=person_in(SHEFFIELD, first_name="Siân", last_name="O'Brien")
    )
    escalated_contact(person=person_in(SHEFFIELD, first_name="Sam", last_name="Brie"))

    response = sheffield_client.get(reverse("escalations:queue"), {"q": typed})

    assert [e.pk for e in response.context["page"]] == [wanted.pk]


def test_the_local_queue_finds_accents_typed_for_a_name_kept_without(
    clock, sheffield_client
):
    wanted = escalated_contact(
        person=person_in(SHEFFIELD, first_name="Lena", last_name="Muller")
    )

    response = sheffield_client.get(reverse("escalations:queue"), {"q": "Müller"})

    assert [e.pk for e in response.context["page"]] == [wanted.pk]


@pytest.fixture
def supervisor_client(client):
    team = f.TeamFactory(tier=Tier.CALL_HANDLER)
    lead = f.StaffProfileFactory(
        is_supervisor=True, team=team, organisation=team.organisation
    )
    handler = f.StaffProfileFactory(team=team, organisation=team.organisation)
    client.force_login(lead.user)
    client.handler_user = handler.user
    return client


@pytest.mark.parametrize("typed", TYPED)
@pytest.mark.parametrize("holder", ["", "pool"])
def test_the_supervisors_work_list_finds_a_name_typed_without_accents(
    clock, supervisor_client, typed, holder
):
    held = {"status": Status.ASSIGNED, "assignee": supervisor_client.handler_user}
    fields = held if holder == "" else {}
    wanted = f.ContactFactory(
        person=f.PersonFactory(first_name="Siân", last_name="O'Brien"), **fields
    )
    f.ContactFactory(person=f.PersonFactory(first_name="Sam", last_name="Brie"))
    f.ContactFactory(person=f.PersonFactory(first_name="Sam", last_name="Brie"), **held)

    response = supervisor_client.get(
        reverse("staffing:work"), {"q": typed, "holder": holder}
    )

    assert [item.pk for item in response.context["page"]] == [wanted.pk]


def test_the_work_list_still_finds_a_name_by_the_start_of_its_words_only(
    clock, supervisor_client
):
    wanted = f.ContactFactory(
        person=f.PersonFactory(first_name="Brian", last_name="Llŷr")
    )
    f.ContactFactory(person=f.PersonFactory(first_name="O'Brian", last_name="Evans"))

    response = supervisor_client.get(
        reverse("staffing:work"), {"q": "Bria llyr", "holder": "pool"}
    )

    assert [item.pk for item in response.context["page"]] == [wanted.pk]
