"""A day's file of 1,000 results is previewed well inside a web worker's timeout:
each row is weighed only against the people that could be the same person as the
earlier rows leave them (sharing an NHS number, date of birth, phone or email), and
the people held are looked up for all the rows in one go."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db

UPLOAD = reverse("staffing:results_upload")
HEADER = (
    "lab_reference,first_name,last_name,date_of_birth,phone,postcode,"
    "specimen_date,result_date"
)
FIRST = ["Ann", "Bilal", "Ceri", "Dewi", "Ewa", "Femi", "Gwen", "Hari", "Ines", "Jon"]
LAST = ["Khan", "Jones", "Smith", "Nowak", "Okafor", "Evans", "Patel", "Lee"]


def day_file(rows: int = 1000) -> SimpleUploadedFile:
    """A lab's day: mostly different people, some born on the same day, some the
    same person tested twice (the same name, date of birth and phone)."""
    lines = [HEADER]
    for n in range(rows):
        person = n - 7 if n % 10 == 9 else n  # every tenth row: row n-7 again
        born = dt.date(1940, 1, 1) + dt.timedelta(days=(person * 37) % 20000)
        lines.append(
            f"SPEED-{n},{FIRST[person % 10]}{person},{LAST[person % 8]},"
            f"{born:%Y-%m-%d},07911 1{person:05d},S1 2HE,"
            "2026-01-10,2026-01-12"
        )
    return SimpleUploadedFile(
        "day.csv", ("\r\n".join(lines) + "\r\n").encode(), content_type="text/csv"
    )


@pytest.fixture
def held_some(db):
    """People already held whom some rows are."""
    for person in range(0, 1000, 50):
        born = dt.date(1940, 1, 1) + dt.timedelta(days=(person * 37) % 20000)
        f.PersonFactory(
            first_name=f"{FIRST[person % 10]}{person}",
            last_name=LAST[person % 8],
            date_of_birth=born,
        )


def test_a_thousand_rows_are_previewed_in_work_that_grows_with_the_rows(
    client, lead, clock, held_some, monkeypatch, django_assert_max_num_queries
):
    """Before, each row was weighed against every earlier new row (some 500,000
    pairs for 1,000 rows, about 35 s, past a web worker's 30 s timeout) and the
    people held were looked up one row at a time. The work is counted here,
    not timed."""
    import work.results_csv

    weighed: list[int] = []
    real = work.results_csv._weighed

    def counted(arrival, people, **kwargs):
        people = list(people)
        weighed.append(len(people))
        return real(arrival, people, **kwargs)

    monkeypatch.setattr(work.results_csv, "_weighed", counted)
    client.force_login(lead.user)
    with django_assert_max_num_queries(60):
        response = client.post(UPLOAD, {"file": day_file()})
    assert response.status_code == 200
    preview = response.context["preview"]
    assert len(preview.rows) == 1000, preview.rows[0].row.errors
    assert not preview.errors, preview.rows[0].row.errors
    # The same person again is still found, and the people held.
    assert sum(1 for item in preview.rows if item.same_person_as) == 100
    assert sum(1 for item in preview.rows if item.duplicates) == 20
    # Each row weighed again (when an earlier row may change its answer) against
    # the few people sharing a key with it, not every earlier row.
    assert sum(weighed) < 5_000, f"{sum(weighed):,} people weighed"
