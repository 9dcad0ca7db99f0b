"""A date of birth after the day the specimen was taken is refused, by field.

A newborn's result came with the specimen taken on 2 December and a date of birth of
6 December: the API took it (201), as the date of birth was checked only against
today. No one is swabbed before they are born: one of the two dates is a slip in the
lab's data, and the case's isolation and infectious period run from the specimen
date. Now the API refuses it (400, beside the person's date_of_birth, as its other
checks of that field say), and so does the CSV upload (the same rules:
work.result_rules). A newborn swabbed on the day they were born is taken."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from cases.models import Case
from tests.conftest import LONDON, clear_own_cache_keys
from work.result_rules import date_of_birth_problem, result_dates_errors
from work.results_csv import results_file_read

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.now(dt.datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)),
    pytest.mark.usefixtures("clock"),
]

URL = "/api/v1/test-results/"
SPECIMEN = dt.date(2026, 12, 2)
RESULT = dt.date(2026, 12, 4)
REASON = "The date of birth cannot be after the specimen date (2 Dec 2026)"


@pytest.fixture
def api(db):
    """A lab's integration, posting results."""
    clear_own_cache_keys()
    _, token = api_client_create(name="Lab", scopes=[Scope.INTAKE])
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    yield http
    clear_own_cache_keys()


def newborn(born: dt.date, ref: str = "LAB-NB-1") -> dict:
    return {
        "lab_reference": ref,
        "person": {
            "first_name": "Baby",
            "last_name": "Okafor",
            "date_of_birth": born.isoformat(),
            "phone": "07911 100601",
            "postcode": "S1 2HE",
        },
        "specimen_date": SPECIMEN.isoformat(),
        "result_date": RESULT.isoformat(),
    }


def test_a_result_born_after_its_specimen_is_400_beside_the_date_of_birth(api):
    response = api.post(URL, newborn(dt.date(2026, 12, 6)), format="json")

    assert response.status_code == 400
    [reason] = response.json()["person"]["date_of_birth"]
    assert reason.startswith(REASON)
    assert not Case.objects.exists()


@pytest.mark.parametrize("born", [SPECIMEN, SPECIMEN - dt.timedelta(days=1)])
def test_a_newborn_swabbed_on_or_after_the_day_they_were_born_is_taken(api, born):
    response = api.post(URL, newborn(born), format="json")

    assert response.status_code == 201
    assert Case.objects.get().person.date_of_birth == born


def test_one_result_of_a_batch_born_after_its_specimen_is_refused_alone(api):
    batch = [
        newborn(dt.date(2026, 12, 6), "LAB-NB-1"),
        newborn(SPECIMEN, "LAB-NB-2"),
    ]

    response = api.post(URL, batch, format="json")

    assert response.status_code == 200
    refused, taken = response.json()["results"]
    assert refused["status"] == "invalid"
    assert refused["errors"]["person"]["date_of_birth"][0].startswith(REASON)
    assert taken["status"] == "created"
    assert list(Case.objects.values_list("lab_reference", flat=True)) == ["LAB-NB-2"]


def test_a_csv_row_born_after_its_specimen_is_refused_beside_the_date_of_birth():
    header = (
        "lab_reference,first_name,last_name,date_of_birth,postcode,specimen_date,"
        "result_date"
    )
    rows = results_file_read(
        f"{header}\r\n"
        "LAB-NB-1,Baby,Okafor,2026-12-06,S1 2HE,2026-12-02,2026-12-04\r\n"
        "LAB-NB-2,Baby,Adeyemi,2026-12-02,S1 2HE,2026-12-02,2026-12-04\r\n",
        today=dt.date(2026, 12, 7),
    )

    late, same_day = rows
    assert late.result is None
    [reason] = late.errors["date of birth"]
    assert reason.startswith(REASON)
    assert same_day.errors == {}
    assert same_day.result is not None


def test_the_rule_leaves_a_specimen_date_refused_on_its_own_to_say_so():
    errors = result_dates_errors(
        specimen_date=dt.date(2026, 12, 9),
        result_date=dt.date(2026, 12, 9),
        symptom_onset=None,
        today=dt.date(2026, 12, 7),
        date_of_birth=dt.date(2026, 12, 6),
    )

    assert list(errors) == ["result_date", "specimen_date"]


def test_the_rule_says_nothing_of_a_birth_on_or_before_the_specimen_date():
    assert date_of_birth_problem(date_of_birth=SPECIMEN, specimen_date=SPECIMEN) == ""
    assert date_of_birth_problem(
        date_of_birth=SPECIMEN + dt.timedelta(days=1), specimen_date=SPECIMEN
    ).startswith(REASON)
