"""The database after a transactional test as it was after the migrations, in
milliseconds rather than seconds.

Django empties the database after each transactional test (TransactionTestCase,
pytest-django's `transactional_db` and `live_server`) with the `flush` command: a
TRUNCATE of every table, then the post_migrate signal, which writes every content
type and permission again. On PostgreSQL that took about two seconds a test, and
some three hundred tests of the suite (the browser tests, the races on real
threads) each paid it; the reference rows the migrations load (the ONS areas and
their teams, the Welsh language) were put back after it by a hook of their own.

Here, once a session's test database is migrated, the rows every table holds then
are kept in a schema of their own (`AFTER_MIGRATE`). A transactional test's teardown
deletes every row of the Django tables and copies those kept rows back: one
transaction, the foreign keys' triggers set aside for it (session_replication_role,
a superuser's setting: the test database's owner is one here and in CI). The
database is then exactly as the migrations left it, the content types' ids
included. Elsewhere (SQLite, a role that may not set it, a test with
reset_sequences, serialized_rollback or available_apps) Django's flush is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management import call_command
from django.db import connections, transaction
from django.db.utils import DatabaseError
from django.test import TransactionTestCase

AFTER_MIGRATE = "test_after_migrate"


@dataclass(frozen=True)
class _Kept:
    tables: tuple[str, ...]  # every Django table, emptied by a flush
    filled: tuple[str, ...]  # those the migrations left rows in, copied back


# By database (its settings' NAME): what its session kept after the migrations.
_kept: dict[str, _Kept] = {}


def _quoted(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def keep_after_migrate(alias: str = "default") -> None:
    """Keep the rows of every table of `alias`'s test database, as the migrations
    left them, for the teardowns of this session (PostgreSQL only)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return
    tables = tuple(
        sorted(
            connection.introspection.django_table_names(
                only_existing=True, include_views=False
            )
        )
    )
    schema = _quoted(connection, AFTER_MIGRATE)
    filled = []
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        cursor.execute(f"CREATE SCHEMA {schema}")
        for table in tables:
            name = _quoted(connection, table)
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {name})")
            if cursor.fetchone()[0]:
                cursor.execute(f"CREATE TABLE {schema}.{name} AS TABLE {name}")
                filled.append(table)
    _kept[connection.settings_dict["NAME"]] = _Kept(tables, tuple(filled))


def _put_back(alias: str) -> bool:
    """Empty `alias`'s tables and copy back the rows kept after the migrations;
    False (nothing done) where it cannot be done so."""
    connection = connections[alias]
    kept = _kept.get(connection.settings_dict["NAME"])
    if connection.vendor != "postgresql" or kept is None:
        return False
    schema = _quoted(connection, AFTER_MIGRATE)
    emptied = "".join(
        f"DELETE FROM {_quoted(connection, table)};" for table in kept.tables
    )
    filled = "".join(
        f"INSERT INTO {_quoted(connection, table)} "
        f"TABLE {schema}.{_quoted(connection, table)};"
        for table in kept.filled
    )
    try:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(emptied + filled)
    except DatabaseError:
        return False  # not a superuser, say: Django's flush instead
    return True


def _fixture_teardown(
    original: Callable[[TransactionTestCase], None],
) -> Callable[[TransactionTestCase], None]:
    def teardown(self: TransactionTestCase) -> None:
        plain = (
            self.available_apps is None
            and not self.serialized_rollback
            and not self.reset_sequences
        )
        if not plain:
            original(self)
            return
        for alias in self._databases_names(include_mirrors=False):
            if not _put_back(alias):
                call_command(
                    "flush",
                    verbosity=0,
                    interactive=False,
                    database=alias,
                    reset_sequences=False,
                    allow_cascade=False,
                    inhibit_post_migrate=False,
                )

    return teardown


def install() -> Any:
    """Use the kept rows in every transactional test's teardown, for the session."""
    original = TransactionTestCase._fixture_teardown
    TransactionTestCase._fixture_teardown = _fixture_teardown(original)  # type: ignore[method-assign]
    return original
