"""A batch of results whose database connection is cut while its last item is
written: the lab is told the truth (a 503 to send again, nothing reported saved),
never a 200 listing items the rolled-back transaction took with it."""

from __future__ import annotations

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from cases.models import Case

from .conftest import result_payload

URL = "/api/v1/test-results/"

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="cuts a PostgreSQL connection",
)


def _terminate(pid: int) -> None:
    """Cut a backend from outside, as a failover or a network fault would."""
    params = connection.get_connection_params()
    other = psycopg2.connect(
        **{k: v for k, v in params.items() if k != "cursor_factory"}
    )
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def _cut_on_insert_of(lab_reference: str):
    """An execute wrapper cutting this connection just before the INSERT of the
    case with that lab reference."""

    def wrapper(execute, sql, params, many, context):
        if (
            sql.startswith('INSERT INTO "cases_case"')
            and params
            and lab_reference in [str(p) for p in params]
        ):
            with context["connection"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                (pid,) = cursor.fetchone()
            _terminate(pid)
        return execute(sql, params, many, context)

    return wrapper


@pytest.mark.django_db(transaction=True)
def test_a_connection_cut_on_the_last_item_is_a_503_and_nothing_is_said_saved(api):
    batch = [result_payload(f"LAB-CUT-{n}") for n in range(3)]

    with connection.execute_wrapper(_cut_on_insert_of("LAB-CUT-2")):
        response = api.post(URL, batch, format="json")

    connection.close()  # the test's own next query reconnects
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.json()
    assert "nothing of it was saved" in body["detail"]
    assert "results" not in body  # no item reported created
    assert not Case.objects.filter(lab_reference__startswith="LAB-CUT-").exists()

    # Sent again whole, the batch is made, once.
    again = api.post(URL, batch, format="json")
    assert again.status_code == 200
    assert again.json()["created"] == 3
    assert Case.objects.filter(lab_reference__startswith="LAB-CUT-").count() == 3
