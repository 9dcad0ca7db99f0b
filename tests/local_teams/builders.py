"""Builders for the local team tests: two teams (Sheffield's and Leeds's) and their work."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import factory

from escalations.models import Escalation
from tests import factories as f
from tests.conftest import NOW as NOW  # the one clock's moment, for these tests
from work.escalation import item_escalate

LONDON = ZoneInfo("Europe/London")
HOUR = dt.timedelta(hours=1)
SHEFFIELD = "E08000019"
LEEDS = "E08000035"
POSTCODES = {SHEFFIELD: "S1 1AA", LEEDS: "LS1 1UR"}


# The shared CaseFactory computes isolation_ends_on from symptom_onset but never
# declares it; declare it here (as tests/test_transitions.py does).
class CaseFactory(f.CaseFactory):
    symptom_onset = None


class ContactFactory(f.ContactFactory):
    case = factory.SubFactory(CaseFactory)


def person_in(code: str, **kwargs):
    kwargs.setdefault("postcode", POSTCODES[code])
    return f.PersonFactory(area=f.area(code), **kwargs)


def escalated_contact(
    code: str = SHEFFIELD, reason: str = Escalation.Reason.UNREACHED, **kwargs
) -> Escalation:
    """A contact living in the area, escalated to its team by the service."""
    person = kwargs.pop("person", None) or person_in(code)
    contact = ContactFactory(person=person, area=person.area, **kwargs)
    return item_escalate(item=contact, reason=reason, detail="3 call attempts")


def escalated_case(code: str = SHEFFIELD, **kwargs) -> Escalation:
    person = kwargs.pop("person", None) or person_in(code)
    case = CaseFactory(person=person, area=person.area, **kwargs)
    return item_escalate(item=case, reason=Escalation.Reason.COMPLEX)


def local_member(code: str, username: str, **kwargs):
    return f.StaffProfileFactory(
        local=True,
        local_team=f.area(code).local_team,
        user__username=username,
        **kwargs,
    ).user
