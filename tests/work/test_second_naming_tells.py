"""A contact already texted their date and not yet reached, named by a second case
with a later exposure: their contact is joined and its end date moves later
(work.casework.contact_add), and they are told the new date by message, once, as a
clinician's override tells them. Before, nothing went: Kit, texted "isolate until
the 17th", stopped two days early while the service held the 19th.

The test clock stands at 10:00 on Tuesday 12 January 2021: Kit is first named for
7 January (until the 17th), then for 9 January (until the 19th)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from contacts.models import Contact
from notify.errors import TemporaryFailure
from notify.services import message_send
from online.models import OnlineLink
from online.texts import long_date
from people.models import Message
from people.services import PersonDetails
from tests import factories as f
from tests.notify.fakes import RecordingBackend
from work.casework import ContactDetails, contact_add
from work.online import CaseAnswer, NothingNew, online_case_invite, online_case_submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

KIT = PersonDetails(
    first_name="Kit",
    last_name="Twice",
    date_of_birth=dt.date(1991, 3, 3),
    phone="07911 123401",
    postcode="S1 2HE",
)
FIRST_ENDS = dt.date(2021, 1, 17)
LATER_ENDS = dt.date(2021, 1, 19)
REPLACES = "This replaces the date we gave you before."


@pytest.fixture(autouse=True)
def recording(settings):
    settings.NOTIFY_SMS_BACKEND = "tests.notify.fakes.RecordingBackend"
    settings.NOTIFY_EMAIL_BACKEND = "tests.notify.fakes.RecordingBackend"
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def a_case(**fields):
    """A case with symptoms from six days ago: it could have passed it on to Kit on
    any of the days named here."""
    return f.CaseFactory(symptom_onset=days_ago(6), **fields)


def naming(person: PersonDetails, days: int) -> ContactDetails:
    return ContactDetails(
        person=person, exposure_date=days_ago(days), exposure="household"
    )


def named_online(person: PersonDetails = KIT, days: int = 5) -> Contact:
    """A case enters Kit on its own link: Kit is texted a link giving their date."""
    case = a_case(person__phone="+447400111999")
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    online_case_submit(
        link=link, answer=CaseAnswer(contacts=[naming(person, days)], visits=[])
    )
    contact = Contact.objects.get(case=case)
    assert OnlineLink.objects.filter(contact=contact).exists()
    return contact


def kit_texted() -> Contact:
    """Case A names Kit online; the text carrying Kit's link goes."""
    kit = named_online()
    assert kit.isolation_ends_on == FIRST_ENDS
    [link_text] = Message.objects.filter(contact=kit)
    message_send(link_text.pk)
    link_text.refresh_from_db()
    assert link_text.status == Message.Status.SENT
    assert long_date(FIRST_ENDS) in link_text.body
    return kit


def told_after(kit: Contact, before: set[int]) -> list[Message]:
    return list(
        Message.objects.filter(person=kit.person).exclude(pk__in=before).order_by("pk")
    )


def test_a_second_case_on_its_page_tells_kit_the_later_date(clock):
    kit = kit_texted()
    before = set(Message.objects.values_list("pk", flat=True))

    joined = contact_add(case=a_case(), details=naming(KIT, 3))

    assert joined.pk == kit.pk
    kit.refresh_from_db()
    assert kit.isolation_ends_on == LATER_ENDS
    [told] = told_after(kit, before)
    assert told.contact_id == kit.pk
    assert told.to == "+447911123401"
    assert f"until the end of {long_date(LATER_ENDS)}" in told.body
    assert REPLACES in told.body


def test_a_second_case_online_tells_kit_the_later_date_once(clock):
    kit = kit_texted()
    before = set(Message.objects.values_list("pk", flat=True))

    case = a_case(person__phone="+447400111888")
    link = online_case_invite(case=case, now=timezone.now())
    answer = CaseAnswer(contacts=[naming(KIT, 3)], visits=[])
    online_case_submit(link=link, answer=answer)
    # The same answers sent again from a second device: nothing is told twice.
    with pytest.raises(NothingNew):
        online_case_submit(link=link, answer=answer)

    told = [m for m in told_after(kit, before) if m.contact_id == kit.pk]
    assert len(told) == 1
    assert f"until the end of {long_date(LATER_ENDS)}" in told[0].body
    assert REPLACES in told[0].body


def test_the_change_is_audited_with_the_message(clock):
    kit = kit_texted()
    before = set(Message.objects.values_list("pk", flat=True))

    contact_add(case=a_case(), details=naming(KIT, 3))

    [told] = told_after(kit, before)
    event = (
        AuditEvent.objects.filter(
            object_type="contacts.contact",
            object_id=str(kit.pk),
            detail__has_key="exposure",
        )
        .order_by("-pk")
        .first()
    )
    assert event is not None
    assert event.detail["isolation_ends_on"] == LATER_ENDS.isoformat()
    assert event.detail["replaced"] == FIRST_ENDS.isoformat()
    assert event.detail["message"] == told.pk


def test_a_link_text_held_up_is_sent_again_with_the_later_date_not_twice(clock):
    kit = named_online()
    [link_text] = Message.objects.filter(contact=kit)
    RecordingBackend.reset(TemporaryFailure("503 the provider is down"))
    with pytest.raises(TemporaryFailure):
        message_send(link_text.pk)
    clock.shift(dt.timedelta(minutes=2))
    before = set(Message.objects.values_list("pk", flat=True))

    contact_add(case=a_case(), details=naming(KIT, 3))

    link_text.refresh_from_db()
    assert link_text.status == Message.Status.SUPERSEDED
    [again] = told_after(kit, before)
    assert again.kind == Message.Kind.CONTACT_LINK
    assert f"until the end of {long_date(LATER_ENDS)}" in again.body
    assert OnlineLink.objects.get(contact=kit).message_id == again.pk


def test_kit_not_texted_yet_is_told_nothing_more_their_call_gives_the_date(clock):
    """Named on a case page (to be phoned): the call handler reads out the date in
    force; no text is due for a date never given."""
    kit = contact_add(case=a_case(), details=naming(KIT, 5))
    assert not Message.objects.filter(person=kit.person).exists()

    contact_add(case=a_case(), details=naming(KIT, 3))

    kit.refresh_from_db()
    assert kit.isolation_ends_on == LATER_ENDS
    assert not Message.objects.filter(person=kit.person).exists()


def test_a_link_text_queued_a_moment_ago_carries_the_date_first_then_the_change(
    clock,
):
    """Not tried yet, it goes first, with the first date: the change follows it."""
    kit = named_online()
    before = set(Message.objects.values_list("pk", flat=True))

    contact_add(case=a_case(), details=naming(KIT, 3))

    [told] = told_after(kit, before)
    assert REPLACES in told.body
    assert f"until the end of {long_date(LATER_ENDS)}" in told.body


def test_an_earlier_exposure_leaves_the_date_and_tells_nothing(clock):
    kit = kit_texted()
    before = set(Message.objects.values_list("pk", flat=True))

    contact_add(case=a_case(), details=naming(KIT, 6))

    kit.refresh_from_db()
    assert kit.isolation_ends_on == FIRST_ENDS
    assert told_after(kit, before) == []


def test_an_emailed_contact_is_emailed_the_later_date(clock):
    ema = PersonDetails(
        first_name="Ema",
        last_name="Mailonly",
        date_of_birth=dt.date(1985, 6, 1),
        email="ema@example.org",
        postcode="S1 2HE",
    )
    kit = named_online(ema)
    message_send(Message.objects.get(contact=kit).pk)
    before = set(Message.objects.values_list("pk", flat=True))

    contact_add(case=a_case(), details=naming(ema, 3))

    [told] = told_after(kit, before)
    assert told.channel == Message.Channel.EMAIL
    assert f"until the end of {long_date(LATER_ENDS)}" in told.body
