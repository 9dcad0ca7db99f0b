"""The forms for someone with no number to call offer only what can happen.

Before, the call panel of someone with no phone and no other phone offered every
outcome ("Reached", "No answer", "Voicemail left"...), and said no only once one was
logged; and their local team's escalation page labelled the number to send them back
with "New phone number (optional)", though without one they cannot be sent back.
Now the call panel offers only the outcomes that need no number, saying there is no
number to call and to log "Wrong number"; the escalation page asks for the number
without calling it optional, and says why it is needed. Someone with a number sees
both forms as before.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from tests.local_teams.builders import SHEFFIELD, escalated_contact, person_in
from work.escalation import escalation_claim

pytestmark = pytest.mark.django_db

NO_NUMBER = (
    "There is no number to call: they have no phone or other phone on their record."
)
LOG_WRONG_NUMBER = "Log “Wrong number” to send them to their local team now."
NEED_NO_NUMBER = {
    Outcome.WRONG_NUMBER,
    Outcome.NEEDS_INTERPRETER,
    Outcome.SAFEGUARDING,
}
EVERY_OUTCOME = set(Outcome.values)
A_NUMBER = "+447911123456"


def held(user, *, kind: str = "contact", **person):
    """A contact (or case) in `user`'s queue, of someone with an email and the
    numbers given (none by default)."""
    fields = {"phone": "", "phone_alt": "", "email": "em@example.org", **person}
    factory = f.ContactFactory if kind == "contact" else f.CaseFactory
    item = factory(person=f.PersonFactory(**fields))
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


def outcomes_offered(page: str) -> set[str]:
    """The outcomes the call form's radios offer."""
    return set(re.findall(r'name="outcome" type="radio" value="([a-z_]+)"', page))


# --- the call panel ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["contact", "case"])
def test_the_call_panel_offers_only_what_can_happen_with_no_number(
    clock, client, call_handler, caseworker, kind
):
    user = call_handler if kind == "contact" else caseworker
    item = held(user, kind=kind)
    client.force_login(user)

    page = client.get(reverse(f"{kind}s:detail", args=[item.pk])).content.decode()

    assert outcomes_offered(page) == NEED_NO_NUMBER
    assert f"{NO_NUMBER} {LOG_WRONG_NUMBER}" in page
    assert "No answer" not in page
    assert "Voicemail left" not in page


def test_a_refused_call_draws_the_panel_again_with_the_same_few_outcomes(
    clock, client, call_handler
):
    """A stale page (or a hand-made post) is still refused on the outcome."""
    contact = held(call_handler)
    client.force_login(call_handler)

    response = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": Outcome.NO_ANSWER, "duration_minutes": 1},
        headers={"HX-Request": "true"},
    )

    assert response.context["call_form"].errors["outcome"] == [
        f"{NO_NUMBER} {LOG_WRONG_NUMBER}"
    ]
    assert outcomes_offered(response.content.decode()) == NEED_NO_NUMBER


@pytest.mark.parametrize(
    "numbers",
    [{"phone": A_NUMBER}, {"phone_alt": A_NUMBER}],
    ids=["phone", "other phone only"],
)
def test_someone_with_a_number_is_offered_every_outcome(
    clock, client, call_handler, numbers
):
    contact = held(call_handler, **numbers)
    client.force_login(call_handler)

    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()

    assert outcomes_offered(page) == EVERY_OUTCOME
    assert NO_NUMBER not in page


# --- the local team's escalation page ----------------------------------------------


def picked_up(by, **numbers) -> Escalation:
    person = person_in(SHEFFIELD, **{"phone": "", "phone_alt": "", **numbers})
    escalation = escalated_contact(person=person)
    escalation_claim(escalation=escalation, by=by)
    return escalation


def new_number_label(page: str) -> str:
    found = re.search(
        r'<label class="nhsuk-label" for="return_new_phone">(.*?)</label>', page
    )
    assert found, "no new number field on the page"
    return found.group(1)


def test_the_new_number_is_not_optional_for_someone_with_none(
    clock, client, local_team_member
):
    escalation = picked_up(local_team_member)
    client.force_login(local_team_member)

    page = client.get(
        reverse("escalations:detail", args=[escalation.pk])
    ).content.decode()

    assert new_number_label(page) == "New phone number"
    assert (
        "They have no phone or other phone on their record: the national callers "
        "need a number to phone them." in page
    )


def test_the_new_number_stays_optional_for_someone_with_one(
    clock, client, local_team_member
):
    escalation = picked_up(local_team_member, phone_alt=A_NUMBER)
    client.force_login(local_team_member)

    page = client.get(
        reverse("escalations:detail", args=[escalation.pk])
    ).content.decode()

    assert new_number_label(page) == "New phone number (optional)"
    assert "need a number to phone them" not in page
