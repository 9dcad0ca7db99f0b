"""A contact opening their link after their time to stay at home ended was told to
stay at home until that day, asked whether they would, and reminded of it on the
thank-you page. Now the page says it has ended, asks only whether they want a call,
and takes a note."""

from __future__ import annotations

import datetime as dt
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact
from online.models import OnlineLink
from pages.online import limits
from tests import factories as f
from work.online import online_contact_tell

pytestmark = [pytest.mark.django_db]

LONDON = ZoneInfo("Europe/London")
NAMED = dt.datetime(2026, 12, 6, 20, 0, tzinfo=LONDON)
OPENED = dt.datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def words(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def over(clock):
    """Named at 20:00 on 6 December, last near the case on 26 November (their time
    to stay at home ends on 6 December); the link opened the next morning."""
    clock.move_to(NAMED)
    case = f.CaseFactory(person__phone="+447400111222")
    contact = f.ContactFactory(
        case=case,
        person__first_name="Omar",
        person__phone="+447400222333",
        exposure_date=dt.date(2026, 11, 26),
        isolation_ends_on=dt.date(2026, 12, 6),
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    clock.move_to(OPENED)
    token = link.message.body.split("/o/")[1].split("/")[0]
    return contact, link, f"/o/{token}/"


def test_a_date_already_past_is_not_one_to_stay_at_home_until(client, over):
    _, _, url = over

    page = words(client.get(url))

    assert "Your time to stay at home ended on Sunday 6 December 2026." in page
    assert "Stay at home and self-isolate until" not in page
    assert "Will you stay at home until then?" not in page
    assert "Do you want us to phone you?" in page
    assert 'name="note"' in page


def test_no_reminder_of_a_past_date_and_no_confirmation_of_it(client, over):
    contact, link, url = over

    done = client.post(url, {"call": "no", "note": "Back at work on Monday."})

    assert "Thank you" in words(done)
    assert "Remember: stay at home" not in words(done)
    contact.refresh_from_db()
    assert contact.status == Status.REACHED  # no call needed
    link.refresh_from_db()
    assert link.confirmed_at is None  # they never said they would stay at home


def test_they_can_still_ask_for_a_call(client, over):
    contact, _, url = over

    done = client.post(url, {"call": "yes"})

    assert "Someone from NHS Test and Trace will phone you soon." in words(done)
    contact = Contact.objects.get(pk=contact.pk)
    assert contact.is_unreached
    assert contact.next_attempt_at <= timezone.now()


def test_welsh_says_it_has_ended_too(client, over):
    _, _, url = over

    page = words(client.get(url + "?lang=cy"))

    assert "Daeth eich cyfnod i aros gartref i ben ar" in page
    assert "A fyddwch yn aros gartref tan hynny?" not in page


def test_a_date_still_to_come_is_asked_about_as_before(client, over, clock):
    _, link, _ = over
    OnlineLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    contact = f.ContactFactory(
        person__phone="+447400222444",
        exposure_date=timezone.localdate() - dt.timedelta(days=1),
    )
    fresh = online_contact_tell(contact=contact, now=timezone.now())
    token = fresh.message.body.split("/o/")[1].split("/")[0]

    page = words(client.get(f"/o/{token}/"))

    assert "Stay at home and self-isolate until the end of" in page
    assert "Will you stay at home until then?" in page
