"""POST /api/v1/test-results/{lab_reference}/withdrawal/: the lab withdraws a result
it sent in error. Before, there was no such endpoint (404 for every reference)."""

from __future__ import annotations

import pytest

from api.models import Scope
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from people.models import Message
from tests import factories as f
from tests.api.conftest import _fresh_rate_counts, make_client  # noqa: F401
from work.withdraw import case_withdraw

from .conftest import BEN, DECEMBER_7, FREE, all_messages, named, positive

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]


def url(reference: str) -> str:
    return f"/api/v1/test-results/{reference}/withdrawal/"


@pytest.fixture
def lab(make_client):  # noqa: F811
    return make_client("Lab", scopes=[Scope.INTAKE])[1]


def test_the_lab_withdraws_its_result_and_everyone_told_is_told_once(lab):
    case = positive()
    ben = named(case, BEN)
    before = all_messages()

    response = lab.post(url("LAB-VOID"), {"reason": "Sample mix-up"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "withdrawn"
    assert body["already_withdrawn"] is False
    assert body["case"] == case.pk
    assert (body["contacts_withdrawn"], body["people_told"]) == (1, 2)
    case.refresh_from_db()
    ben.refresh_from_db()
    assert (case.status, ben.status) == (Status.WITHDRAWN, Status.WITHDRAWN)
    told = Message.objects.exclude(pk__in=before)
    assert told.count() == 2
    assert all(FREE in message.body for message in told)

    again = lab.post(url("LAB-VOID"), {"reason": "Sample mix-up"}, format="json")

    assert again.status_code == 200
    assert again.json()["already_withdrawn"] is True
    assert "already withdrawn" in again.json()["detail"]
    assert Message.objects.exclude(pk__in=before).count() == 2  # no second round


def test_an_unknown_reference_is_a_404_and_a_missing_reason_a_400(lab):
    positive()

    assert lab.post(url("LAB-NONE"), {"reason": "x"}, format="json").status_code == 404
    missing = lab.post(url("LAB-VOID"), {}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()
    blank = lab.post(url("LAB-VOID"), {"reason": "  "}, format="json")
    assert blank.status_code == 400
    assert "reason" in blank.json()
    unknown = lab.post(url("LAB-VOID"), {"reason": "x", "why": "y"}, format="json")
    assert unknown.status_code == 400
    assert "why" in unknown.json()
    assert Case.objects.get(lab_reference="LAB-VOID").status != Status.WITHDRAWN


def test_only_a_client_with_the_results_scope_may(make_client):  # noqa: F811
    positive()
    dashboard = make_client("Dashboard", scopes=[Scope.CASEWORK])[1]

    response = dashboard.post(url("LAB-VOID"), {"reason": "x"}, format="json")

    assert response.status_code == 403
    assert Case.objects.get(lab_reference="LAB-VOID").status != Status.WITHDRAWN


def test_a_client_of_another_team_is_told_no_such_result(make_client):  # noqa: F811
    positive()
    other = f.LocalTeamFactory()
    bound = make_client("Other lab", scopes=[Scope.INTAKE], local_team=other)[1]

    response = bound.post(url("LAB-VOID"), {"reason": "x"}, format="json")

    assert response.status_code == 404
    assert not Contact.objects.filter(status=Status.WITHDRAWN).exists()


def test_the_case_read_through_the_api_says_when_and_why_it_was_withdrawn(
    supervisor,
    make_client,  # noqa: F811 (the fixture imported above)
):
    """Before, an integration reading the case saw "withdrawn" and nothing more."""
    case = positive()
    case_withdraw(case=case, reason="Sample mix-up at the lab", by=supervisor)
    http = make_client("Dashboard", scopes=[Scope.CASEWORK])[1]

    answer = http.get(f"/api/v1/cases/{case.pk}/").json()

    assert answer["status"] == "withdrawn"
    assert answer["withdrawn_reason"] == "Sample mix-up at the lab"
    assert answer["withdrawn_at"] is not None
