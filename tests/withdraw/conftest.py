"""A positive result withdrawn (work/withdraw.py): the people, their work, the texts.

Asha Patel's result LAB-VOID (tested Thursday 3 December 2026: until Sunday the
13th) was a lab's mix-up. She named Ben (exposed Saturday 5 December: until Tuesday
the 15th); Sam was named by her and by another case. The clock stands at Monday 7
December 2026, 10:00 GMT.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Case
from contacts.models import Contact
from notify.services import message_send
from people.models import Message
from people.services import PersonDetails
from tests.isolation.conftest import LONDON, D, hold
from tests.notify.fakes import RecordingBackend
from work.casework import ContactDetails, contact_add
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.online import online_contact_tell

DECEMBER_7 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)
TESTED = D(2026, 12, 3)
TESTED_ENDS = D(2026, 12, 13)
EXPOSED = D(2026, 12, 5)
EXPOSED_ENDS = D(2026, 12, 15)
YESTERDAY = D(2026, 12, 6)
FREE = "You no longer need to stay at home because of it."

ASHA = PersonDetails(
    first_name="Asha",
    last_name="Patel",
    date_of_birth=D(1984, 3, 2),
    phone="07911 123456",
    postcode="S1 2HE",
)
BEN = PersonDetails(
    first_name="Ben", last_name="Hughes", phone="07911 123458", postcode="S1 2HE"
)
SAM = PersonDetails(
    first_name="Sam", last_name="Okafor", phone="07911 123457", postcode="S1 2HE"
)
CARYS = PersonDetails(
    first_name="Carys",
    last_name="Evans",
    date_of_birth=D(1979, 6, 1),
    phone="07911 123459",
    postcode="S1 2HE",
)


@pytest.fixture(autouse=True)
def _on_the_test_clock(clock):
    """Every test here stands at Monday 7 December 2026, 10:00 GMT."""
    return clock


@pytest.fixture(autouse=True)
def recording(settings):
    settings.NOTIFY_SMS_BACKEND = "tests.notify.fakes.RecordingBackend"
    settings.NOTIFY_EMAIL_BACKEND = "tests.notify.fakes.RecordingBackend"
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()


def sent(item) -> Message:
    """The text carrying the item's link goes."""
    [text] = Message.objects.filter(
        **{item.kind: item},
        kind__in=(Message.Kind.CASE_LINK, Message.Kind.CONTACT_LINK),
    )
    message_send(text.pk)
    text.refresh_from_db()
    assert text.status == Message.Status.SENT
    return text


def positive(
    ref: str = "LAB-VOID", person: PersonDetails = ASHA, *, texted=True
) -> Case:
    """A lab's result through intake: a case, its link texted (and gone)."""
    case, created = case_intake(
        result=LabResult(
            lab_reference=ref,
            person=person,
            specimen_date=TESTED,
            result_date=D(2026, 12, 6),
        )
    )
    assert created
    if texted:
        sent(case)
    return case


def named(
    case: Case, person: PersonDetails, *, texted=True, exposed=EXPOSED
) -> Contact:
    """A contact the case names, told to isolate by a text with a link (gone)."""
    contact = contact_add(
        case=case,
        details=ContactDetails(
            person=person, exposure_date=exposed, exposure=Contact.Exposure.HOUSEHOLD
        ),
    )
    if texted and contact.joined is None:
        online_contact_tell(contact=contact, now=DECEMBER_7)
        sent(contact)
    contact.refresh_from_db()
    return contact


def told_since(person_id: int, before: set[int]) -> list[Message]:
    return list(
        Message.objects.filter(person_id=person_id)
        .exclude(pk__in=before)
        .order_by("pk")
    )


def all_messages() -> set[int]:
    return set(Message.objects.values_list("pk", flat=True))


__all__ = ["hold"]
