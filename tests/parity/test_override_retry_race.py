"""An isolation override retried through the API while its first sending is still
being saved (the usual retry after a timeout: the first is slow, not lost) is the
change made, as when the retry comes after the first has finished."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from contacts.models import IsolationChange
from tests.core.conftest import committed_db  # noqa: F401
from work.isolation import isolation_override

from .conftest import case_in, hold

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db"),
]


@pytest.fixture(autouse=True)
def tasks_run_here():
    """The first sending's text is sent in its thread once it commits (no broker)."""
    from tracing.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_retry_sent_while_the_first_is_being_saved_is_the_change_made(
    requires_postgres, national_integration, caseworker
):
    _, http = national_integration
    case = hold(case_in(), caseworker)
    ends_on = timezone.localdate() + dt.timedelta(days=7)
    saving = threading.Event()

    def first_sending():
        try:
            with transaction.atomic():
                isolation_override(
                    item=case,
                    ends_on=ends_on,
                    reason="immunosuppressed",
                    clinician=caseworker,
                )
                saving.set()
                time.sleep(1)  # slow: the client times out and sends it again
        finally:
            connection.close()

    thread = threading.Thread(target=first_sending)
    thread.start()
    assert saving.wait(10)
    again = http.post(
        f"/api/v1/cases/{case.pk}/isolation/",
        {
            "ends_on": ends_on.isoformat(),
            "reason": "immunosuppressed",
            "clinician": caseworker.pk,
        },
        format="json",
    )
    thread.join()

    assert again.status_code == 200, again.content
    assert again.json()["ends_on"] == ends_on.isoformat()
    assert IsolationChange.objects.of_item(case).count() == 1
