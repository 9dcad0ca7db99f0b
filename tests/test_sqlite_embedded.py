"""The embedded default's SQLite: a worker and the web process writing at once wait
for each other rather than fail with "database is locked".

Runs on a SQLite file of its own (whatever the test database is), with the options
the settings give the embedded default.
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import OperationalError

from tests.sqlite_backend import sqlite_backend


def race(path, options) -> list[Exception]:
    """The assignment run's shape: inside one transaction, read, then write; while
    another process commits a write in between."""
    setup = sqlite_backend(path, options)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, n)")
        cursor.execute("INSERT INTO item (n) VALUES (0)")
    setup.close()
    read_done, other_committed = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def run_assignment():
        db = sqlite_backend(path, options)
        try:
            with db.cursor() as cursor:
                cursor.execute("BEGIN " + ("IMMEDIATE" if _immediate(options) else ""))
                cursor.execute("SELECT n FROM item")
                read_done.set()
                other_committed.wait(timeout=2)
                cursor.execute("UPDATE item SET n = n + 1")
                cursor.execute("COMMIT")
        except OperationalError as exc:
            errors.append(exc)
        finally:
            db.close()

    def add_work():
        db = sqlite_backend(path, options)
        try:
            read_done.wait(timeout=5)
            with db.cursor() as cursor:
                cursor.execute("INSERT INTO item (n) VALUES (1)")
        except OperationalError as exc:
            errors.append(exc)
        finally:
            other_committed.set()
            db.close()

    threads = [
        threading.Thread(target=run_assignment),
        threading.Thread(target=add_work),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def _immediate(options) -> bool:
    return options.get("transaction_mode") == "IMMEDIATE"


@pytest.fixture
def own_sqlite(django_db_blocker):
    """These tests open SQLite files of their own, outside the test database."""
    with django_db_blocker.unblock():
        yield


def test_the_embedded_settings_never_answer_database_is_locked(tmp_path, own_sqlite):
    errors = race(tmp_path / "embedded.sqlite3", settings.SQLITE_OPTIONS)

    assert errors == []


def test_without_immediate_transactions_the_same_race_fails_at_once(
    tmp_path, own_sqlite
):
    """The failure the settings prevent, shown happening without them."""
    options = {
        k: v for k, v in settings.SQLITE_OPTIONS.items() if k != "transaction_mode"
    }

    errors = race(tmp_path / "deferred.sqlite3", options)

    assert [str(e) for e in errors] == ["database is locked"]
