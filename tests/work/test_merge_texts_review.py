"""What a person is texted when a merge moves their date, and when it is undone.

A merge joining two contacts of one person (or making a contact follow their own
case) moves the contact's date later: a person already texted the old date is told
the new one, whatever became of the texts waiting. An undo puts the texts back with
the records: what the merge sent in another's place and has not gone never goes (it
goes to the other person's phone, or gives the other record's date), and the text
it replaced goes, as it was, to its own number."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.models import Contact
from notify.services import message_send
from online.texts import long_date
from people.models import Message, Person, PersonMerge
from tests import factories as f
from tests.notify.fakes import RecordingBackend
from tests.work import test_merge_messages as merging
from tests.work.test_merge_messages import (
    OLD_NUMBER,
    merged_on_the_page,
    told_online,
    what_goes,
)
from work.merge import person_merge_undo
from work.online import online_contact_tell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "recording")]

# The records of test_merge_messages (Aisha Khan, kept, and her record with a new
# mobile), and its provider recording what it takes.
kept, other, recording = merging.kept, merging.other, merging.recording


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def texted(person: Person, *, exposed: dt.date, send: bool) -> Contact:
    """A contact sent a link, its text gone (`send`) or just queued."""
    contact = f.ContactFactory(person=person, exposure_date=exposed)
    text = online_contact_tell(contact=contact, now=timezone.now()).message
    if send:
        message_send(text.pk)
        text.refresh_from_db()
        assert text.status == Message.Status.SENT
    contact.refresh_from_db()
    return contact


def undone() -> None:
    """An administrator undoes the merge."""
    admin = f.UserFactory(username="admin", is_superuser=True, is_staff=True)
    person_merge_undo(merge=PersonMerge.objects.get(), by=admin)


def what_goes_about(contact: Contact) -> list[Message]:
    """The texts of the contact still to go, tried now: those the provider takes."""
    RecordingBackend.reset()
    for pk in (
        Message.objects.filter(contact=contact)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        message_send(pk)
    return [Message.objects.get(pk=pk) for pk, _ in RecordingBackend.calls]


def test_a_join_tells_a_person_texted_their_date_the_later_one(
    client, supervisor, kept, other
):
    """The survivor's contact was texted "isolate until" its date; the other
    record's contact of another case, exposed later, has its text held up. Joined,
    the date is the later one, and the person is texted it (the held-up text giving
    it never goes)."""
    mine = texted(kept, exposed=days_ago(4), send=True)
    early = mine.isolation_ends_on
    told_online(other, days_ago=1)

    merged_on_the_page(client, supervisor, kept, other, phone=kept)

    mine.refresh_from_db()
    latest = days_ago(1) + dt.timedelta(days=10)
    assert mine.isolation_ends_on == latest > early
    sent = what_goes(kept)
    assert [m.to for m in sent] == [OLD_NUMBER]
    assert long_date(latest) in sent[0].body
    assert "near someone else" in sent[0].body


def test_a_join_of_two_texts_not_tried_yet_texts_the_later_date_last(
    client, supervisor, kept, other
):
    """Both records' link texts just queued: the kept contact's goes, and the
    last text the person is sent gives the later date the join left."""
    mine = texted(kept, exposed=days_ago(4), send=False)
    texted(other, exposed=days_ago(1), send=False)

    merged_on_the_page(client, supervisor, kept, other, phone=kept)

    mine.refresh_from_db()
    latest = days_ago(1) + dt.timedelta(days=10)
    assert mine.isolation_ends_on == latest
    sent = what_goes(kept)
    assert sent, "nothing goes"
    assert long_date(latest) in sent[-1].body, [m.body for m in sent]


def test_becoming_a_case_tells_a_person_texted_their_date_the_later_one(
    client, supervisor, kept, other
):
    """The survivor, a contact texted their date; the other record, a case tested
    yesterday whose date ends later: the contact follows the case, and the person
    is texted the date in force."""
    mine = texted(kept, exposed=days_ago(6), send=True)
    f.CaseFactory(
        person=other,
        specimen_date=days_ago(1),
        result_date=timezone.localdate(),
        symptom_onset=None,
    )

    merged_on_the_page(client, supervisor, kept, other, phone=kept)

    mine.refresh_from_db()
    assert mine.isolation_ends_on == days_ago(1) + dt.timedelta(days=10)
    sent = what_goes(kept)
    assert [long_date(mine.isolation_ends_on) in m.body for m in sent] == [True]


def test_an_undo_sends_the_survivors_waiting_text_to_their_own_number(
    client, supervisor, kept, other
):
    """The merge kept the other record's mobile, and sent the survivor's held-up
    link text again to it. Undone, that text never goes to the other person's
    phone: the survivor's goes to their own number."""
    mine = told_online(kept)
    merged_on_the_page(client, supervisor, kept, other, phone=other)

    undone()

    kept.refresh_from_db()
    assert kept.phone.as_e164 == OLD_NUMBER
    sent = what_goes_about(mine)
    assert [m.to for m in sent] == [OLD_NUMBER]
    assert long_date(mine.isolation_ends_on) in sent[0].body


def test_an_undo_gives_the_survivors_own_date_in_their_waiting_text(
    client, supervisor, kept, other
):
    """A join redated the survivor's held-up link text with the other record's
    later date. Undone, their contact is back on its own date, and so is the text
    still to go."""
    mine = told_online(kept, days_ago=4)
    own = mine.isolation_ends_on
    told_online(other, days_ago=1)
    merged_on_the_page(client, supervisor, kept, other, phone=kept)

    undone()

    mine.refresh_from_db()
    assert mine.isolation_ends_on == own
    sent = what_goes_about(mine)
    assert [m.to for m in sent] == [OLD_NUMBER]
    assert long_date(own) in sent[0].body


def test_an_undo_withdraws_the_later_date_not_sent_yet(client, supervisor, kept, other):
    """The join's text giving the later date has not gone when the merge is
    undone: it never goes, as the survivor's date is their own again."""
    mine = texted(kept, exposed=days_ago(4), send=True)
    own = mine.isolation_ends_on
    texted(other, exposed=days_ago(1), send=False)
    merged_on_the_page(client, supervisor, kept, other, phone=kept)

    undone()

    mine.refresh_from_db()
    assert mine.isolation_ends_on == own
    assert what_goes_about(mine) == []
