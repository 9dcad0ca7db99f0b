"""A case the caseworker finds works in a complex setting goes to its local team as a
complex case, as a case the lab marks complex does on arrival.

A caseworker recorded in the risk assessment "Works or studies in: Care home" for a
care assistant, and the case stayed routine: never on Sheffield's "Complex cases"
list, never in its queue. Only the lab's complex setting at intake made a case
complex. Now recording the assessment with a complex setting (cases.models
COMPLEX_SETTINGS, the intake's rule) marks the case complex and escalates it to its
local team, once, with the intake's reason and due time, and the caseworker is told.
A visit to a care home is exposure, not the case's own setting: it changes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.errors import IllegalTransition
from cases.models import COMPLEX_SETTINGS, Case, SettingKind
from cases.workitem import Status
from escalations.models import Escalation
from people.services import PersonDetails
from tests import factories as f
from tests.conftest import NOW
from tests.local_teams.builders import SHEFFIELD, CaseFactory, person_in
from work.casework import (
    AssessmentDetails,
    VisitDetails,
    case_assessment_record,
    case_visit_add,
)
from work.escalation import escalation_claim, escalation_return, item_escalate
from work.intake import TestResult, case_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

CARE_ASSISTANT = {
    "symptomatic": "on",
    "symptom_onset": (NOW.date() - dt.timedelta(days=2)).isoformat(),
    "occupation": "Care assistant",
    "works_in": SettingKind.CARE_HOME,
    "household_size": "2",
    "clinical_notes": "Works shifts at Beech House care home, 40 residents",
}


def held_by(user) -> Case:
    """A Sheffield case the caseworker holds, reached (as the assessment is made)."""
    person = person_in(SHEFFIELD, phone="+447400111222")
    case = CaseFactory(person=person, area=person.area)
    Case.objects.filter(pk=case.pk).update(
        status=Status.REACHED, assignee=user, assigned_at=NOW, reached_at=NOW
    )
    case.refresh_from_db()
    return case


def assessed(case: Case, by, works_in: str = SettingKind.CARE_HOME) -> Case:
    case_assessment_record(
        case=case,
        details=AssessmentDetails(
            symptomatic=False,
            symptom_onset=None,
            occupation="Care assistant",
            works_in=works_in,
        ),
        by=by,
    )
    case.refresh_from_db()
    return case


def sheffield_team():
    return f.area(SHEFFIELD).local_team


def test_works_in_a_care_home_on_the_case_page_sends_it_to_the_local_team(
    client, caseworker
):
    case = held_by(caseworker)
    client.force_login(caseworker)

    page = client.post(
        reverse("cases:assessment", args=[case.pk]), CARE_ASSISTANT, follow=True
    ).content.decode()

    case.refresh_from_db()
    team = sheffield_team()
    assert "Risk assessment saved" in page
    assert f"gone to {team.name} as a complex case" in page
    assert case.complexity == Case.Complexity.COMPLEX
    assert case.complex_setting == SettingKind.CARE_HOME
    assert case.status == Status.ESCALATED
    assert case.assignee is None
    escalation = Escalation.objects.get(case=case)
    assert escalation.reason == Escalation.Reason.COMPLEX
    assert escalation.local_team == team
    local = f.StaffProfileFactory(local=True, local_team=team).user
    client.force_login(local)
    listed = client.get(reverse("escalations:complex"))
    assert [e.case_id for e in listed.context["page"]] == [case.pk]
    assert "Care home" in listed.content.decode()


def test_a_supervisor_is_told_on_the_case_page_itself(client, supervisor):
    case = held_by(f.StaffProfileFactory(clinical=True).user)
    client.force_login(supervisor)

    page = client.post(
        reverse("cases:assessment", args=[case.pk]), CARE_ASSISTANT, follow=True
    ).content.decode()

    assert f"gone to {sheffield_team().name} as a complex case" in page
    assert Escalation.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("works_in", sorted(COMPLEX_SETTINGS))
def test_every_complex_setting_worked_in_makes_the_case_complex(caseworker, works_in):
    case = assessed(held_by(caseworker), caseworker, works_in)

    assert case.complexity == Case.Complexity.COMPLEX
    assert Escalation.objects.get(case=case).reason == Escalation.Reason.COMPLEX


def test_it_is_escalated_as_intake_escalates_a_case_the_lab_marked_complex(
    caseworker,
):
    lab, _ = case_intake(
        result=TestResult(
            lab_reference="LAB-COMPLEX",
            person=PersonDetails(
                first_name="Maud", last_name="Gonne", phone="07911 123456",
                postcode="S1 2HE",
            ),
            specimen_date=NOW.date() - dt.timedelta(days=2),
            result_date=NOW.date() - dt.timedelta(days=1),
            complex_setting=SettingKind.CARE_HOME,
        )
    )  # fmt: skip
    case = assessed(held_by(caseworker), caseworker)

    by_lab = Escalation.objects.get(case=lab)
    found = Escalation.objects.get(case=case)
    assert (found.reason, found.local_team, found.status) == (
        by_lab.reason,
        by_lab.local_team,
        by_lab.status,
    )
    assert found.due_at - found.created_at == by_lab.due_at - by_lab.created_at
    assert found.detail.startswith(by_lab.detail)  # "Complex setting: Care home"
    assert found.created_by == caseworker
    escalated = AuditEvent.objects.get(
        action=AuditEvent.Action.ESCALATE, object_id=str(case.pk)
    )
    assert escalated.detail == {"team": sheffield_team().code, "reason": "complex"}
    assert escalated.user == caseworker
    recorded = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATE, object_id=str(case.pk)
    )
    assert recorded.detail["complex_setting"] == SettingKind.CARE_HOME


def test_a_routine_setting_worked_in_leaves_the_case_routine(caseworker):
    case = assessed(held_by(caseworker), caseworker, SettingKind.WORKPLACE)

    assert case.complexity == Case.Complexity.ROUTINE
    assert case.status == Status.REACHED
    assert not Escalation.objects.filter(case=case).exists()


def test_a_visit_to_a_care_home_is_exposure_and_leaves_the_case_routine(caseworker):
    case = held_by(caseworker)

    case_visit_add(
        case=case,
        details=VisitDetails(
            name="Beech House Care Home",
            kind=SettingKind.CARE_HOME,
            visited_on=NOW.date() - dt.timedelta(days=2),
            postcode="S10 2TN",
        ),
        by=caseworker,
    )

    case.refresh_from_db()
    assert case.complexity == Case.Complexity.ROUTINE
    assert not Escalation.objects.filter(case=case).exists()


def test_recording_the_assessment_again_makes_no_second_escalation(
    caseworker, supervisor
):
    case = assessed(held_by(caseworker), caseworker)

    with pytest.raises(IllegalTransition):
        assessed(case, supervisor)

    assert Escalation.objects.filter(case=case).count() == 1


def test_a_complex_case_sent_back_to_the_phones_is_not_escalated_again(
    caseworker, supervisor
):
    case = assessed(held_by(caseworker), caseworker)
    local = f.StaffProfileFactory(local=True, local_team=sheffield_team()).user
    escalation = escalation_claim(
        escalation=Escalation.objects.get(case=case), by=local
    )
    escalation_return(
        escalation=escalation,
        note="The manager says she is off work: routine calls",
        by=local,
    )
    case.refresh_from_db()
    assert case.status == Status.REACHED  # with the national service again

    assessed(case, supervisor)

    assert case.status == Status.REACHED
    assert Escalation.objects.filter(case=case).count() == 1


def test_a_case_with_its_local_team_is_not_assessed_or_escalated_again(
    caseworker, supervisor
):
    lab_complex = held_by(caseworker)
    Case.objects.filter(pk=lab_complex.pk).update(
        complexity=Case.Complexity.COMPLEX, complex_setting=SettingKind.PRISON
    )
    item_escalate(item=lab_complex, reason=Escalation.Reason.COMPLEX)

    with pytest.raises(IllegalTransition):
        assessed(lab_complex, supervisor)

    lab_complex.refresh_from_db()
    assert lab_complex.complex_setting == SettingKind.PRISON
    assert Escalation.objects.filter(case=lab_complex).count() == 1


def test_saved_in_place_the_caseworker_is_taken_to_my_work_and_told(client, caseworker):
    case = held_by(caseworker)
    client.force_login(caseworker)

    response = client.post(
        reverse("cases:assessment", args=[case.pk]),
        CARE_ASSISTANT,
        HTTP_HX_REQUEST="true",
    )

    assert response.headers["HX-Redirect"] == reverse("cases:queue")
    page = client.get(reverse("cases:queue")).content.decode()
    assert f"gone to {sheffield_team().name} as a complex case" in page
    assert Escalation.objects.filter(case=case).count() == 1
