"""Asha's first result (LAB-VOID) was a lab's mix-up; a second, real positive of
hers (LAB-REAL, tested the day after) was kept with her case as a further result of
the same episode. The lab withdraws LAB-VOID only.

Before, the whole case was withdrawn and Asha was texted that she no longer needed
to stay at home, though LAB-REAL stands. Now the withdrawal is refused, naming the
further result (a 409 through the API, an error on the page): nothing is changed or
sent."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from cases.models import FurtherResult
from cases.workitem import Status
from tests.isolation.conftest import D
from tests.withdraw.conftest import ASHA, DECEMBER_7, all_messages, positive
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.withdraw import FurtherResultsStand, case_withdraw

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]


@pytest.fixture
def asha(clock):
    case = positive("LAB-VOID", ASHA)
    kept, created = case_intake(
        result=LabResult(
            lab_reference="LAB-REAL",
            person=ASHA,
            specimen_date=D(2026, 12, 4),
            result_date=D(2026, 12, 6),
        )
    )
    assert not created
    assert kept.pk == case.pk
    assert FurtherResult.objects.filter(lab_reference="LAB-REAL", case=case).exists()
    return case


def test_a_case_with_a_further_result_standing_is_not_withdrawn(asha, supervisor):
    before = all_messages()

    with pytest.raises(FurtherResultsStand, match="LAB-REAL"):
        case_withdraw(case=asha, reason="Sample mix-up: LAB-VOID only", by=supervisor)

    asha.refresh_from_db()
    assert asha.status != Status.WITHDRAWN
    assert all_messages() == before


def test_the_lab_is_told_why_with_a_409(asha):
    _, token = api_client_create(
        name="Lab", scopes=[Scope.INTAKE], rate_limit_per_minute=1000
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = http.post(
        "/api/v1/test-results/LAB-VOID/withdrawal/",
        {"reason": "Sample mix-up"},
        format="json",
    )

    assert response.status_code == 409, response.content
    assert "LAB-REAL" in response.json()["detail"]
    asha.refresh_from_db()
    assert asha.status != Status.WITHDRAWN
