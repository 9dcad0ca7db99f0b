"""Complex cases go straight to the team of their area on intake and are worked here."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import SettingKind
from cases.workitem import Route, Status
from escalations.models import Escalation
from people.services import PersonDetails
from work.intake import TestResult, case_intake

from .builders import NOW

pytestmark = pytest.mark.django_db


def complex_result(postcode: str, setting: str = SettingKind.CARE_HOME) -> TestResult:
    return TestResult(
        lab_reference=f"LAB-{postcode}-{setting}",
        person=PersonDetails(
            first_name="Maud",
            last_name="Gonne",
            phone="07911 123456",
            postcode=postcode,
        ),
        specimen_date=dt.date(2021, 1, 10),
        result_date=dt.date(2021, 1, 11),
        complex_setting=setting,
    )


def test_complex_case_arrives_in_its_areas_complex_view(clock, sheffield_client):
    case, _ = case_intake(result=complex_result("S1 2HE"))

    response = sheffield_client.get(reverse("escalations:complex"))

    assert [e.case_id for e in response.context["page"]] == [case.pk]
    body = response.content.decode()
    assert "Maud Gonne" in body
    assert "Care home" in body


def test_complex_case_is_not_in_another_teams_view(clock, client, leeds_member):
    case_intake(result=complex_result("S1 2HE"))
    client.force_login(leeds_member)

    response = client.get(reverse("escalations:complex"))

    assert list(response.context["page"]) == []


@pytest.mark.parametrize(
    "setting",
    [SettingKind.SCHOOL, SettingKind.HOSPITAL, SettingKind.PRISON],
)
def test_every_complex_setting_comes_to_the_team(clock, sheffield_client, setting):
    case, _ = case_intake(result=complex_result("S1 2HE", setting))

    response = sheffield_client.get(reverse("escalations:complex"))

    assert [e.case_id for e in response.context["page"]] == [case.pk]


def test_complex_case_is_worked_and_closed_here(clock, sheffield_client):
    case, _ = case_intake(result=complex_result("S1 2HE"))
    escalation = Escalation.objects.get(case=case)

    sheffield_client.post(reverse("escalations:claim", args=[escalation.pk]))
    sheffield_client.post(
        reverse("escalations:action", args=[escalation.pk]),
        {"kind": "phone", "note": "Spoke to the care home manager"},
    )
    sheffield_client.post(
        reverse("escalations:close", args=[escalation.pk]), {"outcome": "reached"}
    )

    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.reached_route == Route.LOCAL
    assert case.reached_at == NOW
    page = sheffield_client.get(reverse("escalations:detail", args=[escalation.pk]))
    assert "Spoke to the care home manager" in page.content.decode()
    assert "Complex setting" in page.content.decode()
