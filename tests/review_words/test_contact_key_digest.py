"""POST /api/v1/cases/{id}/contacts/ sent again on its Idempotency-Key (67bec8f)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.models import Contact
from tests import factories as f

pytestmark = pytest.mark.django_db


def tom(phone: str) -> dict:
    return {
        "person": {
            "first_name": "Tom",
            "last_name": "Baker",
            "phone": phone,
            "postcode": "S1 2HE",
        },
        "exposure_date": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "exposure": "face_to_face",
    }


def add(http, case, body, key: str):
    return http.post(
        f"/api/v1/cases/{case.pk}/contacts/",
        body,
        format="json",
        headers={"Idempotency-Key": key},
    )


def test_the_same_contact_with_its_number_written_another_way_is_not_another(api):
    """A retry naming the same person, the same number in its +44 form (what the
    service stores for both), is the contact the key added: the 422 says "used for
    a different contact (another person, exposure date or kind)", which it is not.
    The key's digest (api/cases/contact_keys.body_digest) is of the raw body, not
    of the contact as the service reads it."""
    case = f.CaseFactory()
    assert add(api, case, tom("0114 496 0555"), key="tom-1").status_code == 201

    again = add(api, case, tom("+44 114 496 0555"), key="tom-1")

    assert again.status_code == 200, again.content
    assert Contact.objects.filter(case=case).count() == 1
