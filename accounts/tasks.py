"""The sessions' Celery task: an ended session is not kept."""

from __future__ import annotations

from importlib import import_module

from celery import shared_task
from django.conf import settings


@shared_task(name="accounts.tasks.clear_expired_sessions_task")
def clear_expired_sessions_task() -> None:
    """Remove the sessions past their expiry (Django's clearsessions), with what they
    hold: typing kept after a session ended is kept no longer than the session that
    keeps it (its idle time), and an ended session's row is no longer needed once
    its browser could have come back to it. Idempotent: a second run finds none."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
