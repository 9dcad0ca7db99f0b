"""What a supervisor sees of a CSV file of results that is not what it seems: a quote
left open (which would take the rows after it into one cell), names written with
separate accents, and dates that may have been read the wrong way round."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Case
from people.models import Person

pytestmark = pytest.mark.django_db

UPLOAD = reverse("staffing:results_upload")
CONFIRM = reverse("staffing:results_upload_confirm")
PEOPLE = reverse("staffing:people_search")
HEADER = (
    "lab_reference,first_name,last_name,date_of_birth,postcode,specimen_date,"
    "result_date,address"
)


def csv_file(*lines: str) -> SimpleUploadedFile:
    text = "\r\n".join([HEADER, *lines]) + "\r\n"
    return SimpleUploadedFile("lab.csv", text.encode(), content_type="text/csv")


@pytest.fixture
def signed_in(client, lead, clock):
    client.force_login(lead.user)
    return client


def file_errors(response) -> list[str]:
    return response.context["form"].errors["file"]


# --- a quote left open --------------------------------------------------------------


def test_a_quote_never_closed_refuses_the_file_naming_its_row(signed_in):
    response = signed_in.post(
        UPLOAD,
        {
            "file": csv_file(
                "Q-0,Dai,First,1969-01-01,S1 2HE,2026-01-10,2026-01-12,1 High St",
                'Q-1,Ann,Quote,1970-01-01,S1 2HE,2026-01-10,2026-01-12,"The Willows',
                "Q-2,Bob,Lost,1971-01-01,S1 2HE,2026-01-10,2026-01-12,5 Low St",
                "Q-3,Cat,Lost,1972-01-01,S1 2HE,2026-01-10,2026-01-12,6 Low St",
            )
        },
    )
    assert response.status_code == 200
    assert response.context["step"] == "upload"
    [error] = file_errors(response)
    assert error.startswith("Row 3 (line 3 of the file) opens a quote")
    assert "never closed" in error
    assert "Row 3 (line 3 of the file) opens a quote" in response.content.decode()


def test_a_quote_closed_rows_later_refuses_the_file(signed_in):
    response = signed_in.post(
        UPLOAD,
        {
            "file": csv_file(
                'Q-1,Ann,Quote,1970-01-01,S1 2HE,2026-01-10,2026-01-12,"The Willows',
                "Q-2,Bob,Lost,1971-01-01,S1 2HE,2026-01-10,2026-01-12,5 Low St",
                'Q-3,Cat,Lost,1972-01-01,S1 2HE,2026-01-10,2026-01-12,6 Low St"',
            )
        },
    )
    [error] = file_errors(response)
    assert error.startswith("Row 2 (line 2 of the file): its address cell runs over")
    assert "Q-2,Bob,Lost" in error


def test_an_address_over_several_lines_in_closed_quotes_is_kept(signed_in):
    response = signed_in.post(
        UPLOAD,
        {
            "file": csv_file(
                'Q-1,Ann,Quote,1970-01-01,S1 2HE,2026-01-10,2026-01-12,"The Willows\r\n'
                '2 Low Lane, Sheffield"',
                "Q-2,Bob,Kept,1971-01-01,S1 2HE,2026-01-10,2026-01-12,5 Low St",
            )
        },
    )
    preview = response.context["preview"]
    assert [item.row.number for item in preview.rows] == [2, 3]
    first = preview.rows[0].row.result
    assert first.person.address == "The Willows\r\n2 Low Lane, Sheffield"


# --- names with separate accents ------------------------------------------------------


def test_a_name_with_a_separate_accent_is_kept_composed_and_found(signed_in):
    decomposed = "Gwy\u0302nfor"
    response = signed_in.post(
        UPLOAD,
        {
            "file": csv_file(
                f"W-1,{decomposed},Llwy\u0301d,1970-01-01,S1 2HE,2026-01-10,2026-01-12,"
            )
        },
    )
    payload = response.context["confirm"].initial["payload"]
    signed_in.post(CONFIRM, {"payload": payload})
    person = Case.objects.get(lab_reference="W-1").person
    assert person.first_name == "Gw\u0177nfor"
    assert person.last_name == unicodedata.normalize("NFC", "Llwy\u0301d")
    found = signed_in.get(PEOPLE, {"q": "Gw\u0177nfor"})
    assert [row.person for row in found.context["results"]] == [person]


# --- dates --------------------------------------------------------------------------


def test_the_preview_shows_each_rows_dates_and_isolation_end(signed_in):
    response = signed_in.post(
        UPLOAD,
        {"file": csv_file("D-1,Ann,Dates,1970-01-01,S1 2HE,10/01/2026,12/01/2026,")},
    )
    [item] = response.context["preview"].rows
    assert item.row.isolation_ends_on == dt.date(2026, 1, 20)
    page = response.content.decode()
    assert "10 Jan 2026" in page
    assert "12 Jan 2026" in page
    assert "20 Jan 2026" in page


def test_a_result_date_weeks_ago_is_flagged_on_its_row(signed_in):
    # The clock stands at 14 January 2026: 1/12/2025 read day first is 1 December.
    response = signed_in.post(
        UPLOAD,
        {
            "file": csv_file(
                "D-1,Ann,Old,1970-01-01,S1 2HE,1/12/2025,1/12/2025,",
                "D-2,Bob,Recent,1971-01-01,S1 2HE,2026-01-10,2026-01-12,",
            )
        },
    )
    preview = response.context["preview"]
    old, recent = preview.rows
    assert preview.to_check == 1
    assert old.row.warnings == [
        "The result date, 1 December 2025, is more than 14 days ago: check it is not "
        "a date written month first (12/1/2026 for 1 December 2026 is read as 12 "
        "January). Isolation would end on 11 December 2025."
    ]
    assert recent.row.warnings == []
    page = response.content.decode()
    assert 'id="preview-to-check"' in page
    assert "is more than 14 days ago" in page


def test_a_result_date_in_the_future_is_refused_as_the_api_refuses_it(signed_in):
    response = signed_in.post(
        UPLOAD,
        {"file": csv_file("D-1,Ann,Ahead,1970-01-01,S1 2HE,2026-01-10,1/2/2026,")},
    )
    [item] = response.context["preview"].rows
    assert item.outcome == "invalid"
    assert item.row.errors["result date"] == [
        "The result date cannot be in the future."
    ]
    assert not Person.objects.filter(last_name="Ahead").exists()
