"""The confirm of "publish slots for the gap" sent twice at once (a double click, two
tabs) publishes the slots once: before, both requests saw the gap uncovered and the
team got twice the slots."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from figures import capacity_selectors
from staffing.models import Shift
from tests.conftest import ensure_ons_areas

from .test_pages import (  # noqa: F401 (fixtures)
    _calls_at_any_hour,
    fortnight,
    preview,
    rota_tomorrow,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "rota_tomorrow"),
]


@pytest.fixture(autouse=True)
def _areas(transactional_db):
    ensure_ons_areas()


def test_a_confirm_sent_twice_at_once_publishes_once(lead, monkeypatch):
    # Each works out the gap slowly, so both have it before either publishes.
    worked_out = capacity_selectors.capacity

    def slowly(**kwargs):
        plan = worked_out(**kwargs)
        time.sleep(0.5)
        return plan

    first = Client()
    first.force_login(lead.user)
    digest = preview(first).context["digest"]
    monkeypatch.setattr(capacity_selectors, "capacity", slowly)
    start = threading.Barrier(2)
    answers: list[int] = []
    errors: list[BaseException] = []

    def confirm() -> None:
        try:
            client = Client()
            client.force_login(lead.user)
            start.wait()
            answers.append(preview(client, plan=digest, confirm="1").status_code)
        except BaseException as exc:  # reported in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert sorted(answers) == [200, 302]  # the second: "the gap has changed"
    assert Shift.objects.filter(team=lead.team, status=Shift.Status.OPEN).count() == 4
