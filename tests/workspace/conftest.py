"""Fixtures for the caseworker's workspace: work already in someone's queue."""

from __future__ import annotations

import factory
import pytest
from django.utils import timezone

from calls.models import Script
from cases.workitem import Status
from tests import factories as f


# The shared CaseFactory computes the isolation date from symptom_onset without
# declaring it; declare it so a case can be built without one.
class CaseFactory(f.CaseFactory):
    symptom_onset = None


class ContactFactory(f.ContactFactory):
    case = factory.SubFactory(CaseFactory)


@pytest.fixture
def scripts(db):
    """Both call scripts with their steps, and guidance articles of both kinds."""
    case_script = f.ScriptFactory(audience=Script.Audience.CASE, name="Case interview")
    f.ScriptStepFactory(script=case_script, order=1, title="Introduce yourself")
    f.ScriptStepFactory(script=case_script, order=2, title="Ask about symptoms")
    contact_script = f.ScriptFactory(
        audience=Script.Audience.CONTACT, name="Contact call"
    )
    f.ScriptStepFactory(script=contact_script, order=1, title="Say who you are")
    f.ScriptStepFactory(script=contact_script, order=2, title="Read out the date")
    f.KnowledgeArticleFactory(
        title="Support payments", keywords="money isolation", body="£500 payment."
    )
    f.KnowledgeArticleFactory(
        title="Infectious period",
        keywords="clinical onset isolation",
        body="48 hours before onset.",
        clinical=True,
    )
    return case_script, contact_script


def hold(item, user):
    """Put an item in someone's queue, already assigned (as the factories build items
    in their state: a queue may be longer here than any cap would let it grow)."""
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


@pytest.fixture
def held_case(caseworker):
    return hold(CaseFactory(), caseworker)


@pytest.fixture
def held_contact(call_handler):
    return hold(ContactFactory(), call_handler)


@pytest.fixture
def other_caseworker(db):
    profile = f.StaffProfileFactory(clinical=True, user__username="other_caseworker")
    f.ShiftFactory(staff=profile)
    return profile.user
