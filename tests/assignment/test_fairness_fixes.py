"""Fairness and timing of assignment, as a tester found them: work goes round under
light load, work out of time is never handed out again, an interpreter handoff is not
an attempt, and someone who cannot be given work is told why."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.urls import reverse

from calls.models import Outcome
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from tests.conftest import LONDON
from work.assignment import assign_work, item_assign, release_stranded_work
from work.calls import call_record
from work.escalation import escalate_unreached
from work.queues import next_due_item

from .conftest import CaseFactory, ContactFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2021, 1, 12)  # a Tuesday at the winter peak, GMT
MINUTE = dt.timedelta(minutes=1)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=LONDON)


def staff_on_shift(*, start: dt.datetime, end: dt.datetime, **kwargs):
    """A trained, signed-off member of staff (the user) booked from `start` to `end`."""
    profile = f.StaffProfileFactory(**kwargs)
    f.ShiftFactory(staff=profile, starts_at=start, ends_at=end)
    return profile.user


# --- 1. under light load, the work goes round -----------------------------------------


def test_contacts_arriving_one_at_a_time_go_round_the_call_handlers(clock):
    """Three call handlers on shift 08:00-16:00; twelve contacts arrive ten minutes
    apart, each reached five minutes after it was given out: four each, not 12/0/0."""
    clock.move_to(at(8))
    handlers = [staff_on_shift(start=at(8), end=at(16)) for _ in range(3)]
    given: Counter[int] = Counter()
    for n in range(12):
        arrived = at(8) + 10 * n * MINUTE
        clock.move_to(arrived)
        contact = ContactFactory()
        assign_work(now=arrived)
        contact.refresh_from_db()
        assert contact.assignee_id is not None
        given[contact.assignee_id] += 1
        call_record(
            item=contact,
            caller=contact.assignee,
            outcome=Outcome.REACHED,
            now=arrived + 5 * MINUTE,
        )
    assert [given[user.pk] for user in handlers] == [4, 4, 4]


def test_cases_arriving_one_at_a_time_go_round_the_caseworkers(clock):
    """The same for tier 2: each case finished before the next arrives."""
    clock.move_to(at(8))
    caseworkers = [
        staff_on_shift(start=at(8), end=at(16), clinical=True) for _ in range(3)
    ]
    given: Counter[int] = Counter()
    for n in range(6):
        arrived = at(8) + 10 * n * MINUTE
        clock.move_to(arrived)
        case = CaseFactory()
        assign_work(now=arrived)
        case.refresh_from_db()
        assert case.assignee_id is not None
        given[case.assignee_id] += 1
        Case.objects.filter(pk=case.pk).update(status=Status.COMPLETED)
    assert [given[user.pk] for user in caseworkers] == [2, 2, 2]


def test_someone_given_work_by_a_supervisor_waits_their_turn(clock):
    """A supervisor's move counts as being given work: the next arrival goes to the
    other handler, though both hold nothing by then."""
    clock.move_to(at(9))
    first, second = (staff_on_shift(start=at(8), end=at(16)) for _ in range(2))
    moved = ContactFactory()
    item_assign(item=moved, to=first, now=at(9))
    Contact.objects.filter(pk=moved.pk).update(status=Status.REACHED)
    clock.move_to(at(9, 10))
    arriving = ContactFactory()
    assign_work(now=at(9, 10))
    arriving.refresh_from_db()
    assert arriving.assignee == second


# --- 2. work past its deadline is not handed out again ------------------------------


def test_a_contact_who_refused_is_not_handed_to_the_next_shift(client, clock):
    """A logs "refused" at 15:58 and goes off shift at 16:00: B, on from 16:00, is
    not given the contact, and "Next item" does not open it for them."""
    clock.move_to(at(15))
    a = staff_on_shift(start=at(8), end=at(16))
    contact = ContactFactory()
    assign_work(now=at(15))
    contact.refresh_from_db()
    assert contact.assignee == a
    call_record(item=contact, caller=a, outcome=Outcome.REFUSED, now=at(15, 58))

    b = staff_on_shift(start=at(16), end=at(23, 59))
    clock.move_to(at(16))
    release_stranded_work(now=at(16))
    report = assign_work(now=at(16))

    contact.refresh_from_db()
    assert report.assigned["contact"] == 0
    assert contact.assignee is None
    client.force_login(b)
    response = client.post(reverse("cases:next"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    contact.refresh_from_db()
    assert contact.assignee is None
    # The sweep takes it to the local team.
    escalate_unreached(now=at(16, 1))
    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED


def test_pool_work_past_its_deadline_is_not_handed_out(clock):
    clock.move_to(at(12))
    handler = staff_on_shift(start=at(8), end=at(16))
    late = ContactFactory(created_at=at(12) - dt.timedelta(hours=25))
    in_time = ContactFactory(created_at=at(11))
    assert late.escalate_due_at == at(11)

    assign_work(now=at(12))

    late.refresh_from_db()
    in_time.refresh_from_db()
    assert late.assignee is None
    assert in_time.assignee == handler


def test_next_item_does_not_open_a_contact_who_just_refused(client, clock):
    """Still on shift after logging "refused", the handler's "Next item" does not
    open the contact again: it says what they hold is out of time."""
    clock.move_to(at(15))
    handler = staff_on_shift(start=at(8), end=at(16))
    contact = ContactFactory()
    assign_work(now=at(15))
    call_record(item=contact, caller=handler, outcome=Outcome.REFUSED, now=at(15, 58))
    clock.move_to(at(15, 59))

    assert next_due_item(handler, now=at(15, 59)) is None
    client.force_login(handler)
    response = client.post(reverse("cases:next"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    assert "out of time for calls" in response.content.decode()


def test_next_item_still_opens_a_reached_case_waiting_to_be_finished(clock):
    clock.move_to(at(10))
    caseworker = staff_on_shift(start=at(8), end=at(16), clinical=True)
    case = CaseFactory()
    assign_work(now=at(10))
    call_record(item=case, caller=caseworker, outcome=Outcome.REACHED, now=at(10, 5))
    assert next_due_item(caseworker, now=at(10, 6)) == case


# --- 3. an interpreter handoff is not an attempt --------------------------------------


def test_a_handoff_for_an_interpreter_does_not_use_up_an_attempt(clock, urdu):
    """Called by A (needs an interpreter), then twice unanswered by Urdu-speaking B:
    two attempts in their language, one still to make, not escalated."""
    clock.move_to(at(9))
    a = staff_on_shift(start=at(8), end=at(16))
    b_profile = f.StaffProfileFactory()
    b_profile.languages.add(urdu)
    f.ShiftFactory(staff=b_profile, starts_at=at(8), ends_at=at(23))
    b = b_profile.user
    contact = ContactFactory(person__language=urdu)
    item_assign(item=contact, to=a, now=at(9))
    call_record(item=contact, caller=a, outcome=Outcome.NEEDS_INTERPRETER, now=at(9, 5))
    contact.refresh_from_db()
    assert contact.attempts == 0

    assign_work(now=at(9, 6))
    contact.refresh_from_db()
    assert contact.assignee == b
    call_record(item=contact, caller=b, outcome=Outcome.NO_ANSWER, now=at(9, 10))
    contact.refresh_from_db()
    clock.move_to(contact.next_attempt_at)
    call_record(
        item=contact, caller=b, outcome=Outcome.NO_ANSWER, now=contact.next_attempt_at
    )
    contact.refresh_from_db()
    escalate_unreached(now=contact.last_attempt_at + MINUTE)
    contact.refresh_from_db()

    assert contact.attempts == 2
    assert contact.status == Status.ASSIGNED
    assert contact.next_attempt_at is not None


# --- 4. someone who cannot be given work is told why ---------------------------------


def test_my_work_tells_a_call_handler_with_training_due_why_no_work_comes(client):
    module = f.TrainingModuleFactory(name="Safeguarding basics", required=True)
    handler = f.StaffProfileFactory()
    f.ShiftFactory(staff=handler)
    ContactFactory()

    client.force_login(handler.user)
    html = client.get(reverse("cases:queue")).content.decode()

    assert 'data-reason="not_ready"' in html
    assert "You cannot be given work" in html
    assert f"your required training is not done ({module.name})" in html
    assert "Nothing is waiting for you" not in html


def test_next_item_tells_a_caseworker_with_an_unverified_registration(client):
    caseworker = f.StaffProfileFactory(clinical=True, registration_verified_on=None)
    f.ShiftFactory(staff=caseworker)
    waiting = CaseFactory()

    client.force_login(caseworker.user)
    response = client.post(reverse("cases:next"), follow=True)

    html = response.content.decode()
    assert "You cannot be given work: your registration is not verified" in html
    assert "Ask your supervisor" in html
    waiting.refresh_from_db()
    assert waiting.assignee is None
