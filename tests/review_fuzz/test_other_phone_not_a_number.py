"""Text that is no phone number at all, typed as a phone nobody had yet."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from api.models import Scope
from cases.workitem import Status
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "held"), [("phone_alt", {"phone_alt": ""}), ("phone", {"phone": ""})]
)
def test_api_refuses_a_phone_with_no_digits_when_none_was_held(
    make_client, field, held
):
    """PATCH /api/v1/cases/{id}/person/ {"phone_alt": "abc"} for a person with no
    other phone answers 200 "Nothing to change: their details are as held.", saving
    nothing: the client is told its value was taken as already held. (For a person
    who has an other phone, the same body is a 400 "Enter a UK phone number".)
    work.person_details._number compares _as_e164("abc"), "" for no number, with
    the held "" and finds them equal. The same for "phone" of a person with no
    phone. Expected: the same 400 naming the field."""
    case = f.CaseFactory(**{f"person__{name}": value for name, value in held.items()})
    http = make_client("Casework", scopes=[Scope.CASEWORK])[1]
    response = http.patch(
        f"/api/v1/cases/{case.pk}/person/",
        json.dumps({field: "abc"}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()


def test_case_page_refuses_an_other_phone_with_no_digits(caseworker):
    """On the case page's "Their details", a caseworker types "n/a" in "Other
    phone (optional)" (the person had none) and sends: the page says "Nothing to
    change: their details are as held." and what they typed is gone. Expected: the
    form drawn again with "n/a" kept and the phone's problem beside it, as "0791l
    123456" gets."""
    case = f.CaseFactory(
        status=Status.ASSIGNED, assignee=caseworker, person__phone_alt=""
    )
    client = Client()
    client.force_login(caseworker)
    response = client.post(
        f"/cases/{case.pk}/details/",
        {
            "details-phone_alt": "n/a",
            "details-drawn_phone_alt": "",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Nothing to change" not in page
    assert 'value="n/a"' in page
    assert "id_details-phone_alt-error" in page
