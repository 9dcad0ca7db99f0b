"""Texts still waiting to go when two records of one person are merged (a provider's
outage holding them up): the person is sent what is true of the one record the
merge leaves, at its number. The texts of a contact folded or joined into another
never go (their dates and links are of a contact that no longer exists); the texts
left go to the number kept, the link's text giving the date the merge left; a text
that has gone is never withdrawn."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from notify.errors import TemporaryFailure
from notify.services import message_send
from online.models import OnlineLink
from online.texts import long_date
from people.models import Message, Person, PersonMerge, PossibleDuplicate
from tests import factories as f
from tests.notify.fakes import RecordingBackend
from work.merge import person_merge_undo
from work.online import PATH, LinkUnusable, online_contact_tell, online_link_find

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

OUTAGE = TemporaryFailure("503 the provider is down")
BORN = dt.date(1984, 3, 9)
OLD_NUMBER, NEW_NUMBER = "+447400100201", "+447400100202"


@pytest.fixture
def recording(settings):
    settings.NOTIFY_SMS_BACKEND = "tests.notify.fakes.RecordingBackend"
    settings.NOTIFY_EMAIL_BACKEND = "tests.notify.fakes.RecordingBackend"
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()


@pytest.fixture
def kept(db) -> Person:
    """Aisha Khan, the record that survives: her older mobile."""
    return f.PersonFactory(
        first_name="Aisha", last_name="Khan", date_of_birth=BORN, phone=OLD_NUMBER
    )


@pytest.fixture
def other(kept) -> Person:
    """The same woman, named again with her new mobile."""
    return f.PersonFactory(
        first_name="Aisha", last_name="Khan", date_of_birth=BORN, phone=NEW_NUMBER
    )


def told_online(person: Person, *, case=None, days_ago: int = 2) -> Contact:
    """A contact named online, sent a link, its text held up by an outage."""
    contact = f.ContactFactory(
        person=person,
        case=case or f.CaseFactory(),
        exposure_date=timezone.localdate() - dt.timedelta(days=days_ago),
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    RecordingBackend.reset(OUTAGE)
    with pytest.raises(TemporaryFailure):
        message_send(link.message.pk)
    RecordingBackend.reset()
    contact.refresh_from_db()
    return contact


def merged_on_the_page(client, supervisor, survivor: Person, other: Person, **kept):
    """The supervisor merges the pair, keeping `survivor` and, for each field named,
    the record given."""
    a, b = sorted((survivor.pk, other.pk))
    pair = PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.8,
        reasons=["same name", "same date of birth"],
        created_at=timezone.now(),
    )

    def side(person: Person) -> str:
        return "a" if person.pk == a else "b"

    client.force_login(supervisor)
    done = client.post(
        reverse("staffing:duplicate_merge", args=[pair.pk]),
        {
            "survivor": side(survivor),
            **{name: side(person) for name, person in kept.items()},
            "confirm": "1",
        },
    )
    assert done.status_code == 302, done.content.decode()
    assert Person.objects.get(pk=other.pk).merged_into_id == survivor.pk


def what_goes(person: Person) -> list[Message]:
    """Every text of the person still to go, tried now the provider is back: those
    it takes, in order."""
    RecordingBackend.reset()
    for pk in Message.objects.filter(person=person).order_by("pk").values("pk"):
        message_send(pk["pk"])
    return [Message.objects.get(pk=pk) for pk, _ in RecordingBackend.calls]


def link_in(text: Message) -> OnlineLink:
    """The link the text carries, if it still opens (LinkUnusable if not)."""
    token = re.search(rf"{re.escape(PATH)}([\w-]+)/", text.body)
    assert token is not None, text.body
    return online_link_find(token.group(1))


def test_a_folded_contacts_waiting_text_never_goes(
    client, supervisor, recording, kept, other
):
    """Both records named by one case, each sent a link: the person is sent the
    link of the contact kept, with its date, not a second one for the contact
    folded into it."""
    case = f.CaseFactory()
    mine = told_online(kept, case=case, days_ago=3)
    folded = told_online(other, case=case, days_ago=1)
    folded_text = Message.objects.get(contact=folded)

    merged_on_the_page(client, supervisor, kept, other, phone=kept)

    sent = what_goes(kept)
    assert [m.to for m in sent] == [OLD_NUMBER]
    assert long_date(mine.isolation_ends_on) in sent[0].body
    assert link_in(sent[0]).contact_id == mine.pk
    folded_text.refresh_from_db()
    assert folded_text.status == Message.Status.SUPERSEDED
    with pytest.raises(LinkUnusable):
        link_in(folded_text)


def test_two_joined_contacts_are_sent_one_link_with_the_later_date(
    client, supervisor, recording, kept, other
):
    """Each record a contact of another case, both still to be told: joined, the
    person is sent one text, its link working, giving the later of the dates."""
    mine = told_online(kept, days_ago=4)
    told_online(other, days_ago=1)

    merged_on_the_page(client, supervisor, kept, other, phone=kept)

    mine.refresh_from_db()
    assert Contact.objects.filter(person=kept).get() == mine
    latest = timezone.localdate() - dt.timedelta(days=1) + dt.timedelta(days=10)
    assert mine.isolation_ends_on == latest
    sent = what_goes(kept)
    assert len(sent) == 1
    assert long_date(latest) in sent[0].body
    assert link_in(sent[0]).contact_id == mine.pk


def test_a_waiting_text_goes_to_the_number_kept(
    client, supervisor, recording, kept, other
):
    """The supervisor keeps the other record's mobile: the text waiting for the
    survivor's contact goes there, not to the number replaced."""
    mine = told_online(kept)

    merged_on_the_page(client, supervisor, kept, other, phone=other)

    sent = what_goes(kept)
    assert [m.to for m in sent] == [NEW_NUMBER]
    assert link_in(sent[0]).contact_id == mine.pk


def test_a_moved_contacts_waiting_text_goes_to_the_number_kept(
    client, supervisor, recording, kept, other
):
    """The other record's contact moves to the survivor, whose mobile is kept: its
    text goes to that mobile, not to the other record's number."""
    theirs = told_online(other)

    merged_on_the_page(client, supervisor, kept, other, phone=kept)

    sent = what_goes(kept)
    assert [m.to for m in sent] == [OLD_NUMBER]
    assert link_in(sent[0]).contact_id == theirs.pk


def test_a_text_that_went_is_never_withdrawn(
    client, supervisor, recording, kept, other
):
    """The folded contact's text had gone: it stays sent, and the link it carried
    still opens, now on the contact kept."""
    case = f.CaseFactory()
    mine = told_online(kept, case=case)
    folded = f.ContactFactory(person=other, case=case)
    gone = online_contact_tell(contact=folded, now=timezone.now()).message
    message_send(gone.pk)

    merged_on_the_page(client, supervisor, kept, other, phone=kept)

    gone.refresh_from_db()
    assert gone.status == Message.Status.SENT
    assert link_in(gone).contact_id == mine.pk


def test_an_undo_queues_the_folded_contacts_text_again(
    client, supervisor, recording, kept, other
):
    """An administrator undoes the merge: the contact is back, and so is its text,
    waiting to go to its number with its link, which opens again."""
    case = f.CaseFactory()
    told_online(kept, case=case)
    folded = told_online(other, case=case, days_ago=1)
    text = Message.objects.get(contact=folded)
    merged_on_the_page(client, supervisor, kept, other, phone=kept)
    admin = f.UserFactory(username="admin", is_superuser=True, is_staff=True)

    person_merge_undo(merge=PersonMerge.objects.get(merged=other), by=admin)

    text.refresh_from_db()
    assert (text.status, text.contact_id, text.to) == (
        Message.Status.QUEUED,
        folded.pk,
        NEW_NUMBER,
    )
    assert [m.pk for m in what_goes(other)] == [text.pk]
    assert link_in(text).contact_id == folded.pk
