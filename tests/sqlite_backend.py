"""A SQLite backend of its own for a test (the embedded default's database), whatever
the test database is: a file's, to race two writers on it, or an unconnected one whose
compiler and way of writing values a test looks at."""

from __future__ import annotations

import threading

from django.db.backends.sqlite3.base import DatabaseWrapper


def sqlite_backend(path: str, options: dict | None = None) -> DatabaseWrapper:
    """A connection wrapper for the SQLite database at `path` (":memory:" for none),
    with these OPTIONS; its alias names the thread, so that threads never share one."""
    return DatabaseWrapper(
        {
            "NAME": str(path),
            "OPTIONS": dict(options or {}),
            "TIME_ZONE": None,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TEST": {},
        },
        alias=f"embedded-{threading.get_ident()}",
    )
