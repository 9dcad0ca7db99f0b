"""A provider's outage is ridden out for the time promised (README, notify.tasks):
tries 30 s, 1, 2, 4, 8 then 10 minutes apart, some 25 minutes, before a text is
failed for good. Before, Celery's full jitter drew each wait at random below the
promised one, and texts failed after some 13 to 19 minutes."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry
from celery.utils.time import get_exponential_backoff_interval

from notify.errors import TemporaryFailure
from notify.tasks import send_message_task
from people.models import Message
from tests import factories as f
from work.tasks import safeguarding_email_task

pytestmark = pytest.mark.django_db

PROMISED = [30, 60, 120, 240, 480, 600]  # seconds between tries
RIDDEN_OUT = 25 * 60


def _waits_asked_by_the_task(monkeypatch, message: Message, recording) -> list[float]:
    """The countdown the sending task asks Celery for after each failed try."""
    asked: list[float] = []

    def retry(*, exc=None, countdown=None, **kwargs):
        asked.append(countdown)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(send_message_task, "retry", retry)
    for tried in range(send_message_task.max_retries):
        recording.reset(TemporaryFailure("503 the provider is down"))
        with pytest.raises(Retry):  # the tests' Celery raises what a task raised
            send_message_task.apply(kwargs={"message_id": message.pk}, retries=tried)
    return asked


@pytest.mark.parametrize("run", range(5))
def test_a_text_is_tried_for_the_promised_25_minutes(
    monkeypatch, recording, person, run
):
    message = f.MessageFactory(person=person)

    waits = _waits_asked_by_the_task(monkeypatch, message, recording)

    assert len(waits) == len(PROMISED)
    for wait, promised in zip(waits, PROMISED, strict=True):
        assert wait >= promised
    assert sum(waits) >= RIDDEN_OUT
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED  # still to be tried


@pytest.mark.parametrize("run", range(5))
def test_a_safeguarding_alert_is_tried_as_long_as_a_text(run):
    task = safeguarding_email_task
    waits = [
        get_exponential_backoff_interval(
            factor=int(max(1.0, task.retry_backoff)),
            retries=tried,
            maximum=task.retry_backoff_max,
            full_jitter=task.retry_jitter,
        )
        for tried in range(task.max_retries)
    ]

    assert sum(waits) >= RIDDEN_OUT
    assert all(wait >= promised for wait, promised in zip(waits, PROMISED, strict=True))
