"""A cache that does not answer (Redis down, or hung) while a merge, an erasure, an
undone merge or an area moved to another team forgets the cached weekly figures:
the change is saved and the page says so as usual (the outage is logged), never a
"Server Error (500)" for a change that was in fact made. And the figures cached
before it are not served once the cache is back, though the cache missed the
forgetting: it is kept in the database, and the next read works the week out
again."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import redis
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from areas.models import Area
from cases.models import Case
from cases.workitem import Route, Status
from figures.weekly import Period, Scope, forget_cached_figures, weekly_figures
from people.models import Person, PersonMerge, PossibleDuplicate
from tests import factories as f
from tests.admin.test_staff_changes_audited import save_in_admin
from work.merge import person_merge

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2021, 1, 12, 10, 0, tzinfo=LONDON)
BORN = dt.date(1985, 6, 14)
SHEFFIELD, LEEDS = "E08000019", "E08000035"

pytestmark = [pytest.mark.now(NOW), pytest.mark.django_db]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_down() -> Iterator[None]:
    """Redis is down: the cache points at a port nobody listens on (refused)."""
    location = f"redis://127.0.0.1:{_closed_port()}/0"
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with override_settings(CACHES=caches):
        yield


@contextmanager
def redis_hung() -> Iterator[None]:
    """Redis is hung: every command times out (CLIENT PAUSE, a full network)."""
    timeout = redis.exceptions.TimeoutError("Timeout reading from socket")
    with mock.patch.object(redis.Redis, "execute_command", side_effect=timeout):
        yield


OUTAGES = {"down": redis_down, "hung": redis_hung}


@pytest.fixture(params=sorted(OUTAGES))
def outage(request):
    return OUTAGES[request.param]


def _person(first_name: str, phone: str) -> Person:
    return f.PersonFactory(
        first_name=first_name,
        last_name="Jones",
        date_of_birth=BORN,
        phone=phone,
        email="",
    )


@pytest.fixture
def pair(db) -> PossibleDuplicate:
    """Two records of one woman, each a contact of a case."""
    one, other = _person("Sarah", "+447911100111"), _person("Sara", "+447911100222")
    f.ContactFactory(person=one)
    f.ContactFactory(person=other)
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.7,
        reasons=["same date of birth"],
        created_at=timezone.now(),
    )


# Keep record a, with its name and phone (the two records differ in those).
MERGE_CHOICES = {"survivor": "a", "first_name": "a", "phone": "a", "confirm": "1"}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_supervisor_confirming_a_merge_sees_it_merged(
    clock, client, supervisor, pair, outage
):
    client.force_login(supervisor)
    url = reverse("staffing:duplicate_merge", args=[pair.pk])

    with outage():
        response = client.post(url, MERGE_CHOICES)

    assert response.status_code == 302
    assert response.url == reverse("staffing:duplicates")
    assert any(m.startswith("Merged:") for m in _messages(response))
    assert Person.objects.get(pk=pair.person_b_id).merged_into_id == pair.person_a_id


def test_an_administrator_undoing_a_merge_sees_it_undone(
    clock, admin_client, supervisor, pair, outage
):
    a, b = pair.person_a, pair.person_b
    merge = person_merge(pair=pair, survivor=a, fields={}, by=supervisor)
    changelist = reverse("admin:people_personmerge_changelist")

    with outage():
        response = admin_client.post(
            changelist, {"action": "undo", ACTION_CHECKBOX_NAME: [merge.pk]}
        )

    assert response.status_code == 302
    assert any(m.startswith("Undone:") for m in _messages(response))
    assert Person.objects.get(pk=b.pk).merged_into is None
    assert PersonMerge.objects.get(pk=merge.pk).undone_by is not None


def completed_case() -> Case:
    created = dt.datetime(2020, 12, 26, 9, 0, tzinfo=LONDON)
    return f.CaseFactory(
        person=f.PersonFactory(area=f.area(SHEFFIELD)),
        created_at=created,
        status=Status.COMPLETED,
        reached_at=created + dt.timedelta(hours=2),
        reached_route=Route.NATIONAL,
        completed_at=created + dt.timedelta(hours=3),
        next_attempt_at=None,
        escalate_due_at=None,
    )


def test_an_administrator_erasing_a_person_sees_it_erased(
    clock, admin_client, outage, django_capture_on_commit_callbacks
):
    erased = completed_case()
    url = reverse("admin:people_person_changelist")
    chosen = {"action": "erase_person", ACTION_CHECKBOX_NAME: [erased.person_id]}

    with outage(), django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {**chosen, "apply": "1", "reason": "error"})

    assert response.status_code == 302
    assert any(m.startswith("Erased:") for m in _messages(response))
    assert not Person.objects.filter(pk=erased.person_id).exists()


def test_an_administrator_moving_an_area_sees_it_moved(
    clock, admin_client, outage, django_capture_on_commit_callbacks
):
    leeds = f.area(LEEDS)
    sheffield_team = f.area(SHEFFIELD).local_team

    with outage(), django_capture_on_commit_callbacks(execute=True):
        save_in_admin(admin_client, leeds, local_team=sheffield_team.pk)

    assert Area.objects.get(pk=leeds.pk).local_team_id == sheffield_team.pk


# --- once the cache is back ----------------------------------------------------

# 24 to 30 December 2020: settled by NOW, so cached for a day.
SETTLED = Period(dt.date(2020, 12, 24))
# 7 to 13 January 2021: still open at NOW, cached for minutes.
OPEN = Period.containing(NOW.date())


def transferred() -> int:
    return weekly_figures(period=SETTLED, scope=Scope.england()).cases.transferred


def identified() -> int:
    return weekly_figures(period=OPEN, scope=Scope.england()).contacts.identified


def test_an_erased_person_is_not_counted_once_the_cache_is_back(
    clock, admin_client, outage, django_capture_on_commit_callbacks
):
    completed_case()
    erased = completed_case()
    assert transferred() == 2  # and cached for the day
    url = reverse("admin:people_person_changelist")
    chosen = {"action": "erase_person", ACTION_CHECKBOX_NAME: [erased.person_id]}

    with outage(), django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {**chosen, "apply": "1", "reason": "error"})

    assert transferred() == 1


def test_a_merged_person_is_counted_once_once_the_cache_is_back(
    clock, client, supervisor, pair, outage
):
    assert identified() == 2  # and cached for minutes
    client.force_login(supervisor)
    url = reverse("staffing:duplicate_merge", args=[pair.pk])

    with outage():
        client.post(url, MERGE_CHOICES)

    assert identified() == 1


def test_the_figures_are_cached_again_after_the_outage(
    clock, django_assert_num_queries
):
    """Forgotten during an outage, the figures are worked out once and then read
    from the cache again (one read of the marker a request)."""
    completed_case()
    transferred()
    with redis_down():
        forget_cached_figures()
    assert transferred() == 1

    with django_assert_num_queries(1):  # the marker; the figures from the cache
        assert transferred() == 1
