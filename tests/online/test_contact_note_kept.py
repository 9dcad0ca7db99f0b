"""The note a contact types on their link page was kept only when they also asked
for help (in what their local team is told). Now it is kept whatever they answer,
and the call handler reads it on the contact's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from pages.online import limits
from tests import factories as f
from work.assignment import item_assign
from work.online import online_contact_tell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

NOTE = "Please call after 6pm, I work nights until then."


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


@pytest.fixture
def told():
    contact = f.ContactFactory(person=f.PersonFactory(phone="+447400555321"))
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    token = link.message.body.split("/o/")[1].split("/")[0]
    return contact, link, f"/o/{token}/"


@pytest.mark.parametrize("will_isolate", ["no", "yes"])
def test_the_note_is_on_the_contact_page(
    client, call_handler, supervisor, told, will_isolate
):
    contact, _, url = told

    done = client.post(url, {"will_isolate": will_isolate, "note": NOTE})

    assert "Thank you" in done.content.decode()
    if will_isolate == "no":  # a call is due now: the handler takes it
        item_assign(item=contact, to=call_handler)
        client.force_login(call_handler)
    else:  # reached: done with, a supervisor reads it
        client.force_login(supervisor)
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert NOTE.replace("'", "&#x27;") in page
    # The trail says a note came with the answer, as it says the rest; never its
    # words (the trail outlives pseudonymisation, which clears free text).
    event = AuditEvent.objects.filter(detail__online="answered").get()
    assert event.detail["note"] == "given"
    assert NOTE not in str(event.detail)


@pytest.mark.parametrize(
    ("call", "wanted"), [("no", "asked for no call"), ("yes", "asked to be phoned")]
)
def test_an_answer_after_their_time_at_home_is_not_read_as_a_refusal(
    client, supervisor, clock, call, wanted
):
    """A contact whose time to stay at home had ended when they opened their link
    (named late on its last day) is asked only whether they want a call: neither
    answer is "they said they will not or cannot"."""
    today = timezone.localdate()
    contact = f.ContactFactory(
        person=f.PersonFactory(phone="+447400555322"),
        exposure_date=today - dt.timedelta(days=10),
        isolation_ends_on=today,
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    token = link.message.body.split("/o/")[1].split("/")[0]
    clock.shift(dt.timedelta(days=1))

    done = client.post(f"/o/{token}/", {"call": call, "note": NOTE})

    assert "Thank you" in done.content.decode()
    client.force_login(supervisor)
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert f"their time to stay at home had ended, and they {wanted}" in page
    assert "they will not or cannot" not in page
    assert NOTE.replace("'", "&#x27;") in page
