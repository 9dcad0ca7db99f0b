"""Two people acting at once, in tests: each job in a thread of its own with its own
database connection, as two requests or a request and a task are."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def side_by_side(*jobs: Callable[[], object]) -> list[BaseException]:
    """Run the jobs at once, each in its own thread (and connection, closed after);
    return what any of them raised, for the test to assert there was nothing."""
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            job()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
