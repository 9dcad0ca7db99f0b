"""?exposure= finds contacts by the kind of exposure the API gives them: their latest
naming's (a contact named again later by another case, an Exposure row, is found by
the later kind, not by the first case's)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.models import Contact, Exposure
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_exposure_filter_finds_a_contact_by_its_latest_exposure(api):
    today = timezone.localdate()
    pat = f.ContactFactory(
        exposure_date=today - dt.timedelta(days=6),
        exposure=Contact.Exposure.HOUSEHOLD,
    )
    Exposure.objects.create(
        contact=pat,
        case=f.CaseFactory(),
        exposure_date=today - dt.timedelta(days=1),
        exposure=Contact.Exposure.FACE_TO_FACE,
        created_at=timezone.now(),
    )
    household = f.ContactFactory(exposure=Contact.Exposure.HOUSEHOLD)

    def found(kind: str) -> list[tuple[int, str]]:
        body = api.get(f"/api/v1/contacts/?exposure={kind}").json()
        return [(c["id"], c["exposure"]) for c in body["results"]]

    assert found("face_to_face") == [(pat.pk, "face_to_face")]
    assert found("household") == [(household.pk, "household")]
