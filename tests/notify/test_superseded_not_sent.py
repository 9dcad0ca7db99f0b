"""A message waiting to be tried again is not sent once a newer one replaced it:
the person's last text is the latest news. Before, during a provider's outage a
clinician's first new end date kept retrying, the second went at once when the
outage ended, and the first followed: the person's last text had the old date. And a
link's text retrying went after "Send a new link", carrying a link that no longer
works. What was replaced reads "Not sent: replaced by ...", not as a failure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from notify.errors import TemporaryFailure
from notify.services import message_send
from online.models import OnlineLink
from people.models import Message
from tests import factories as f
from tests.isolation.conftest import hold
from work.isolation import isolation_override
from work.online import online_case_wait, online_cases_invite, online_link_resend

pytestmark = pytest.mark.django_db

REASON = "Immunosuppressed: a longer infectious period is likely."
OUTAGE = TemporaryFailure("503 the provider is down")


@pytest.fixture
def contact(clock, caseworker, call_handler):
    """A contact with a mobile, held by the call handler."""
    case = hold(f.CaseFactory(), caseworker)
    return hold(
        f.ContactFactory(
            case=case,
            exposure_date=timezone.localdate() - dt.timedelta(days=2),
            person=f.PersonFactory(phone="+447400123679"),
        ),
        call_handler,
    )


def _override(contact, caseworker, days: int) -> Message:
    ends_on = contact.isolation_ends_on + dt.timedelta(days=days)
    done = isolation_override(
        item=contact, ends_on=ends_on, reason=REASON, clinician=caseworker
    )
    contact.refresh_from_db()
    assert done.message is not None
    return done.message


def test_a_new_end_date_retrying_is_not_sent_after_a_newer_one(
    contact, caseworker, call_handler, recording, clock, client
):
    recording.reset(OUTAGE)
    first = _override(contact, caseworker, days=6)
    with pytest.raises(TemporaryFailure):
        message_send(first.pk)  # the outage: to be tried again
    clock.shift(dt.timedelta(minutes=2))
    second = _override(contact, caseworker, days=-3)

    message_send(second.pk)  # the outage over: the newer goes at once...
    message_send(first.pk)  # ...and the older's retry comes after

    assert [pk for pk, _ in recording.calls] == [first.pk, second.pk]
    first.refresh_from_db()
    assert first.status != Message.Status.SENT
    at = timezone.localtime(second.created_at)
    assert first.failure_reason == f"Not sent: replaced by the message of {at:%H:%M}"
    # Not reported to staff as a message that did not reach them.
    client.force_login(call_handler)
    page = client.get(reverse("contacts:detail", args=[contact.pk]))
    assert page.status_code == 200
    assert "did not reach them" not in page.content.decode()


@pytest.fixture
def waiting_case(clock) -> Case:
    """A new case sent its link on intake: no call due for some hours."""
    case = f.CaseFactory(person=f.PersonFactory(phone="+447400123678"))
    now = timezone.now()
    assert online_case_wait(case, now)
    case.save(update_fields=["next_attempt_at"])
    online_cases_invite(cases=[case], now=now)
    return case


def test_a_link_retrying_is_not_sent_after_a_new_link(
    waiting_case, supervisor, recording, clock
):
    old = OnlineLink.objects.get(case=waiting_case).message
    recording.reset(OUTAGE)
    with pytest.raises(TemporaryFailure):
        message_send(old.pk)
    clock.shift(dt.timedelta(minutes=5))
    new = online_link_resend(item=waiting_case, by=supervisor).message

    message_send(new.pk)
    message_send(old.pk)

    assert [pk for pk, _ in recording.calls] == [old.pk, new.pk]
    old.refresh_from_db()
    assert old.status != Message.Status.SENT
    assert old.failure_reason.startswith("Not sent: replaced by the message of ")
    waiting_case.refresh_from_db()
    assert waiting_case.next_attempt_at > timezone.now()  # still waits for the new


def test_a_message_already_sent_is_left_as_it_was(
    contact, caseworker, recording, clock
):
    first = _override(contact, caseworker, days=6)
    message_send(first.pk)
    clock.shift(dt.timedelta(minutes=2))
    _override(contact, caseworker, days=-3)

    first.refresh_from_db()
    assert first.status == Message.Status.SENT
    assert first.failure_reason == ""
