"""A postcode outside England given as a correction, from the case or contact page:
taken, as intake and the online forms take one (people.services, areas.postcode_check),
and the person's work still with the phones goes with them to no area, the fallback
team's if it is escalated; said so. Before, the person lost their area while their
work kept the old one, and nothing said so."""

from __future__ import annotations

import pytest

from cases.models import Case
from escalations.models import Escalation
from tests.local_teams.builders import CaseFactory, ContactFactory
from work.escalation import item_escalate
from work.person_details import person_details_correct

from .conftest import CARDIFF_POSTCODE, SHEFFIELD

pytestmark = pytest.mark.django_db


def test_the_case_being_worked_follows_them_to_no_area_and_says_so(
    clock, caseworker, jon
):
    case = CaseFactory(person=jon, area=jon.area)
    Case.objects.filter(pk=case.pk).update(status="assigned", assignee=caseworker)
    case.refresh_from_db()
    contact = ContactFactory(person=jon, area=jon.area)

    done = person_details_correct(
        person=jon,
        item=case,
        given={"postcode": CARDIFF_POSTCODE},
        by=caseworker,
        source="case page",
    )

    assert done.said == (
        f"Postcode updated. {CARDIFF_POSTCODE} is outside England: no local team "
        "of the service covers it, so their cases and contacts still with the "
        "phones go to Regional Health Protection (no area found) if they are "
        "escalated."
    )
    case.refresh_from_db()
    assert (case.area, case.area_unknown) == (None, True)
    contact.refresh_from_db()
    assert (contact.area, contact.area_unknown) == (None, True)
    later = item_escalate(item=case, reason=Escalation.Reason.UNREACHED)
    assert later.local_team.is_fallback


def test_their_work_with_a_local_team_keeps_its_area(clock, caseworker, jon):
    worked = CaseFactory(person=jon, area=jon.area)
    Case.objects.filter(pk=worked.pk).update(status="assigned", assignee=caseworker)
    worked.refresh_from_db()
    with_team = ContactFactory(person=jon, area=jon.area)
    item_escalate(item=with_team, reason=Escalation.Reason.UNREACHED)

    person_details_correct(
        person=jon,
        item=worked,
        given={"postcode": CARDIFF_POSTCODE},
        by=caseworker,
        source="case page",
    )

    with_team.refresh_from_db()
    assert with_team.area.code == SHEFFIELD
