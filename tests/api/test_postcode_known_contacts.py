"""POST /api/v1/cases/<id>/contacts/ refuses a postcode of the right form that the
directory does not know, naming the field, in the online form's words; one the
directory knows outside England is taken, as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.models import Contact
from tests import factories as f

pytestmark = pytest.mark.django_db

NOT_FOUND = "We cannot find this postcode. Check it and enter it again."


def contact(postcode: str) -> dict:
    return {
        "person": {
            "first_name": "Api",
            "last_name": "Typo",
            "phone": "07911 123473",
            "postcode": postcode,
        },
        "exposure_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "exposure": "household",
    }


def test_a_postcode_not_in_the_directory_is_a_400_naming_the_field(api):
    case = f.CaseFactory()

    response = api.post(
        f"/api/v1/cases/{case.pk}/contacts/", contact("S9 9ZZ"), format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["person"]["postcode"] == [NOT_FOUND]
    assert not Contact.objects.filter(case=case).exists()


def test_a_postcode_the_directory_knows_outside_england_is_taken(api):
    case = f.CaseFactory()

    response = api.post(
        f"/api/v1/cases/{case.pk}/contacts/", contact("CF10 1EP"), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["area_unknown"] is True


def test_someone_at_the_cases_own_postcode_is_taken_though_the_directory_lacks_it(
    api,
):
    # A lab's result is never refused for its postcode: the case lives at a new
    # build the directory does not know yet, and is named with those at home.
    case = f.CaseFactory(person__postcode="S9 9ZZ", person__area=None)

    response = api.post(
        f"/api/v1/cases/{case.pk}/contacts/", contact("s9 9zz"), format="json"
    )

    assert response.status_code == 201, response.content
    assert Contact.objects.get(case=case).person.postcode == "S9 9ZZ"
