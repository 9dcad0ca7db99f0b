"""The pool by age on the supervisor's board: the beat's count of the last minute,
shown with its time; counted afresh when the beat's is missing or old, when the
cache does not answer, and after the supervisor's own move in or out of the pool."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.workitem import Status
from tests import factories as f
from work.tasks import count_pool_task

from .conftest import NOW, member

pytestmark = pytest.mark.django_db
SECOND = dt.timedelta(seconds=1)
DEAD_REDIS = "redis://127.0.0.1:6399/0"
# The pool's count by age (work/pool_counts.py), of either kind.
POOL_COUNT = 'AS "total"'


@pytest.fixture(autouse=True)
def _redis(redis_url):
    """The count is kept in the cache, Redis (REDIS_URL set, as in CI)."""
    if not django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("the cache is Redis only when REDIS_URL is set")


def board(client):
    return client.get(reverse("staffing:dashboard"))


def test_the_board_shows_the_beats_count_with_the_time_it_was_made(clock, client, lead):
    f.CaseFactory(created_at=NOW - 2 * dt.timedelta(hours=1))
    f.CaseFactory(created_at=NOW - 30 * dt.timedelta(hours=1))
    f.ContactFactory(
        created_at=NOW - 5 * dt.timedelta(hours=1), case__status=Status.COMPLETED
    )
    assert count_pool_task() == {"cases": 2, "contacts": 1}
    clock.shift(40 * SECOND)
    f.CaseFactory()  # arrives after the count: shown at the next
    client.force_login(lead.user)

    with CaptureQueriesContext(connection) as queries:
        page = board(client)

    assert not [q for q in queries if POOL_COUNT in q["sql"]]

    cases, contacts = page.context["board"].backlogs
    assert [n for _, n in cases.buckets] == [0, 1, 0, 0, 1]
    assert (cases.total, contacts.total) == (2, 1)
    assert page.context["board"].waiting == 2
    assert "the work waiting counted at 10:00:00" in page.text
    assert "Updated 10:00:40" in page.text


def test_a_count_older_than_a_minute_and_a_half_is_not_shown(clock, client, lead):
    f.CaseFactory()
    count_pool_task()
    clock.shift(91 * SECOND)  # the beat has stopped
    f.CaseFactory()
    client.force_login(lead.user)

    page = board(client)

    assert page.context["board"].waiting == 2
    assert "counted at" not in page.text


def test_with_no_count_from_the_beat_the_board_counts_the_pool_itself(
    clock, client, lead
):
    f.CaseFactory()
    f.CaseFactory()
    client.force_login(lead.user)

    first = board(client)
    f.CaseFactory()
    with CaptureQueriesContext(connection) as queries:
        second = board(client)

    # Nothing kept by a board: each view counts afresh.
    assert (first.context["board"].waiting, second.context["board"].waiting) == (2, 3)
    assert len([q for q in queries if POOL_COUNT in q["sql"]]) == 2
    assert "counted at" not in second.text


def test_the_supervisors_own_move_shows_at_once(
    clock, client, lead, clinical_team, django_capture_on_commit_callbacks
):
    taker = member(clinical_team)
    waiting = [f.CaseFactory(), f.CaseFactory(), f.CaseFactory()]
    count_pool_task()
    clock.shift(10 * SECOND)
    client.force_login(lead.user)
    assert board(client).context["board"].waiting == 3

    with django_capture_on_commit_callbacks(execute=True):
        moved = client.post(
            reverse("staffing:work"),
            {"items": [waiting[0].pk], "to": str(taker.pk), "reason": "Urgent"},
        )
    assert moved.status_code == 302
    waiting[0].refresh_from_db()
    assert (waiting[0].status, waiting[0].assignee) == (Status.ASSIGNED, taker.user)

    page = board(client)
    assert page.context["board"].waiting == 2
    assert "counted at" not in page.text


def test_a_cache_that_does_not_answer_means_counting_not_an_error(
    clock, client, lead, settings
):
    f.CaseFactory()
    client.force_login(lead.user)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "KEY_PREFIX": "x",
        }
    }

    assert count_pool_task() == {"cases": 1, "contacts": 0}
    page = board(client)

    assert page.status_code == 200
    assert page.context["board"].waiting == 1


def test_the_beat_counts_the_pool_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["count-pool"]
    assert entry["task"] == count_pool_task.name
    assert entry["schedule"] == dt.timedelta(minutes=1)
    # A tick left waiting past the next one is dropped: the next one counts.
    assert entry["options"]["expires"] < 60
