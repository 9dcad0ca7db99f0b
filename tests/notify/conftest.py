"""Messages are written to a folder of the test's own, unless a test says otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import factories as f

from .fakes import RecordingBackend

RECORDING = "tests.notify.fakes.RecordingBackend"


@pytest.fixture(autouse=True)
def sent_dir(settings, tmp_path) -> Path:
    """The file backend (the default) writes under the test's temporary folder."""
    settings.NOTIFY_FILE_DIR = str(tmp_path / "messages")
    settings.NOTIFY_SMS_BACKEND = "notify.backends.FileBackend"
    settings.NOTIFY_EMAIL_BACKEND = "notify.backends.FileBackend"
    return Path(settings.NOTIFY_FILE_DIR)


@pytest.fixture
def recording(settings):
    """Both channels go to RecordingBackend; `recording.reset(*answers)` scripts it."""
    settings.NOTIFY_SMS_BACKEND = RECORDING
    settings.NOTIFY_EMAIL_BACKEND = RECORDING
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()


@pytest.fixture
def person(db):
    return f.PersonFactory(phone="+447700900123", email="ada@example.org")
