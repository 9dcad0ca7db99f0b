"""A local team member signed in sees only their own areas through the API too."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cases.workitem import Status
from tests import factories as f

pytestmark = pytest.mark.django_db

LEEDS = "E08000035"


@pytest.fixture
def http(local_team_member):
    client = APIClient()
    client.force_login(local_team_member)
    return client


def leeds_person():
    return f.PersonFactory(postcode="LS1 4DY", area=f.area(LEEDS))


def test_case_list_holds_only_the_teams_areas(http):
    mine = f.CaseFactory()
    f.CaseFactory(person=leeds_person())

    ids = [c["id"] for c in http.get("/api/v1/cases/").json()["results"]]

    assert ids == [mine.pk]


def test_another_areas_case_is_404(http):
    theirs = f.CaseFactory(person=leeds_person())

    assert http.get(f"/api/v1/cases/{theirs.pk}/").status_code == 404


def test_another_areas_contact_is_404_and_not_listed(http):
    mine = f.ContactFactory()
    theirs = f.ContactFactory(person=leeds_person())

    ids = [c["id"] for c in http.get("/api/v1/contacts/").json()["results"]]

    assert ids == [mine.pk]
    assert http.get(f"/api/v1/contacts/{theirs.pk}/").status_code == 404


def test_another_teams_escalation_is_404(http):
    contact = f.ContactFactory(person=leeds_person(), status=Status.ESCALATED)
    theirs = f.EscalationFactory(contact=contact)

    assert http.get(f"/api/v1/escalations/{theirs.pk}/").status_code == 404
    assert http.post(f"/api/v1/escalations/{theirs.pk}/claim/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.picked_up_by is None
