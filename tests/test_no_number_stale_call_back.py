"""A call panel drawn while the person had a number, sent after it was taken off
their record: "Call back requested" chosen with no time, or a time gone by.

The panel drawn again for someone with no number has no call back choice and no
"Call back at" field. Before, the only error was "Enter the date and time they
asked to be called." (or "The call back time must be in the future."), on that
field the panel no longer draws; the real reason, that there is no number to call,
was never shown. Now the form knows whether the item's person has a number, and
the refusal is on the outcome, in the words the panel shows for them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from cases.workitem import Status
from people.models import Person
from tests import factories as f

pytestmark = pytest.mark.django_db

NO_NUMBER = (
    "There is no number to call: they have no phone or other phone on their record. "
    "Log “Wrong number” to send them to their local team now."
)


def held(user, *, kind: str):
    """A contact (or case) in `user`'s queue of someone with a mobile."""
    factory = f.ContactFactory if kind == "contact" else f.CaseFactory
    item = factory(
        person=f.PersonFactory(
            phone="+447911123456", phone_alt="", email="em@example.org"
        )
    )
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


def sent_after_their_number_went(client, user, *, kind: str, **typed):
    item = held(user, kind=kind)
    Person.objects.filter(pk=item.person_id).update(phone="")
    client.force_login(user)
    response = client.post(
        reverse(f"{kind}s:call", args=[item.pk]),
        {"outcome": Outcome.CALL_BACK, "duration_minutes": 1, **typed},
        headers={"HX-Request": "true"},
    )
    return item, response


def local_input(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("kind", ["contact", "case"])
@pytest.mark.parametrize(
    "when", ["", "past"], ids=["without a time", "with a time gone by"]
)
def test_a_stale_call_back_is_refused_as_no_number_to_call(
    clock, client, call_handler, caseworker, kind, when
):
    user = call_handler if kind == "contact" else caseworker
    typed = (
        {"call_back_at": local_input(timezone.now() - dt.timedelta(hours=1))}
        if when
        else {}
    )

    item, response = sent_after_their_number_went(client, user, kind=kind, **typed)

    page = response.content.decode()
    assert response.context["call_form"].errors == {"outcome": [NO_NUMBER]}
    assert NO_NUMBER in page
    assert "Enter the date and time they asked to be called." not in page
    assert "The call back time must be in the future." not in page
    # The panel drawn again has no call back field for its summary to point to.
    assert 'id="id_call_back_at"' not in page
    assert not CallAttempt.objects.filter(**{kind: item}).exists()


def test_someone_with_a_number_is_still_asked_for_the_time(clock, client, call_handler):
    item = held(call_handler, kind="contact")
    client.force_login(call_handler)

    response = client.post(
        reverse("contacts:call", args=[item.pk]),
        {"outcome": Outcome.CALL_BACK, "duration_minutes": 1},
        headers={"HX-Request": "true"},
    )

    assert response.context["call_form"].errors == {
        "call_back_at": ["Enter the date and time they asked to be called."]
    }
    assert 'id="id_call_back_at"' in response.content.decode()
