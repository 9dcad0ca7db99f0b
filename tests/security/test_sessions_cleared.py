"""Ended sessions (and any typing kept in them) are not kept: the beat clears them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tasks import clear_expired_sessions_task
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_ended_sessions_and_their_typing_are_cleared(caseworker):
    """Before: nothing ever removed a session once it had ended, typing and all."""
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    ended = Client()
    ended.force_login(caseworker)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    ended.post(reverse("cases:call", args=[case.pk]), {"notes": "Rang twice"})
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert Session.objects.count() == 2  # the ended one, and the one keeping typing
    current = Client()
    current.force_login(caseworker)

    clear_expired_sessions_task()

    assert list(Session.objects.values_list("session_key", flat=True)) == [
        current.session.session_key
    ]
