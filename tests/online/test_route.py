"""The online route's domain: who is sent a link on intake, when the phones take over,
and a link's single use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Route, Status
from contacts.models import Contact
from escalations.models import Escalation
from online.models import OnlineLink
from people.models import Message, PersonChange
from people.services import PersonDetails
from work.assignment import assign_work, item_assign
from work.casework import ContactDetails, VisitDetails
from work.intake import TestResult, case_intake
from work.online import (
    CaseAnswer,
    LinkUnusable,
    online_case_submit,
    online_contact_answer,
    online_link_find,
)

pytestmark = pytest.mark.django_db


def result(ref: str, **person) -> TestResult:
    today = timezone.localdate()
    return TestResult(
        lab_reference=ref,
        person=PersonDetails(
            first_name="Priya",
            last_name="Shah",
            date_of_birth=dt.date(1980, 5, 1),
            postcode="S1 1AA",
            **person,
        ),
        specimen_date=today - dt.timedelta(days=1),
        result_date=today,
    )


def token_of(message: Message) -> str:
    """The token in a message's link (the only place it is kept)."""
    return message.body.split("/o/")[1].split("/")[0]


def test_a_new_case_with_a_mobile_is_texted_a_link_and_no_call_is_due_for_hours(
    clock, settings
):
    settings.TRACING_ONLINE_CASE_HOURS = 4
    case, _ = case_intake(result=result("LAB1", phone="07400 111222"))

    link = OnlineLink.objects.get(case=case)
    message = link.message
    assert message.channel == Message.Channel.SMS
    assert message.to == "+447400111222"
    assert "/o/" in message.body
    assert "isolate until the end of" in message.body
    assert link.token_hash not in message.body  # only the hash is kept
    assert online_link_find(token_of(message)) == link
    case.refresh_from_db()
    assert case.next_attempt_at == timezone.now() + dt.timedelta(hours=4)
    assert (
        not Case.objects.awaiting_assignment()
        .filter(next_attempt_at__lte=timezone.now())
        .exists()
    )


def test_a_case_with_only_a_landline_is_phoned_as_before(clock, caseworker):
    case, _ = case_intake(result=result("LAB2", phone="0114 496 0123"))

    assert not OnlineLink.objects.filter(case=case).exists()
    assert assign_work().assigned["case"] == 1


def test_a_case_with_only_an_email_is_emailed(clock):
    case, _ = case_intake(result=result("LAB3", email="priya@example.org"))

    link = OnlineLink.objects.get(case=case)
    assert link.message.channel == Message.Channel.EMAIL
    assert link.message.to == "priya@example.org"


def test_a_case_that_does_not_answer_in_time_reaches_a_caseworker(
    clock, caseworker, settings
):
    settings.TRACING_ONLINE_CASE_HOURS = 4
    case_intake(result=result("LAB4", phone="07400 111223"))
    assert assign_work().assigned["case"] == 0

    clock.shift(dt.timedelta(hours=4))

    assert assign_work().assigned["case"] == 1


def test_the_wait_leaves_every_call_its_gap_before_the_deadline(clock, settings):
    settings.TRACING_ONLINE_CASE_HOURS = 30  # longer than the 24-hour window
    case, _ = case_intake(result=result("LAB5", phone="07400 111224"))

    case.refresh_from_db()
    # Three attempts two hours apart still fit before the deadline, in calling
    # hours: 17:30 and 19:30 today, 08:00 tomorrow (10:00 the deadline). Six hours
    # before it (04:00) is the night.
    arrived = timezone.now()  # 10:00 on the test clock
    assert case.escalate_due_at == arrived + dt.timedelta(hours=24)
    assert case.next_attempt_at == arrived + dt.timedelta(hours=7, minutes=30)


def answer(case: Case) -> CaseAnswer:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    return CaseAnswer(
        contacts=[
            ContactDetails(
                person=PersonDetails(
                    first_name="Omar", last_name="Ali", phone="07400 123451"
                ),
                exposure_date=yesterday,
                exposure=Contact.Exposure.HOUSEHOLD,
            ),
            ContactDetails(
                person=PersonDetails(
                    first_name="Ben", last_name="Cole", phone="0114 496 0999"
                ),
                exposure_date=yesterday,
                exposure=Contact.Exposure.FACE_TO_FACE,
            ),
        ],
        visits=[
            VisitDetails(name="Crucible Gym", kind="workplace", visited_on=yesterday)
        ],
    )


def test_an_answer_reaches_the_case_online_and_tells_contacts_by_text_once(clock):
    case, _ = case_intake(result=result("LAB6", phone="07400 111225"))
    link = OnlineLink.objects.get(case=case)

    online_case_submit(link=link, answer=answer(case))

    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    assert case.reached_route == Route.ONLINE
    assert case.visits.count() == 1
    omar = case.contacts.get(person__first_name="Omar")
    ben = case.contacts.get(person__first_name="Ben")
    # Omar has a mobile: told by text, no call before the set hours.
    assert omar.online_links.get().message.to == "+447400123451"
    assert omar.next_attempt_at > timezone.now()
    assert "Priya" not in omar.online_links.get().message.body  # the case unnamed
    # Ben has a landline: phoned now.
    assert not ben.online_links.exists()
    assert ben.next_attempt_at <= timezone.now()
    # Used once.
    with pytest.raises(LinkUnusable):
        online_case_submit(link=link, answer=answer(case))
    assert case.contacts.count() == 2


def test_a_case_a_caseworker_holds_stays_with_them_reached(clock, caseworker):
    case, _ = case_intake(result=result("LAB7", phone="07400 111226"))
    Case.objects.filter(pk=case.pk).update(next_attempt_at=timezone.now())
    item_assign(item=case, to=caseworker)
    link = OnlineLink.objects.get(case=case)

    online_case_submit(link=link, answer=answer(case))

    case.refresh_from_db()
    assert (case.status, case.assignee, case.reached_route) == (
        Status.REACHED,
        caseworker,
        Route.ONLINE,
    )


def contact_link(clock) -> OnlineLink:
    case, _ = case_intake(result=result("LAB8", phone="07400 111227"))
    online_case_submit(link=OnlineLink.objects.get(case=case), answer=answer(case))
    return OnlineLink.objects.get(contact__person__first_name="Omar")


def test_a_contact_who_confirms_is_reached_online_and_never_phoned(clock, call_handler):
    link = contact_link(clock)

    contact = online_contact_answer(link=link, will_isolate=True)

    assert (contact.status, contact.reached_route) == (Status.REACHED, Route.ONLINE)
    clock.shift(dt.timedelta(days=1))
    assign_work()
    contact.refresh_from_db()
    assert contact.assignee is None


def test_a_contact_asking_for_food_goes_to_their_local_team(clock):
    link = contact_link(clock)

    contact = online_contact_answer(
        link=link,
        will_isolate=True,
        support=["food"],
        note="I live alone",
        postcode="S1 1AA",
    )

    escalation = Escalation.objects.get(contact=contact)
    assert escalation.reason == Escalation.Reason.SUPPORT
    assert escalation.detail == "Asked online for help with food. I live alone"
    assert contact.area is not None
    assert contact.person.postcode == "S1 1AA"
    assert escalation.local_team == contact.area.local_team
    assert contact.reached_route == Route.ONLINE


def test_a_contact_isolating_elsewhere_keeps_their_old_postcode_in_history(clock):
    """The postcode they give replaced the one held with no trace of it."""
    link = contact_link(clock)
    person = link.contact.person
    type(person).objects.filter(pk=person.pk).update(postcode="M1 1AE")

    contact = online_contact_answer(link=link, will_isolate=True, postcode="s1 1aa")

    assert contact.person.postcode == "S1 1AA"
    (change,) = PersonChange.objects.filter(person=contact.person, field="postcode")
    assert (change.old_value, change.new_value, change.source) == (
        "M1 1AE",
        "S1 1AA",
        "online",
    )
    answered = AuditEvent.objects.filter(object_id=str(contact.pk)).latest("pk")
    # Whether it changed and the history row, never the postcodes themselves.
    assert answered.detail["postcode"] == {"changed": True, "person_change": change.pk}


def test_a_contact_who_cannot_isolate_is_due_a_call_now(clock):
    link = contact_link(clock)

    contact = online_contact_answer(link=link, will_isolate=False)

    assert contact.status == Status.NEW
    assert contact.next_attempt_at == timezone.now()
    with pytest.raises(LinkUnusable):
        online_contact_answer(link=link, will_isolate=True)


def test_an_expired_link_is_refused(clock, settings):
    settings.TRACING_ONLINE_LINK_DAYS = 3
    case, _ = case_intake(result=result("LAB9", phone="07400 111228"))
    token = token_of(OnlineLink.objects.get(case=case).message)

    clock.shift(dt.timedelta(days=3, seconds=1))

    with pytest.raises(LinkUnusable):
        online_link_find(token)
    with pytest.raises(LinkUnusable):
        online_link_find(token[:-1] + ("A" if token[-1] != "A" else "B"))
