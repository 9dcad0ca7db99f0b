"""The "Staff idle while work waits" alarm names only work that assignment would give
to someone idle on shift: not work past its deadline (the local team's), nor work for
an interpreter's language that none of them speaks, which is said as such."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories as f
from work.assignment import assign_work
from work.tasks import count_pool_task

from .conftest import NOW, member

pytestmark = pytest.mark.django_db
MINUTE = dt.timedelta(minutes=1)
ALARM = "Staff idle while work waits"
IDLE_TAG = 'nhsuk-tag--red">Idle'


def somali():
    return f.LanguageFactory(code="so", name="Somali")


def needs_somali(**kwargs):
    return f.ContactFactory(
        person__needs_interpreter=True, person__language=somali(), **kwargs
    )


def board(client, supervisor):
    client.force_login(supervisor.user)
    return client.get(reverse("staffing:dashboard"))


def test_no_alarm_for_work_that_needs_a_language_nobody_on_shift_speaks(
    clock, client, calls_lead, calls_team
):
    member(calls_team, user__first_name="Iris", user__last_name="Z")
    waiting = needs_somali()
    assign_work(now=NOW)
    waiting.refresh_from_db()
    assert waiting.assignee is None  # nobody on shift speaks Somali: right

    page = board(client, calls_lead)

    assert ALARM not in page.text
    assert IDLE_TAG not in page.text
    assert "1 waiting for a speaker of Somali" in page.text


def test_the_alarm_counts_only_the_work_the_idle_may_be_given(
    clock, client, calls_lead, calls_team
):
    member(calls_team, user__first_name="Iris", user__last_name="Z")
    needs_somali()
    f.ContactFactory()  # anyone may call them

    page = board(client, calls_lead)

    assert ALARM in page.text
    assert "<strong>1 due a call</strong> in the pool" in page.text
    assert "Can take work now: <strong>Iris Z</strong>" in page.text
    assert "1 waiting for a speaker of Somali" in page.text


def test_the_alarm_stands_when_someone_idle_speaks_the_language(
    clock, client, calls_lead, calls_team
):
    speaker = member(calls_team, user__first_name="Iris", user__last_name="Z")
    speaker.languages.add(somali())
    needs_somali()

    page = board(client, calls_lead)

    assert ALARM in page.text
    assert "<strong>1 due a call</strong> in the pool" in page.text
    assert "waiting for a speaker of Somali" not in page.text


def test_no_alarm_for_work_past_its_deadline_for_the_local_team(
    clock, client, calls_lead, calls_team
):
    """The sweep takes it to the local team; assignment never hands it out."""
    member(calls_team, user__first_name="Iris", user__last_name="Z")
    late = f.ContactFactory(escalate_due_at=NOW - MINUTE)
    assign_work(now=NOW)
    late.refresh_from_db()
    assert late.assignee is None

    page = board(client, calls_lead)

    assert ALARM not in page.text
    assert IDLE_TAG not in page.text
    assert page.context["board"].due == 0


def test_the_beats_count_knows_the_languages_waiting(
    clock, client, calls_lead, calls_team, redis_url
):
    """The board still reads the beat's count of the pool, not a count of its own."""
    if not django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("the cache is Redis only when REDIS_URL is set")
    member(calls_team, user__first_name="Iris", user__last_name="Z")
    needs_somali()
    count_pool_task()
    clock.shift(10 * dt.timedelta(seconds=1))

    with CaptureQueriesContext(connection) as queries:
        page = board(client, calls_lead)

    # The pool's count by age (work/pool_counts.py).
    assert not [q for q in queries if 'AS "total"' in q["sql"]]
    assert ALARM not in page.text
    assert "1 waiting for a speaker of Somali" in page.text


def test_work_for_a_language_come_since_the_beats_count_is_not_taken_from_it(
    clock, client, calls_lead, calls_team, redis_url
):
    """The beat counted one contact a minute ago; two needing a Somali speaker came
    since. The board read the languages afresh against the beat's count and showed
    "-1 due a call". The languages are now counted with the pool, by the beat: the
    board weighs one count, and the one contact Iris may be given is due."""
    if not django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("the cache is Redis only when REDIS_URL is set")
    member(calls_team, user__first_name="Iris", user__last_name="Z")
    f.ContactFactory()
    count_pool_task()
    somali_speaker_needed = somali()
    for _ in range(2):
        f.ContactFactory(
            person__needs_interpreter=True, person__language=somali_speaker_needed
        )
    clock.shift(10 * dt.timedelta(seconds=1))

    page = board(client, calls_lead)

    assert page.context["board"].due == 1
    assert page.context["board"].awaiting_speakers == []
    assert "-1 due" not in page.text
