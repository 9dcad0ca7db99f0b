"""What follows a call logged "Wrong number" (a stranger answered the number on a
person's record): what was already on its way to that number never reaches them, the
link they hold stops working, and undoing a merge does not forget the number.
(tests/test_wrong_number_not_texted.py: no new message is addressed to it.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from cases.workitem import Status
from contacts.models import Contact
from notify.errors import TemporaryFailure
from notify.services import message_send
from pages.online import limits
from people.models import Message, Person, PersonMerge
from tests import factories as f
from tests.isolation.conftest import hold
from tests.notify.fakes import RecordingBackend
from tests.work.test_merge_messages import merged_on_the_page
from work.calls import call_correct
from work.isolation import isolation_override
from work.merge import person_merge_undo
from work.online import online_contact_tell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

STRANGER = "+447911123402"  # the mistyped mobile: a stranger answers it
OTHER = "+447911123409"
REASON = "Immunosuppressed household: a longer infectious period is likely."
OUTAGE = TemporaryFailure("503 the provider is down")


@pytest.fixture
def recording(settings):
    settings.NOTIFY_SMS_BACKEND = "tests.notify.fakes.RecordingBackend"
    settings.NOTIFY_EMAIL_BACKEND = "tests.notify.fakes.RecordingBackend"
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()


@pytest.fixture
def allowance():
    """The link page's whole allowance for the test's address (counted in Redis)."""
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def bryn(phone: str = STRANGER) -> Person:
    return f.PersonFactory(
        first_name="Bryn",
        last_name="Evans",
        date_of_birth=dt.date(1988, 6, 1),
        phone=phone,
    )


def contact_of(person: Person) -> Contact:
    return f.ContactFactory(
        person=person, exposure_date=timezone.localdate() - dt.timedelta(days=3)
    )


def log_wrong_number(client, handler, contact: Contact) -> None:
    """The call handler holding the contact rings them: "Wrong number"."""
    contact = hold(contact, handler)
    client.force_login(handler)
    logged = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": Outcome.WRONG_NUMBER, "duration_minutes": 1, "notes": ""},
    )
    assert logged.status_code == 302, logged.content.decode()[:2000]


def sent_to(number: str) -> list[str]:
    """The kinds of the messages the provider took for `number`."""
    return [
        Message.objects.get(pk=pk).kind
        for pk, _ in RecordingBackend.calls
        if Message.objects.get(pk=pk).to == number
    ]


def token_in(message: Message) -> str:
    """The link's token, as the text carrying it has it (nowhere else)."""
    return message.body.split("/o/")[1].split("/")[0]


def new_date_held_up(contact: Contact, clinician) -> Message:
    """A clinician gives the contact a later end date; its text meets a provider's
    outage, and waits to be tried again."""
    contact.refresh_from_db()
    done = isolation_override(
        item=contact,
        ends_on=contact.isolation_ends_on + dt.timedelta(days=2),
        reason=REASON,
        clinician=clinician,
    )
    assert done.message is not None
    assert done.message.to == STRANGER
    RecordingBackend.reset(OUTAGE)
    with pytest.raises(TemporaryFailure):
        message_send(done.message.pk)  # held up: tried again later
    RecordingBackend.reset()
    return done.message


def test_a_text_held_up_when_the_wrong_number_is_logged_never_goes_to_the_stranger(
    client, call_handler, supervisor, recording
):
    """Bryn was texted his link (it went). A clinician then changes his end date,
    and its text is held up by a provider's outage. Meanwhile the call handler
    rings the number, a stranger answers: "Wrong number". When the provider comes
    back, the held-up text (Bryn's name and isolation dates) is not sent: it was
    withdrawn, and says why."""
    contact = contact_of(bryn())
    link = online_contact_tell(contact=contact, now=timezone.now())
    message_send(link.message.pk)  # the link's text went
    held_up = new_date_held_up(contact, supervisor)

    log_wrong_number(client, call_handler, contact)

    message_send(held_up.pk)  # the provider is back: the retry
    assert sent_to(STRANGER) == [], (
        "a text about Bryn went to the number logged as a stranger's"
    )
    held_up.refresh_from_db()
    assert held_up.status == Message.Status.SUPERSEDED
    assert "wrong number" in held_up.failure_reason


def test_the_link_the_stranger_holds_stops_working_once_the_wrong_number_is_logged(
    client, call_handler, recording, allowance
):
    """Bryn's link went to the mistyped mobile. Once the call to it is logged
    "Wrong number", the stranger answering "I will isolate" on the link's page is
    refused as for any link that no longer works: Bryn is not counted reached, and
    stays with the phones."""
    contact = contact_of(bryn())
    link = online_contact_tell(contact=contact, now=timezone.now())
    message_send(link.message.pk)  # the link's text went: the stranger holds it
    token = token_in(link.message)

    log_wrong_number(client, call_handler, contact)

    client.logout()
    answered = client.post(f"/o/{token}/", {"will_isolate": "yes"})
    assert answered.status_code == 404, answered.content.decode()[:2000]
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert link.confirmed_at is None
    contact.refresh_from_db()
    assert contact.status != Status.REACHED
    assert contact.reached_at is None


def test_correcting_the_wrong_number_away_sends_nothing_withdrawn_again(
    client, call_handler, supervisor, recording
):
    """The "Wrong number" was logged on Bryn by mistake and is corrected to "No
    answer": his number is texted again from then on, but the text withdrawn when
    the call was logged is not sent again (it gave a date he may since have been
    told by the next message, or by his local team)."""
    contact = contact_of(bryn())
    held_up = new_date_held_up(contact, supervisor)
    log_wrong_number(client, call_handler, contact)

    call_correct(
        call=CallAttempt.objects.get(contact=contact),
        outcome=Outcome.NO_ANSWER,
        reason="Logged on the wrong contact.",
        by=call_handler,
    )

    contact.person.refresh_from_db()
    assert STRANGER not in contact.person.wrong_numbers
    message_send(held_up.pk)
    held_up.refresh_from_db()
    assert held_up.status == Message.Status.SUPERSEDED
    assert sent_to(STRANGER) == []


def test_undoing_a_merge_keeps_a_wrong_number_logged_since_on_both_records(
    client, call_handler, supervisor, recording
):
    """Two records of Bryn are merged, his (mistyped) mobile kept. A call to it on
    his contact is then logged "Wrong number". An administrator undoes the merge:
    both records keep the number as a stranger's, and his next new date is not
    texted to it."""
    kept = bryn(STRANGER)
    other = bryn(OTHER)
    contact = contact_of(kept)  # before the merge: it stays with the survivor
    merged_on_the_page(client, supervisor, kept, other, phone=kept)

    log_wrong_number(client, call_handler, contact)
    kept.refresh_from_db()
    assert STRANGER in kept.wrong_numbers

    admin = f.UserFactory(username="admin", is_superuser=True, is_staff=True)
    person_merge_undo(merge=PersonMerge.objects.get(), by=admin)

    kept.refresh_from_db()
    other.refresh_from_db()
    contact.refresh_from_db()
    assert contact.person_id == kept.pk
    assert str(kept.phone) == STRANGER
    assert kept.wrong_numbers == [STRANGER]
    assert other.wrong_numbers == [STRANGER]
    done = isolation_override(
        item=contact,
        ends_on=contact.isolation_ends_on + dt.timedelta(days=2),
        reason=REASON,
        clinician=supervisor,
    )
    assert done.message is None or done.message.to != STRANGER, (
        f"the undo forgot the wrong number: wrong_numbers={kept.wrong_numbers}, "
        f"new date texted to {done.message.to}"
    )
