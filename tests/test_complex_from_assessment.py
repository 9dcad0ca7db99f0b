"""A case the caseworker finds works in a complex setting goes to its local team as a
complex case, as a case the lab marks complex does on arrival: when the caseworker
completes it, not mid-call.

A caseworker recorded in the risk assessment "Works or studies in: Care home" for a
care assistant, and the case stayed routine: never on Sheffield's "Complex cases"
list, never in its queue. Recording the assessment with a complex setting
(cases.models COMPLEX_SETTINGS, the intake's rule) now marks the case complex, and
the case stays with the caseworker to finish the call: log it, add the contacts
named on it, complete. Completing it sends it to its local team, once, with the
intake's reason and due time. (Sent at once on saving, by 4e1fbf2, the call could no
longer be logged, the contacts named on it not recorded, and a save sent twice was
said not to be saved.) A visit to a care home is exposure, not the case's own
setting: it changes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from calls.models import CallAttempt
from cases.errors import IllegalTransition
from cases.models import COMPLEX_SETTINGS, Case, SettingKind
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from people.services import PersonDetails
from tests import factories as f
from tests.conftest import NOW
from tests.local_teams.builders import SHEFFIELD, CaseFactory, person_in
from tests.workspace.test_case_page import contact_rows, row
from tests.workspace.test_stale_assessment import form_in
from work.casework import (
    AssessmentDetails,
    VisitDetails,
    case_assessment_record,
    case_visit_add,
    item_complete,
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

ON_SAVING = (
    "Care home is a complex setting: when you complete this case it goes to "
    "{team} as a complex case."
)
ON_COMPLETING = "has gone to {team} as a complex case."


def held_by(user, status: str = Status.REACHED) -> Case:
    """A Sheffield case the caseworker holds, reached (as the assessment is made);
    or, `status` assigned, on the phone to them, the call not logged yet."""
    person = person_in(SHEFFIELD, phone="+447400111222")
    case = CaseFactory(person=person, area=person.area)
    reached = NOW if status == Status.REACHED else None
    Case.objects.filter(pk=case.pk).update(
        status=status, assignee=user, assigned_at=NOW, reached_at=reached
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


def completed(case: Case, by) -> Case:
    item_complete(item=case, by=by)
    case.refresh_from_db()
    return case


def sheffield_team():
    return f.area(SHEFFIELD).local_team


def opened(client, case) -> dict[str, str]:
    """The case page opened (as the caseworker's browser has it): its assessment
    form's hidden fields."""
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    return form_in(page.content.decode())


def test_saving_it_marks_the_case_complex_and_leaves_it_with_the_caseworker(
    client, caseworker
):
    case = held_by(caseworker)
    client.force_login(caseworker)

    page = client.post(
        reverse("cases:assessment", args=[case.pk]), CARE_ASSISTANT, follow=True
    ).content.decode()

    case.refresh_from_db()
    assert "Risk assessment saved" in page
    assert ON_SAVING.format(team=sheffield_team().name) in page
    assert (case.complexity, case.complex_setting) == (
        Case.Complexity.COMPLEX,
        SettingKind.CARE_HOME,
    )
    assert (case.status, case.assignee) == (Status.REACHED, caseworker)
    assert not Escalation.objects.filter(case=case).exists()
    marked = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATE, object_id=str(case.pk)
    )
    assert marked.detail["complex_setting"] == SettingKind.CARE_HOME


def test_saved_in_place_the_caseworker_stays_on_the_case_and_is_told(
    client, caseworker
):
    case = held_by(caseworker)
    client.force_login(caseworker)

    response = client.post(
        reverse("cases:assessment", args=[case.pk]),
        CARE_ASSISTANT,
        HTTP_HX_REQUEST="true",
    )

    assert "HX-Redirect" not in response.headers
    assert ON_SAVING.format(team=sheffield_team().name) in response.content.decode()


def test_the_assessment_sent_twice_is_taken_as_saved_once(client, caseworker):
    """A retry (a second click, a timeout) of a save that went through."""
    case = held_by(caseworker)
    client.force_login(caseworker)
    sent = {**CARE_ASSISTANT, **opened(client, case)}

    client.post(reverse("cases:assessment", args=[case.pk]), sent)
    again = client.post(
        reverse("cases:assessment", args=[case.pk]), sent, follow=True
    ).content.decode()

    assert "Not saved" not in again
    assert "was not saved" not in again
    assert "Risk assessment saved" in again
    assert ON_SAVING.format(team=sheffield_team().name) in again
    saved = AuditEvent.objects.filter(object_id=str(case.pk), user=caseworker)
    assert saved.filter(detail__has_key="assessment").count() == 1
    assert not Escalation.objects.filter(case=case).exists()  # on completing, once


def test_the_call_it_was_made_on_is_logged_afterwards_and_reaches_the_case(
    client, caseworker
):
    """Assessed while speaking to them; the call is logged when it ends."""
    case = held_by(caseworker, Status.ASSIGNED)
    client.force_login(caseworker)
    opened(client, case)
    client.post(reverse("cases:assessment", args=[case.pk]), CARE_ASSISTANT)

    client.post(reverse("cases:call", args=[case.pk]), {"outcome": "reached"})

    case.refresh_from_db()
    assert CallAttempt.objects.filter(case=case).count() == 1
    assert case.reached_at is not None
    assert (case.status, case.assignee) == (Status.REACHED, caseworker)


def test_contacts_named_on_the_same_call_are_recorded(client, caseworker):
    case = held_by(caseworker)
    client.force_login(caseworker)
    opened(client, case)
    client.post(reverse("cases:assessment", args=[case.pk]), CARE_ASSISTANT)

    client.post(
        reverse("cases:contacts", args=[case.pk]),
        contact_rows(row("Ann", "07911 123451")),
    )

    assert Contact.objects.filter(case=case).count() == 1


def test_completing_it_sends_it_to_the_local_team_as_complex(client, caseworker):
    case = held_by(caseworker)
    client.force_login(caseworker)
    opened(client, case)
    client.post(reverse("cases:assessment", args=[case.pk]), CARE_ASSISTANT)

    page = client.post(
        reverse("cases:complete", args=[case.pk]), {"no_contacts": "on"}, follow=True
    ).content.decode()

    case.refresh_from_db()
    team = sheffield_team()
    assert f"{case} {ON_COMPLETING.format(team=team.name)}" in page
    assert "Well done" not in page
    assert (case.status, case.assignee, case.local_team) == (
        Status.ESCALATED,
        None,
        team,
    )
    escalation = Escalation.objects.get(case=case)
    assert (escalation.reason, escalation.local_team) == (
        Escalation.Reason.COMPLEX,
        team,
    )
    local = f.StaffProfileFactory(local=True, local_team=team).user
    client.force_login(local)
    listed = client.get(reverse("escalations:complex"))
    assert [e.case_id for e in listed.context["page"]] == [case.pk]
    assert "Care home" in listed.content.decode()


def test_completing_it_sent_twice_is_told_it_went_once(client, caseworker):
    case = held_by(caseworker)
    client.force_login(caseworker)
    opened(client, case)
    client.post(reverse("cases:assessment", args=[case.pk]), CARE_ASSISTANT)
    client.post(reverse("cases:complete", args=[case.pk]), {"no_contacts": "on"})

    again = client.post(
        reverse("cases:complete", args=[case.pk]), {"no_contacts": "on"}, follow=True
    ).content.decode()

    assert "Not saved" not in again
    assert ON_COMPLETING.format(team=sheffield_team().name) in again
    assert Escalation.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("works_in", sorted(COMPLEX_SETTINGS))
def test_every_complex_setting_worked_in_sends_the_case_on_completing(
    caseworker, works_in
):
    case = assessed(held_by(caseworker), caseworker, works_in)
    assert case.complexity == Case.Complexity.COMPLEX
    assert not Escalation.objects.filter(case=case).exists()

    case = completed(case, caseworker)

    assert case.status == Status.ESCALATED
    assert case.completed_at is None  # the local team's now: not completed
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
    case = completed(assessed(held_by(caseworker), caseworker), caseworker)

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


def test_a_routine_setting_worked_in_leaves_the_case_routine(caseworker):
    case = completed(
        assessed(held_by(caseworker), caseworker, SettingKind.WORKPLACE), caseworker
    )

    assert case.complexity == Case.Complexity.ROUTINE
    assert case.status == Status.COMPLETED
    assert not Escalation.objects.filter(case=case).exists()


def test_an_assessment_corrected_before_completing_is_what_goes(caseworker):
    """Care home picked by mistake, and put right on the same call: a workplace
    leaves the case routine; another complex setting is the one the team gets."""
    case = assessed(held_by(caseworker), caseworker)

    case = assessed(case, caseworker, SettingKind.WORKPLACE)
    assert (case.complexity, case.complex_setting) == (Case.Complexity.ROUTINE, "")

    case = assessed(case, caseworker, SettingKind.HOSPITAL)
    assert case.complex_setting == SettingKind.HOSPITAL
    case = completed(case, caseworker)
    assert Escalation.objects.get(case=case).detail.startswith(
        "Complex setting: Hospital"
    )


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


def test_once_gone_it_is_not_assessed_or_escalated_again(caseworker, supervisor):
    case = completed(assessed(held_by(caseworker), caseworker), caseworker)

    with pytest.raises(IllegalTransition):
        assessed(case, supervisor)
    with pytest.raises(IllegalTransition):
        completed(case, supervisor)

    assert Escalation.objects.filter(case=case).count() == 1


def test_a_complex_case_sent_back_to_the_phones_is_completed_not_escalated_again(
    caseworker, supervisor
):
    case = completed(assessed(held_by(caseworker), caseworker), caseworker)
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

    case = completed(assessed(case, supervisor), supervisor)

    assert case.status == Status.COMPLETED
    assert case.complex_setting == SettingKind.CARE_HOME
    assert Escalation.objects.filter(case=case).count() == 1


def test_a_lab_complex_case_sent_back_keeps_its_setting_and_is_completed(
    caseworker, supervisor
):
    lab_complex = held_by(caseworker)
    Case.objects.filter(pk=lab_complex.pk).update(
        complexity=Case.Complexity.COMPLEX, complex_setting=SettingKind.PRISON
    )
    item_escalate(item=lab_complex, reason=Escalation.Reason.COMPLEX)

    with pytest.raises(IllegalTransition):  # with its local team: not assessed
        assessed(lab_complex, supervisor)
    local = f.StaffProfileFactory(local=True, local_team=sheffield_team()).user
    escalation_return(
        escalation=escalation_claim(
            escalation=Escalation.objects.get(case=lab_complex), by=local
        ),
        note="Reached at the prison: routine calls",
        by=local,
    )
    case = completed(
        assessed(lab_complex, supervisor, SettingKind.WORKPLACE), supervisor
    )

    assert (case.complexity, case.complex_setting) == (
        Case.Complexity.COMPLEX,
        SettingKind.PRISON,
    )
    assert case.status == Status.COMPLETED
    assert Escalation.objects.filter(case=lab_complex).count() == 1
