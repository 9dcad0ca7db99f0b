"""Correcting a person's details: the case page, the contact page and the local
team's escalation page ("Their details") and PATCH /api/v1/{cases,contacts}/{id}/
person/, the one operation (work.person_details.person_details_correct)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.parity.conftest import api_session, web_session
from tests.person_details.conftest import form_as_drawn
from work.person_details import BAD_DATE

pytestmark = pytest.mark.django_db


def test_a_date_of_birth_that_is_no_date_is_refused_in_the_same_words(
    client, held_case
):
    """A date of birth that is no date: the page says "Enter a real date, such as
    14/06/1985." (BAD_DATE); the API says DRF's "Date has wrong format. Use one of
    these formats instead: YYYY-MM-DD.". The operation's reason, "Enter a real
    date" (with the API's form of a date as its example), at both doors."""
    web_session(client, held_case.assignee)
    http = api_session(held_case.assignee)

    page = client.post(
        reverse("cases:person_details", args=[held_case.pk]),
        form_as_drawn(held_case.person, date_of_birth="1985-02-30"),
    )
    api = http.patch(
        f"/api/v1/cases/{held_case.pk}/person/",
        {"date_of_birth": "1985-02-30"},
        format="json",
    )

    assert api.status_code == 400
    assert page.context["details_form"].errors["date_of_birth"] == [BAD_DATE]
    # The API reads only YYYY-MM-DD: its example may be that, the reason the same.
    assert api.json()["date_of_birth"][0].startswith(BAD_DATE.split(",")[0])
