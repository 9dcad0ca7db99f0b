"""Withdrawing a positive result: the case page's "Withdraw this result" (a tier 2
supervisor) and POST /api/v1/test-results/{lab_reference}/withdrawal/ (the lab)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.models import Scope
from cases.workitem import Status
from tests.parity.conftest import case_in
from work.withdraw import REASON_MAX, REASON_REQUIRED, REASON_TOO_LONG

pytestmark = pytest.mark.django_db


def url(reference: str) -> str:
    return f"/api/v1/test-results/{reference}/withdrawal/"


@pytest.fixture
def lab(make_client):
    return make_client("Lab", scopes=[Scope.INTAKE])[1]


def page_post(client, supervisor, case, reason):
    client.force_login(supervisor)
    return client.post(
        reverse("cases:withdraw", args=[case.pk]), {"reason": reason, "confirm": "on"}
    )


def test_a_blank_reason_is_refused_in_the_same_words_on_the_page_and_the_api(
    client, supervisor, lab
):
    """A supervisor who leaves the reason blank on the page is told "Say why the
    result is withdrawn."; the lab sending it blank is told "Say why the result is
    withdrawn (the lab's words, or yours).". Both should read the operation's one
    reason (REASON_REQUIRED): the page's form has words of its own."""
    case = case_in(lab_reference="LAB-BLANK")

    page = page_post(client, supervisor, case, "   ")
    api = lab.post(url("LAB-BLANK"), {"reason": "   "}, format="json")

    assert api.status_code == 400
    assert api.json()["reason"] == [REASON_REQUIRED]
    assert page.status_code == 200
    assert page.context["form"].errors["reason"] == [REASON_REQUIRED]
    case.refresh_from_db()
    assert case.status != Status.WITHDRAWN


def test_a_missing_reason_is_refused_through_the_api_in_the_pages_words(lab):
    """The lab that leaves `reason` out is told DRF's "This field is required.";
    sent blank it is told REASON_REQUIRED, and the page says the same of an empty
    field. The API should say REASON_REQUIRED whether the key is missing or blank."""
    case_in(lab_reference="LAB-NONE")

    api = lab.post(url("LAB-NONE"), {}, format="json")

    assert api.status_code == 400
    assert api.json()["reason"] == [REASON_REQUIRED]


def test_a_reason_too_long_is_refused_in_the_same_words_on_the_page_and_the_api(
    client, supervisor, lab
):
    """A reason of 1,001 characters: the page says "Keep the reason to 1000
    characters or fewer." (REASON_TOO_LONG); the API's serializer answers first with
    DRF's "Ensure this field has no more than 1000 characters.". Both should say
    REASON_TOO_LONG."""
    case = case_in(lab_reference="LAB-LONG")
    reason = "x" * (REASON_MAX + 1)

    page = page_post(client, supervisor, case, reason)
    api = lab.post(url("LAB-LONG"), {"reason": reason}, format="json")

    assert page.context["form"].errors["reason"] == [REASON_TOO_LONG]
    assert api.status_code == 400
    assert api.json()["reason"] == [REASON_TOO_LONG]
