"""Work for a language nobody speaks is said as such, idle staff or not: the board
says it waits for a speaker and does not count it "due a call now", and the call
handler who hands it on is not promised a colleague who speaks it."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse

from cases.workitem import Status
from staffing.models import TrainingCompletion, TrainingModule
from tests import factories as f
from work.assignment import assign_work

from .conftest import NOW, member

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)
SPEAKERS = "waiting for a speaker of Arabic: nobody on shift in your team speaks it"
PROMISE = "for a colleague who speaks"


def arabic():
    return f.LanguageFactory(code="ar", name="Arabic")


def needs_arabic(**kwargs):
    return f.ContactFactory(
        person__needs_interpreter=True, person__language=arabic(), **kwargs
    )


def busy(team, **kwargs):
    """A call handler on shift holding one contact: not idle."""
    handler = member(team, **kwargs)
    f.ContactFactory(status=Status.ASSIGNED, assignee=handler.user, assigned_at=NOW)
    return handler


def board(client, supervisor):
    client.force_login(supervisor.user)
    return client.get(reverse("staffing:dashboard"))


def test_work_for_a_language_nobody_on_shift_speaks_is_said_with_nobody_idle(
    clock, client, calls_lead, calls_team
):
    """Before, with every handler on shift holding some work, the board said
    "2 due a call now" of the two Arabic contacts nobody could be given, and never
    that they waited for a speaker of Arabic."""
    busy(calls_team)
    needs_arabic()
    needs_arabic()
    for _ in range(2):  # a time to call back still ahead
        f.ContactFactory(next_attempt_at=NOW + HOUR)
    assign_work(now=NOW)

    page = board(client, calls_lead)

    assert page.context["board"].waiting == 4
    assert "0 due a call now" in page.text
    assert "2 due a call now" not in page.text
    assert f"2 {SPEAKERS}" in page.text
    assert "Staff idle while work waits" not in page.text


def test_work_a_busy_speaker_on_shift_may_be_given_is_due(
    clock, client, calls_lead, calls_team
):
    busy(calls_team).languages.add(arabic())
    needs_arabic()
    f.ContactFactory(next_attempt_at=NOW + HOUR)

    page = board(client, calls_lead)

    assert "1 due a call now" in page.text
    assert "waiting for a speaker of Arabic" not in page.text


def handed_on(client, team, contact, language="Arabic"):
    """A call handler of the team logs "needs an interpreter" on a contact they hold;
    the page they land on."""
    handler = member(team)
    contact.assignee, contact.status, contact.assigned_at = (
        handler.user,
        Status.ASSIGNED,
        NOW,
    )
    contact.save()
    client.force_login(handler.user)
    page = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": "needs_interpreter", "language": language},
        follow=True,
    )
    assert page.status_code == 200
    return unescape(page.content.decode())


def test_nobody_on_the_service_speaks_it_and_the_handler_is_told_what_happens(
    clock, client, calls_team
):
    """Before: "It has gone back to the pool for a colleague who speaks their
    language", though nobody spoke Arabic."""
    arabic()
    contact = f.ContactFactory(person__language=None, escalate_due_at=NOW + 20 * HOUR)

    text = handed_on(client, calls_team, contact)

    assert PROMISE not in text
    assert (
        "Logged: needs an interpreter. Nobody on the service speaks Arabic, so "
        "nobody can be given it: it waits in the pool and goes to the local team "
        "at 06:00 on Thu 15 Jan, its time for calls up." in text
    )
    contact.refresh_from_db()
    assert (contact.status, contact.assignee) == (Status.NEW, None)


def test_a_caseworker_who_speaks_it_is_no_colleague_for_a_contact(
    clock, client, calls_team
):
    """Contacts go to call handlers only: a tier 2 speaker of Arabic takes none."""
    f.StaffProfileFactory(clinical=True).languages.add(arabic())
    contact = f.ContactFactory(escalate_due_at=NOW + 20 * HOUR)

    text = handed_on(client, calls_team, contact)

    assert PROMISE not in text
    assert "Nobody on the service speaks Arabic" in text


def test_a_speaker_off_shift_is_the_colleague_promised(clock, client, calls_team):
    member(calls_team, on_shift=False).languages.add(arabic())
    contact = f.ContactFactory()

    text = handed_on(client, calls_team, contact)

    assert (
        "Logged: needs an interpreter. It has gone back to the pool for a "
        "colleague who speaks Arabic." in text
    )
    assert "Nobody on the service" not in text


def test_a_contact_whose_isolation_ends_before_its_deadline_is_closed_instead(
    clock, client, calls_team
):
    arabic()
    contact = f.ContactFactory(
        escalate_due_at=NOW + 2 * 24 * HOUR,
        exposure_date=NOW.date() - dt.timedelta(days=9),
    )

    text = handed_on(client, calls_team, contact)

    assert "Nobody on the service speaks Arabic" in text
    assert "and is closed at 10:00 on Fri 16 Jan, their time to stay at home over" in (
        text
    )
    assert "goes to the local team" not in text


def test_a_speaker_on_shift_who_may_take_no_work_is_no_speaker_on_shift(
    clock, client, calls_lead, calls_team
):
    """The only Arabic speaker on shift has required training undone: assignment
    gives them nothing, yet the board counted the Arabic work due and pointed the
    idle alarm at a colleague who does not speak it (found by review)."""
    ready = member(calls_team, user__first_name="Ready", user__last_name="Nonspeaker")
    basics = TrainingModule.objects.create(name="Basics", tier=calls_team.tier)
    TrainingCompletion.objects.create(
        profile=ready, module=basics, completed_on=NOW.date()
    )
    speaker = f.StaffProfileFactory(
        team=calls_team,
        organisation=calls_team.organisation,
        tier=calls_team.tier,
        user__first_name="Untrained",
        user__last_name="Speaker",
    )
    f.ShiftFactory(staff=speaker)
    speaker.languages.add(arabic())
    waiting = [needs_arabic() for _ in range(2)]
    assign_work(now=NOW)
    for contact in waiting:
        contact.refresh_from_db()
        assert contact.assignee is None

    page = board(client, calls_lead)

    assert page.context["board"].due_now == 0
    assert SPEAKERS in unescape(page.content.decode())
    assert "Can take work now" not in page.content.decode()
