"""A setting's visit is recorded for the days that matter only, by whichever door it
comes: the operation itself (work.casework.case_visit_add) asks the rule the case
page and the online route ask (work.rules.visit_date_problem)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import SettingKind, SettingVisit
from cases.workitem import Status
from tests import factories as f
from work.casework import VisitDetails, case_visit_add

pytestmark = pytest.mark.django_db


def visit(day: dt.date) -> VisitDetails:
    return VisitDetails(name="Crown Inn", kind=SettingKind.VENUE, visited_on=day)


def test_a_visit_before_14_days_ahead_of_the_symptoms_is_refused_on_its_field():
    today = timezone.localdate()
    onset = today - dt.timedelta(days=3)
    case = f.CaseFactory(
        status=Status.REACHED,
        symptom_onset=onset,
        specimen_date=today - dt.timedelta(days=1),
    )

    with pytest.raises(ValidationError) as refused:
        case_visit_add(case=case, details=visit(onset - dt.timedelta(days=15)), by=None)
    assert "14 days before their symptoms started" in refused.value.messages[0]
    assert set(refused.value.message_dict) == {"visited_on"}

    case_visit_add(case=case, details=visit(onset - dt.timedelta(days=14)), by=None)
    assert [v.visited_on for v in SettingVisit.objects.filter(case=case)] == [
        onset - dt.timedelta(days=14)
    ]


def test_a_visit_in_the_future_is_refused_on_its_field():
    case = f.CaseFactory(status=Status.REACHED)

    with pytest.raises(ValidationError) as refused:
        case_visit_add(
            case=case,
            details=visit(timezone.localdate() + dt.timedelta(days=1)),
            by=None,
        )
    assert refused.value.message_dict == {
        "visited_on": ["The date of the visit cannot be in the future."]
    }
    assert not SettingVisit.objects.filter(case=case).exists()
