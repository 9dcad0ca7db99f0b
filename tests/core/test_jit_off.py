"""PostgreSQL's JIT is off on the app's connections: the costly queries (a week's
figures, exports) spent more compiling than they saved (see tracing/settings.py)."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_the_apps_connections_run_without_jit():
    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
