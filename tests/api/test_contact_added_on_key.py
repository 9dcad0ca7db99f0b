"""POST /api/v1/cases/{id}/contacts/ sent again with its Idempotency-Key (an
integration's retry after a timeout) is the contact added the first time, as a call
sent again on its key is; the same key with another contact is refused, 422."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.models import Contact
from tests import factories as f

pytestmark = pytest.mark.django_db


def tom(first_name: str = "Tom") -> dict:
    return {
        "person": {
            "first_name": first_name,
            "last_name": "Baker",
            "phone": "0114 496 0555",
            "postcode": "S1 2HE",
        },
        "exposure_date": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "exposure": "face_to_face",
    }


def add(http, case, body, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return http.post(
        f"/api/v1/cases/{case.pk}/contacts/", body, format="json", headers=headers
    )


def test_the_same_contact_sent_again_on_its_key_is_the_contact_added(api):
    case = f.CaseFactory()

    first = add(api, case, tom(), key="tom-1")
    again = add(api, case, tom(), key="tom-1")

    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Contact.objects.filter(case=case).count() == 1


def test_another_contact_sent_on_a_key_used_already_is_a_422_adding_nothing(api):
    case = f.CaseFactory()
    assert add(api, case, tom(), key="tom-1").status_code == 201

    other = add(api, case, tom("Tim"), key="tom-1")

    assert other.status_code == 422, other.content
    assert other.json()["detail"].startswith(
        "This Idempotency-Key was used for a different contact"
    )
    assert list(
        Contact.objects.filter(case=case).values_list("person__first_name", flat=True)
    ) == ["Tom"]
    # The first contact sent again on it is still answered; a new key adds Tim.
    assert add(api, case, tom(), key="tom-1").status_code == 200
    assert add(api, case, tom("Tim"), key="tim-1").status_code == 201


def test_without_a_key_the_contact_sent_again_is_still_a_duplicate(api):
    case = f.CaseFactory()
    assert add(api, case, tom()).status_code == 201

    again = add(api, case, tom())

    assert again.status_code == 409, again.content
    assert again.json()["code"] == "duplicate_contact"
    assert Contact.objects.filter(case=case).count() == 1


def test_a_key_is_its_own_on_each_case(api):
    """The same key on another case names another contact: added, not refused."""
    first_case, second_case = f.CaseFactory(), f.CaseFactory()

    assert add(api, first_case, tom(), key="k-1").status_code == 201
    second = add(api, second_case, tom("Ann"), key="k-1")

    assert second.status_code == 201, second.content
