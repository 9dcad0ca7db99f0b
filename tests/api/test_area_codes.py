"""Area and local team codes in the lists' filters: read as /figures/ reads them.

A code is matched after trimming, in any case (ONS codes are held in upper case, so
"e08000019" is Sheffield), and a code no area (or no local team) has is a 400 naming
the field, as /figures/weekly/ answers, never an empty list a dashboard would read as
nothing to do.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import Scope
from escalations.models import Escalation
from tests import factories as f
from work.escalation import item_escalate

pytestmark = pytest.mark.django_db

SHEFFIELD = "E08000019"
BARNSLEY = "E08000016"


def case_in(code: str):
    person = f.PersonFactory(area=f.area(code))
    return f.CaseFactory(person=person)


def contact_in(code: str):
    person = f.PersonFactory(area=f.area(code))
    return f.ContactFactory(person=person, area=person.area)


def escalated_contact(code: str) -> Escalation:
    return item_escalate(item=contact_in(code), reason=Escalation.Reason.UNREACHED)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [item["id"] for item in response.json()["results"]]


@pytest.mark.parametrize("code", ["e08000019", " E08000019 ", "E08000019"])
def test_cases_by_area_in_any_case_and_with_spaces(api, code):
    sheffield = case_in(SHEFFIELD)
    case_in(BARNSLEY)

    assert ids(api.get("/api/v1/cases/", {"area": code})) == [sheffield.pk]


def test_contacts_by_area_in_lower_case(api):
    sheffield = contact_in(SHEFFIELD)
    contact_in(BARNSLEY)

    assert ids(api.get("/api/v1/contacts/", {"area": "e08000019"})) == [sheffield.pk]


@pytest.mark.parametrize("url", ["/api/v1/cases/", "/api/v1/contacts/"])
def test_an_area_code_no_area_has_is_a_400_naming_the_field(api, url):
    case_in(SHEFFIELD)

    response = api.get(url, {"area": "abc"})

    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"area": ["No area has the code ABC."]}


def test_escalations_by_local_team_in_lower_case(api):
    sheffield = escalated_contact(SHEFFIELD)
    escalated_contact(BARNSLEY)

    response = api.get("/api/v1/escalations/", {"local_team": "e08000019"})

    assert ids(response) == [sheffield.pk]


def test_a_local_team_code_no_team_has_is_a_400_naming_the_field(api):
    escalated_contact(SHEFFIELD)

    response = api.get("/api/v1/escalations/", {"local_team": "nosuch"})

    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"local_team": ["No local team has the code NOSUCH."]}


def test_a_blank_code_is_no_filter(api):
    both = {case_in(SHEFFIELD).pk, case_in(BARNSLEY).pk}

    assert set(ids(api.get("/api/v1/cases/", {"area": " "}))) == both


def test_the_figures_read_an_area_code_in_lower_case(make_client):
    figures = make_client("Dashboard", scopes=[Scope.READ_FIGURES])[1]

    lower = figures.get("/api/v1/figures/weekly/", {"area": " e08000019 "})

    assert lower.status_code == 200, lower.content[:300]
    assert lower.json()["scope"]["code"] == SHEFFIELD


def test_a_team_bound_client_asking_for_another_teams_area_still_sees_nothing(
    sheffield_api,
):
    """Another team's area exists (the figures say so too): its items are not shown,
    as before, and nothing says whether there are any."""
    case_in(BARNSLEY)
    contact_in(BARNSLEY)
    escalated_contact(BARNSLEY)

    assert ids(sheffield_api.get("/api/v1/cases/", {"area": "e08000016"})) == []
    assert ids(sheffield_api.get("/api/v1/contacts/", {"area": BARNSLEY})) == []
    assert (
        ids(sheffield_api.get("/api/v1/escalations/", {"local_team": BARNSLEY})) == []
    )


@pytest.mark.parametrize(
    ("url", "field", "code"),
    [
        ("/api/v1/cases/", "area", "e08000019"),
        ("/api/v1/contacts/", "area", "e08000019"),
        ("/api/v1/escalations/", "local_team", "e08000019"),
    ],
)
def test_the_code_costs_one_small_query(api, url, field, code):
    case_in(SHEFFIELD)
    escalated_contact(SHEFFIELD)
    api.get(url)  # the client's token and the like read once

    with CaptureQueriesContext(connection) as unfiltered:
        assert api.get(url).status_code == 200
    with CaptureQueriesContext(connection) as filtered:
        assert api.get(url, {field: code}).status_code == 200

    assert len(filtered) == len(unfiltered) + 1


def test_a_code_holding_a_percent_sign_is_a_400_repeating_it(api):
    response = api.get("/api/v1/contacts/", {"area": "%d/%m"})

    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"area": ["No area has the code %D/%M."]}
