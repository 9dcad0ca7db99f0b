"""Someone with no phone and no other phone goes to their local team at once.

Before, intake gave such a case the usual 24-hour deadline whatever its contact
details: the pool handed it to a caseworker as "Due now", who held it (one of their
slots) with nothing to dial, and the sweep sent it to the local team only a day
later, "never called". A contact named online with only an email waited out their
online wait, then the same day in a call handler's queue. Now an item whose person
has no number to call is due to its local team on arrival (intake, a contact named
on the page, the API or online): the sweep takes it within minutes and the pool
never hands it to a caller. Sent a link by email, they may still answer online: their
local team gets them when that wait ends, straight, never the phones.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from notify.errors import PermanentFailure
from notify.services import message_send
from online.models import OnlineLink
from people.models import Message
from people.services import PersonDetails
from tests import factories as f
from tests.notify.conftest import recording  # noqa: F401 (a fixture, used by name)
from work.assignment import assign_work
from work.casework import ContactDetails, contact_add
from work.escalation import escalate_unreached
from work.intake import TestResult, case_intake_many
from work.online import (
    CaseAnswer,
    online_case_invite,
    online_case_submit,
    online_contact_answer,
)
from work.rules import CallRule

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
# The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours.
CASE_WAIT = dt.timedelta(hours=4)  # ONLINE_CASE_HOURS
CONTACT_WAIT = dt.timedelta(hours=8)  # ONLINE_CONTACT_HOURS


@pytest.fixture(autouse=True)
def _online_waits(settings):
    settings.TRACING_ONLINE_CASE_HOURS = 4
    settings.TRACING_ONLINE_CONTACT_HOURS = 8


def result(ref: str, last_name: str, **person) -> TestResult:
    today = timezone.localdate()
    return TestResult(
        lab_reference=ref,
        person=PersonDetails(
            first_name="Nell",
            last_name=last_name,
            date_of_birth=dt.date(1940, 1, 2),
            postcode="S1 1AA",
            **person,
        ),
        specimen_date=today - dt.timedelta(days=2),
        result_date=today - dt.timedelta(days=1),
    )


def escalated(item) -> bool:
    item.refresh_from_db()
    return item.status == Status.ESCALATED and (
        Escalation.objects.filter(**{item.kind: item}).exists()
    )


def test_a_case_posted_with_no_number_goes_to_its_local_team_at_once(clock, caseworker):
    """The hunter's case: a lab posts a result with no phone and no email."""
    _, token = api_client_create(
        name="Lab", scopes=list(Scope.values), rate_limit_per_minute=1000
    )
    lab = APIClient()
    lab.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    today = timezone.localdate()
    response = lab.post(
        "/api/v1/test-results/",
        {
            "lab_reference": "NONE-1",
            "person": {
                "first_name": "Nell",
                "last_name": "Nodetails",
                "date_of_birth": "1940-01-02",
                "postcode": "S1 1AA",
            },
            "specimen_date": str(today - dt.timedelta(days=2)),
            "result_date": str(today - dt.timedelta(days=1)),
        },
        format="json",
    )
    assert response.status_code == 201
    case = Case.objects.get(lab_reference="NONE-1")
    now = timezone.now()

    assert case.escalate_due_at == now
    # Not handed to the caseworker on shift to hold with nothing to dial...
    assign_work(now=now + MINUTE)
    case.refresh_from_db()
    assert case.assignee is None
    # ...but taken by the next sweep, minutes after it arrived, not a day.
    escalate_unreached(now=now + MINUTE)
    assert escalated(case)
    assert not Message.objects.filter(case=case).exists()


def test_a_batch_sends_each_case_where_its_details_let_it_go(clock, caseworker):
    """One batch (written set-wise): a landline is phoned, with the usual day; no
    number goes to the local team at once; an email only is sent its link and goes
    to the local team when its wait ends, never to the caseworker."""
    outcomes = case_intake_many(
        results=[
            result("B-LAND", "Landline", phone="0114 496 0001"),
            result("B-NONE", "Nothing"),
            result("B-MAIL", "Mailonly", email="nell@example.org"),
        ]
    )
    land, none, mail = (o.case for o in outcomes)
    assert all(o.created for o in outcomes)
    now = timezone.now()

    assert land.escalate_due_at == CallRule.for_kind("case").escalate_due_at(now)
    assert none.escalate_due_at == now
    assert mail.next_attempt_at == mail.escalate_due_at == now + CASE_WAIT
    [sent] = Message.objects.filter(case=mail)
    assert sent.channel == Message.Channel.EMAIL

    assign_work(now=now + MINUTE)
    for case in (land, none, mail):
        case.refresh_from_db()
    assert land.assignee == caseworker
    assert none.assignee is None
    assert mail.assignee is None

    escalate_unreached(now=now + MINUTE)
    assert escalated(none)
    assert not escalated(mail)  # they may still answer online

    end_of_wait = now + CASE_WAIT
    assign_work(now=end_of_wait)
    mail.refresh_from_db()
    assert mail.assignee is None
    escalate_unreached(now=end_of_wait)
    assert escalated(mail)
    assert not escalated(land)


def test_the_batch_reads_no_more_for_people_with_no_number(requires_postgres):
    """Set-wise still: a batch of people with no number costs the same statements
    whatever its size (the person in hand says whether they have one)."""

    def batch(start: int, size: int) -> list[TestResult]:
        return [
            TestResult(
                lab_reference=f"Q-{n}",
                person=PersonDetails(
                    first_name=f"Nobody{n}",
                    last_name="Nonumber",
                    date_of_birth=dt.date(1940, 1, 1) + dt.timedelta(days=n),
                    postcode="S1 1AA",
                ),
                specimen_date=timezone.localdate() - dt.timedelta(days=2),
                result_date=timezone.localdate() - dt.timedelta(days=1),
            )
            for n in range(start, start + size)
        ]

    case_intake_many(results=batch(0, 2))  # caches warmed
    with CaptureQueriesContext(connection) as thirty:
        case_intake_many(results=batch(100, 30))
    with CaptureQueriesContext(connection) as sixty:
        outcomes = case_intake_many(results=batch(200, 60))

    assert all(o.created for o in outcomes)
    assert len(sixty) <= len(thirty) + 2
    assert all(
        o.case is not None and o.case.escalate_due_at == o.case.created_at
        for o in outcomes
    )


def test_a_case_who_answers_online_by_email_is_not_sent_to_the_local_team(clock):
    [outcome] = case_intake_many(
        results=[result("A-MAIL", "Answers", email="nell@example.org")]
    )
    link = OnlineLink.objects.get(case=outcome.case)

    online_case_submit(link=link, answer=CaseAnswer(contacts=[], visits=[]))

    escalate_unreached(now=timezone.now() + CASE_WAIT)
    case = outcome.case
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    assert not Escalation.objects.filter(case=case).exists()


def test_an_email_only_case_whose_link_fails_goes_to_the_local_team_now(
    clock,
    recording,  # noqa: F811 (tests/notify's fixture)
):
    """No answer online can come, and there is no number to call: nothing is left
    to wait for."""
    [outcome] = case_intake_many(
        results=[result("F-MAIL", "Bounced", email="nell@example.org")]
    )
    case = outcome.case
    recording.reset(PermanentFailure("550 no such mailbox"))

    clock.shift(dt.timedelta(minutes=30))
    message_send(OnlineLink.objects.get(case=case).message_id)

    case.refresh_from_db()
    assert case.escalate_due_at == timezone.now()
    escalate_unreached(now=timezone.now() + MINUTE)
    assert escalated(case)


def test_contacts_named_online_go_where_their_details_let_them(clock, call_handler):
    """A case names, online, someone with only an email and someone with neither a
    phone nor an email: the first is told by email and goes to the local team if
    they do not answer in time; the second goes to the local team at once. Neither
    is handed to the call handler on shift."""
    case = f.CaseFactory(person__phone="+447400111222")
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    exposed = timezone.localdate() - dt.timedelta(days=1)

    def named(first: str, **person) -> ContactDetails:
        return ContactDetails(
            person=PersonDetails(
                first_name=first, last_name="Named", postcode="S1 1AA", **person
            ),
            exposure_date=exposed,
            exposure=Contact.Exposure.HOUSEHOLD,
        )

    online_case_submit(
        link=link,
        answer=CaseAnswer(
            contacts=[named("Emma", email="emma@example.org"), named("Noel")],
            visits=[],
        ),
    )
    now = timezone.now()
    emma = Contact.objects.get(person__first_name="Emma")
    noel = Contact.objects.get(person__first_name="Noel")

    assert emma.next_attempt_at == emma.escalate_due_at == now + CONTACT_WAIT
    assert Message.objects.filter(contact=emma, channel=Message.Channel.EMAIL).exists()
    assert noel.escalate_due_at == now

    assign_work(now=now + MINUTE)
    escalate_unreached(now=now + MINUTE)
    assert escalated(noel)
    assert not escalated(emma)
    emma.refresh_from_db()
    assert emma.assignee is None

    assign_work(now=now + CONTACT_WAIT)
    emma.refresh_from_db()
    assert emma.assignee is None
    escalate_unreached(now=now + CONTACT_WAIT)
    assert escalated(emma)


def test_a_contact_named_with_no_number_is_due_to_the_local_team_at_once(clock):
    """contact_add (the case page's and the API's operation; both ask for a phone,
    but the person matched is what counts): no number, no day in the pool."""
    case = f.CaseFactory()

    contact = contact_add(
        case=case,
        details=ContactDetails(
            person=PersonDetails(first_name="Nia", last_name="Nonumber"),
            exposure_date=timezone.localdate() - dt.timedelta(days=1),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    )

    assert contact.escalate_due_at == timezone.now()
    with_number = contact_add(
        case=case,
        details=ContactDetails(
            person=PersonDetails(
                first_name="Pat", last_name="Phoned", phone="07400 900900"
            ),
            exposure_date=timezone.localdate() - dt.timedelta(days=1),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    )
    assert with_number.escalate_due_at == CallRule.for_kind("contact").escalate_due_at(
        timezone.now()
    )


def _told_by_email(first: str) -> tuple[Contact, OnlineLink]:
    case = f.CaseFactory(person__phone="+447400111222")
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    online_case_submit(
        link=link,
        answer=CaseAnswer(
            contacts=[
                ContactDetails(
                    person=PersonDetails(
                        first_name=first,
                        last_name="Emailed",
                        postcode="S1 1AA",
                        email=f"{first.lower()}@example.org",
                    ),
                    exposure_date=timezone.localdate() - dt.timedelta(days=1),
                    exposure=Contact.Exposure.HOUSEHOLD,
                )
            ],
            visits=[],
        ),
    )
    contact = Contact.objects.get(person__first_name=first)
    return contact, OnlineLink.objects.get(contact=contact)


def test_an_email_only_contact_who_asks_to_be_phoned_and_gives_a_number_is_phoned(
    clock, call_handler
):
    """Brought back: the number they give is rung, with the call rule's time to
    reach them, not only what was left of their online wait."""
    contact, link = _told_by_email("Gwen")
    clock.shift(dt.timedelta(hours=1))

    online_contact_answer(link=link, will_isolate=False, phone="07400 900901")

    now = timezone.now()
    contact.refresh_from_db()
    assert contact.escalate_due_at == CallRule.for_kind("contact").escalate_due_at(now)
    assign_work(now=now)
    contact.refresh_from_db()
    assert contact.assignee == call_handler


def test_an_email_only_contact_who_asks_to_be_phoned_with_no_number_goes_local(
    clock, call_handler
):
    """The page asks them for a number; answered without one (no number to ring),
    their local team gets them now rather than a call handler."""
    contact, link = _told_by_email("Hal")
    clock.shift(dt.timedelta(hours=1))

    online_contact_answer(link=link, will_isolate=False)

    now = timezone.now()
    contact.refresh_from_db()
    assert contact.escalate_due_at == now
    assign_work(now=now + MINUTE)
    contact.refresh_from_db()
    assert contact.assignee is None
    escalate_unreached(now=now + MINUTE)
    assert escalated(contact)
