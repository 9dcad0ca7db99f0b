"""A visit sent twice to a place another case gave another kind is recorded once
and said so, not "There is a problem" (one setting per place, 3d47f81)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import SettingKind, SettingVisit
from tests import factories as f
from work.casework import VisitDetails, case_visit_add

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", [SettingKind.SCHOOL, SettingKind.WORKPLACE])
def test_a_visit_sent_twice_to_a_school_another_case_named_is_recorded_once(
    client, caseworker, held_case, kind
):
    day = timezone.localdate() - dt.timedelta(days=1)
    case_visit_add(
        case=f.CaseFactory(),
        by=None,
        details=VisitDetails(
            name="Greenfield Primary School",
            kind=SettingKind.SCHOOL,
            visited_on=day,
            postcode="S1 2HE",
        ),
    )
    form = {
        "visit-name": "Greenfield Primary School",
        "visit-kind": kind,
        "visit-postcode": "S1 2HE",
        "visit-visited_on": day.isoformat(),
    }
    client.force_login(caseworker)
    url = reverse("cases:visit", args=[held_case.pk])
    client.post(url, form)
    assert SettingVisit.objects.filter(case=held_case).count() == 1

    again = client.post(url, form, follow=True).content.decode()

    assert "it was sent twice, and recorded once" in again
    assert "There is a problem" not in again
    assert SettingVisit.objects.filter(case=held_case).count() == 1
