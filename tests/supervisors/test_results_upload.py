"""A supervisor uploads a CSV file of test results: a preview of every row (its errors,
or what confirming would do and whom it would link to) that writes nothing, then one
confirm through intake; the same file twice makes nothing new."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Case, FurtherResult
from pages.staff import results_upload
from people.models import Person, PossibleDuplicate
from tests import factories as f
from work import results_csv
from work.results_csv import ResultsFileError, results_file_read

pytestmark = pytest.mark.django_db

UPLOAD = reverse("staffing:results_upload")
CONFIRM = reverse("staffing:results_upload_confirm")
DONE = reverse("staffing:results_upload_done")

HEADER = (
    "lab_reference,first_name,last_name,date_of_birth,phone,postcode,"
    "specimen_date,result_date"
)
# The supervisors' clock stands at 14 January 2026.
GOOD_NEW = "LAB-1,Zoe,Newman,1990-02-03,,S1 1AA,2026-01-10,2026-01-12"
GOOD_HELD = "LAB-2,Amira,Khan,1985-06-14,07911 123456,,2026-01-10,2026-01-12"
BAD_DATE = "LAB-3,Ben,Oduya,1970-01-01,,,2026-13-01,2026-01-12"
BAD_POSTCODE = "LAB-4,Cara,Lund,1971-01-01,,NOT A CODE,2026-01-10,2026-01-12"
NO_FIRST_NAME = "LAB-5,,Marsh,1972-01-01,,,2026-01-10,2026-01-12"
REPEAT = GOOD_NEW
CONFLICT = "LAB-ON-FILE,Dan,Other,1960-05-05,,,2026-01-10,2026-01-12"


def csv_file(*rows: str, header: str = HEADER, bom: bool = False, name="lab.csv"):
    text = "\r\n".join([header, *rows]) + "\r\n"
    content = ("\ufeff" + text if bom else text).encode()
    return SimpleUploadedFile(name, content, content_type="text/csv")


def upload(client, file):
    return client.post(UPLOAD, {"file": file})


def confirm(client, preview_response):
    payload = preview_response.context["confirm"].initial["payload"]
    return client.post(CONFIRM, {"payload": payload})


@pytest.fixture
def held(db) -> Person:
    return f.PersonFactory(
        first_name="Amira",
        last_name="Khan",
        date_of_birth=dt.date(1985, 6, 14),
        phone="+447911123456",
        postcode="S1 2HE",
    )


@pytest.fixture
def on_file(db) -> Case:
    """A case whose lab reference the file sends again for someone else."""
    return f.CaseFactory(
        lab_reference="LAB-ON-FILE",
        person=f.PersonFactory(
            first_name="Eve", last_name="Held", date_of_birth=dt.date(1961, 1, 1)
        ),
        specimen_date=dt.date(2026, 1, 10),
        result_date=dt.date(2026, 1, 12),
    )


@pytest.fixture
def signed_in(client, lead, clock):
    client.force_login(lead.user)
    return client


@pytest.fixture
def mixed_file():
    return csv_file(
        GOOD_NEW, GOOD_HELD, BAD_DATE, BAD_POSTCODE, NO_FIRST_NAME, REPEAT, CONFLICT
    )


@pytest.fixture
def previewed(signed_in, held, on_file, mixed_file):
    return upload(signed_in, mixed_file)


def outcomes(response) -> dict[int, object]:
    return {item.row.number: item for item in response.context["preview"].rows}


# --- the preview ----------------------------------------------------------------------


def test_preview_writes_no_case_or_person(signed_in, held, on_file, mixed_file):
    cases, people = Case.objects.count(), Person.objects.count()
    response = upload(signed_in, mixed_file)
    assert response.status_code == 200
    assert (Case.objects.count(), Person.objects.count()) == (cases, people)
    assert not PossibleDuplicate.objects.exists()


def test_preview_counts_what_confirming_would_do(previewed):
    preview = previewed.context["preview"]
    assert preview.to_create == 2
    assert preview.received == 0
    assert preview.conflicts == 1
    assert preview.errors == 3
    assert preview.repeated == 1
    assert 'id="count-create">2<' in previewed.content.decode()


def test_preview_names_the_held_person_a_row_would_link_to(previewed, held):
    row = outcomes(previewed)[3]
    assert row.outcome == "new case"
    assert row.person == held
    assert "same date of birth" in row.why
    assert "same phone" in row.why
    assert "for <strong>Amira Khan</strong>" in previewed.content.decode()


def test_preview_says_a_new_person_for_someone_not_held(previewed):
    row = outcomes(previewed)[2]
    assert row.outcome == "new case"
    assert row.person is None
    assert "for a new person, Zoe Newman" in previewed.content.decode()


def test_preview_says_a_row_is_the_new_person_of_an_earlier_row_and_what_differs(
    signed_in,
):
    # The same NHS number on two rows (and the same date of birth: the names need
    # not agree, people/matching.py): confirming makes one person of both, keeping
    # the first row's name. Both said "for a new person", and the second name went.
    # Their specimens are of one episode: the later rows are further results of the
    # first's new case, and still say whose they are and what differs.
    header = f"{HEADER},nhs_number"
    response = upload(
        signed_in,
        csv_file(
            "PRV1,Olu,Adeyemi,1980-01-01,,,2026-01-10,2026-01-12,401 023 2137",
            "PRV2,Kim,Park,1980-01-01,,,2026-01-10,2026-01-12,4010232137",
            "PRV3,Olu,Adeyemi,1980-01-01,,,2026-01-11,2026-01-12,4010232137",
            header=header,
        ),
    )

    rows = outcomes(response)
    html = response.content.decode()
    assert (rows[2].person, rows[2].same_person_as) == (None, None)
    assert rows[2].outcome == "new case"
    assert rows[3].same_person_as == 2
    assert set(rows[3].differing) == {"first name", "last name"}
    assert (rows[4].same_person_as, rows[4].differing) == (2, [])
    assert [(rows[n].outcome, rows[n].with_case_of_row) for n in (3, 4)] == [
        ("further result", 2),
        ("further result", 2),
    ]
    assert (
        "Kept with the new case of row 2, for the same new person as row 2 "
        "(the same NHS number)" in html
    )
    assert "differ from that row" in html


def test_preview_says_a_row_the_rules_link_to_an_earlier_new_row_is_that_person(
    signed_in,
):
    """The same woman on two rows, her date and phone written another way and no NHS
    number: both said "for a new person", and confirming made one (and one case: her
    second row is a further result of it)."""
    response = upload(
        signed_in,
        csv_file(
            "CSV-A1,Gwen,Evans,1980-02-02,07911 200001,S1 1AA,2026-01-10,2026-01-12",
            "CSV-A2,Gwen,Evans,02/02/1980,+44 7911 200001,s11aa,2026-01-11,2026-01-12",
            "CSV-A3,Amir,Patel,2001-01-01,07911 200002,,2026-01-10,2026-01-12",
            "CSV-A4,Amira,Patel,2001-01-01,07911 200002,,2026-01-10,2026-01-12",
        ),
    )

    rows = outcomes(response)
    assert (rows[2].person, rows[2].same_person_as) == (None, None)
    assert rows[3].same_person_as == 2
    assert (rows[3].outcome, rows[3].with_case_of_row) == ("further result", 2)
    assert "for the same new person as row 2 (same date of birth, same name, same " in (
        response.content.decode()
    )
    # Twins are not linked: a new person each.
    assert rows[5].same_person_as is None


def test_preview_gives_each_bad_row_its_field_errors(previewed):
    rows = outcomes(previewed)
    assert rows[4].outcome == "invalid"
    assert rows[4].row.errors == {"specimen date": [results_csv.DATE_ERROR]}
    assert rows[5].row.errors == {
        "postcode": ["Enter a full UK postcode, such as SW1A 1AA."]
    }
    assert rows[6].row.errors == {"first name": ["Enter the first name."]}
    page = previewed.content.decode()
    assert "Postcode: Enter a full UK postcode" in page
    assert "First name: Enter the first name." in page


def test_preview_tells_a_reference_repeated_in_the_file(previewed):
    row = outcomes(previewed)[7]
    assert (row.outcome, row.repeats, row.differing) == ("repeated", 2, [])
    assert "The same result as row 2: added once." in previewed.content.decode()


def test_preview_tells_a_conflict_with_a_case_on_file_and_which_fields(
    previewed, on_file
):
    row = outcomes(previewed)[8]
    assert row.outcome == "conflict"
    assert row.case == on_file
    assert row.differing == ["first name", "last name", "date of birth"]
    assert "which differs in first name, last name, date of birth: not added" in (
        previewed.content.decode()
    )


def test_preview_lists_a_possible_duplicate_for_a_new_person(signed_in):
    twin = f.PersonFactory(
        first_name="Jonathan",
        last_name="Smith",
        date_of_birth=dt.date(1980, 3, 3),
        phone="+447911123458",
        postcode="S1 1AA",
    )
    response = upload(
        signed_in,
        csv_file("LAB-9,Jonathon,Smith,1980-03-03,07911 123457,,2026-01-10,2026-01-12"),
    )
    row = outcomes(response)[2]
    assert (row.outcome, row.person) == ("new case", None)
    assert [c.person for c in row.duplicates] == [twin]
    assert "Possible duplicate of <strong>Jonathan Smith</strong>" in (
        response.content.decode()
    )


def test_preview_of_people_across_many_areas_asks_for_no_area(signed_in):
    """The preview only needs each postcode written the way intake stores it; it
    used to fetch the area of every postcode in the file, one query for each."""
    postcodes = ["S1 2HE", "LS1 4DY", "M1 1AE", "SW1A 1AA", "S70 2TA", "CA1 1AA"]
    rows = [
        f"LAB-A{n},First{n},Last{n},1960-01-0{n + 1},,{code.lower().replace(' ', '')},"
        "2026-01-10,2026-01-12"
        for n, code in enumerate(postcodes)
    ]
    f.PersonFactory(
        first_name="First0",
        last_name="Last0",
        date_of_birth=dt.date(1960, 1, 1),
        postcode="S1 2HE",
    )
    with CaptureQueriesContext(connection) as queries:
        response = upload(signed_in, csv_file(*rows))

    assert response.context["preview"].to_create == len(postcodes)
    first = outcomes(response)[2]  # line 1 is the header
    assert first.person is not None
    assert "same postcode" in first.why
    assert not [q["sql"] for q in queries if '"areas_area"' in q["sql"]]


def test_preview_is_audited_as_a_list_view_of_the_people_shown(
    previewed, held, on_file, lead
):
    viewed = AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW,
        user=lead.user,
        detail__list="results upload preview",
    )
    assert set(viewed.values_list("person_id", flat=True)) == {
        held.pk,
        on_file.person_id,
    }


# --- confirming -----------------------------------------------------------------------


def test_confirm_creates_exactly_the_good_rows_from_csv(previewed, held):
    people = Person.objects.count()
    response = confirm(previewed.client, previewed)
    assert response.status_code == 302
    assert response["Location"] == DONE
    made = Case.objects.exclude(lab_reference="LAB-ON-FILE")
    assert sorted(made.values_list("lab_reference", "source")) == [
        ("LAB-1", "csv"),
        ("LAB-2", "csv"),
    ]
    assert made.get(lab_reference="LAB-2").person == held
    assert Person.objects.count() == people + 1  # Zoe Newman only


def test_confirm_writes_each_new_case_create_event(previewed, lead):
    confirm(previewed.client, previewed)
    created = AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_type="cases.case", user=lead.user
    )
    assert sorted(created.values_list("detail__source", flat=True)) == ["csv", "csv"]


def test_confirm_shows_what_became_of_each_row(previewed):
    response = previewed.client.get(confirm(previewed.client, previewed)["Location"])
    assert response.status_code == 200
    assert response.context["created"] == 2
    assert response.context["existing"] == 1  # the row repeated in the file
    assert response.context["refused"] == 1  # the conflict
    assert response.context["not_sent"] == 3
    statuses = {row["number"]: row["status"] for row in response.context["outcomes"]}
    assert statuses == {
        2: "created",
        3: "created",
        4: "not sent",
        5: "not sent",
        6: "not sent",
        7: "existing",
        8: "refused",
    }


def test_the_same_file_confirmed_twice_creates_nothing_new(signed_in, held):
    file = csv_file(GOOD_NEW, GOOD_HELD)
    first = upload(signed_in, file)
    confirm(signed_in, first)
    cases, people = Case.objects.count(), Person.objects.count()
    assert cases == 2
    confirm(signed_in, first)
    assert (Case.objects.count(), Person.objects.count()) == (cases, people)
    done = signed_in.get(DONE)
    assert (done.context["created"], done.context["existing"]) == (0, 2)
    # Said as it is: before, the heading said "Results added" with none added.
    assert "No new results added</h1>" in done.text
    assert "Results added" not in done.text


def test_the_same_file_uploaded_again_previews_every_row_as_already_received(
    signed_in, held
):
    confirm(signed_in, upload(signed_in, csv_file(GOOD_NEW, GOOD_HELD)))
    again = upload(signed_in, csv_file(GOOD_NEW, GOOD_HELD))
    preview = again.context["preview"]
    assert [row.outcome for row in preview.rows] == ["already received"] * 2
    assert preview.to_create == 0
    assert "Confirm and add" not in again.content.decode()


def test_a_tampered_payload_is_refused_and_writes_nothing(previewed):
    payload = previewed.context["confirm"].initial["payload"]
    tampered = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    cases = Case.objects.count()
    response = previewed.client.post(CONFIRM, {"payload": tampered})
    assert response.status_code == 200
    assert "not what was shown. Upload the file again." in response.content.decode()
    assert response.context["form"].errors["file"]
    assert Case.objects.count() == cases


def test_a_payload_signed_for_another_supervisor_is_refused(
    previewed, client, clinical_team
):
    other = f.StaffProfileFactory(clinical=True, is_supervisor=True, team=clinical_team)
    payload = previewed.context["confirm"].initial["payload"]
    previewed.client.force_login(other.user)
    response = previewed.client.post(CONFIRM, {"payload": payload})
    assert "not what was shown" in response.content.decode()
    assert not Case.objects.filter(lab_reference="LAB-1").exists()


def test_an_expired_preview_is_refused(previewed, clock, monkeypatch):
    # Shorter than a session's idle time, so the session outlives the preview.
    monkeypatch.setattr(results_upload, "PREVIEW_MAX_AGE", 10 * 60)
    clock.shift(dt.timedelta(minutes=11))
    response = confirm(previewed.client, previewed)
    assert "This preview has expired: a file is confirmed within 10 minutes" in (
        response.content.decode()
    )
    assert not Case.objects.filter(lab_reference="LAB-1").exists()


# --- further results of the same episode ----------------------------------------------


@pytest.fixture
def held_case(held) -> Case:
    """Amira Khan's case, its specimen four days before the file's row of hers."""
    return f.CaseFactory(
        lab_reference="HELD-CASE",
        person=held,
        specimen_date=dt.date(2026, 1, 6),
        result_date=dt.date(2026, 1, 7),
    )


def test_preview_says_a_row_of_a_person_with_a_case_is_a_further_result(
    signed_in, held_case
):
    response = upload(signed_in, csv_file(GOOD_NEW, GOOD_HELD))

    rows = outcomes(response)
    html = response.content.decode()
    assert (rows[3].outcome, rows[3].case) == ("further result", held_case)
    assert response.context["preview"].further_results == 1
    assert 'id="count-further">1<' in html
    assert "Kept with case HELD-CASE of <strong>Amira Khan</strong>" in html
    assert "the same episode (specimens within 90 days), so no new case" in html
    assert "Confirm and add 1 case and 1 further result" in html


def test_a_file_of_only_further_results_can_be_confirmed_and_is_recorded(
    signed_in, held_case
):
    preview = upload(signed_in, csv_file(GOOD_HELD))
    assert preview.context["preview"].to_create == 0
    assert "Confirm and add 1 further result</button>" in preview.text

    response = signed_in.get(confirm(signed_in, preview)["Location"])

    [further] = FurtherResult.objects.all()
    assert (further.case, further.lab_reference, further.source) == (
        held_case,
        "LAB-2",
        "csv",
    )
    assert Case.objects.count() == 1
    assert response.context["attached"] == 1
    assert 'id="count-attached">1<' in response.text
    assert "Results added</h1>" in response.text
    [row] = response.context["outcomes"]
    assert row["status"] == "attached"
    assert (
        f"Further result</strong> kept with case {held_case.pk}: The person "
        f"already has case {held_case.pk}" in response.text
    )
    assert "Not sent" not in response.text


def test_a_further_result_confirmed_again_is_said_to_be_held(signed_in, held_case):
    preview = upload(signed_in, csv_file(GOOD_HELD))
    confirm(signed_in, preview)

    response = signed_in.get(confirm(signed_in, preview)["Location"])

    assert FurtherResult.objects.count() == 1
    assert (response.context["attached"], response.context["existing"]) == (0, 1)
    assert "No new results added</h1>" in response.text


# --- the file -------------------------------------------------------------------------


def test_a_file_missing_a_required_column_is_refused_with_a_message(signed_in):
    header = "lab_reference,first_name,last_name,specimen_date"
    response = upload(signed_in, csv_file("LAB-1,Zoe,Newman,2026-01-10", header=header))
    assert response.status_code == 200
    assert "preview" not in response.context
    [message] = response.context["form"].errors["file"]
    assert message.startswith("The file has no column for result_date.")
    assert "There is a problem" in response.content.decode()


def test_a_file_with_an_unknown_column_is_refused_with_a_message(signed_in):
    header = f"{HEADER},postocde"
    response = upload(signed_in, csv_file(f"{GOOD_NEW},S1 1AA", header=header))
    [message] = response.context["form"].errors["file"]
    assert "columns this upload does not know: postocde" in message


def test_a_bom_and_day_first_dates_are_read(signed_in):
    row = "LAB-7,Zoe,Newman,03/02/1990,,S1 1AA,10/01/2026,12/01/2026"
    preview = upload(signed_in, csv_file(row, bom=True))
    assert outcomes(preview)[2].outcome == "new case"
    confirm(signed_in, preview)
    case = Case.objects.get(lab_reference="LAB-7")
    assert case.specimen_date == dt.date(2026, 1, 10)
    assert case.person.date_of_birth == dt.date(1990, 2, 3)


def test_column_names_are_read_in_any_case_and_optional_ones_left_out(clock):
    [row] = results_file_read(
        "Lab Reference,First Name,LAST_NAME,Specimen Date,Result Date\n"
        "LAB-1,Zoe,Newman,2026-01-10,2026-01-12\n"
    )
    assert row.result is not None
    assert row.result.person.postcode == ""


def test_a_file_not_in_utf8_is_refused(signed_in):
    file = SimpleUploadedFile("lab.csv", f"{HEADER}\n{GOOD_NEW}\n".encode("utf-16"))
    response = upload(signed_in, file)
    assert "not UTF-8" in response.context["form"].errors["file"][0]


def test_a_file_over_the_row_limit_is_refused(monkeypatch, clock):
    monkeypatch.setattr(results_csv, "MAX_ROWS", 2)
    text = "\n".join([HEADER, GOOD_NEW, GOOD_HELD, BAD_DATE])
    with pytest.raises(ResultsFileError, match="more than 2 rows"):
        results_file_read(text)


def test_a_file_with_only_a_header_is_refused(signed_in):
    response = upload(signed_in, csv_file())
    assert "no rows of results" in response.context["form"].errors["file"][0]


def test_no_file_chosen_is_a_field_error(signed_in):
    response = signed_in.post(UPLOAD, {})
    assert response.context["form"].errors["file"] == [
        "Choose a CSV file of test results."
    ]


def test_a_row_is_checked_by_the_apis_rules(clock):
    """A specimen taken after the result, as the API refuses it."""
    [row] = results_file_read(f"{HEADER}\nLAB-1,Zoe,Newman,,,,2026-01-12,2026-01-10\n")
    assert row.errors == {
        "specimen date": ["The specimen date must be on or before the result date."]
    }


# --- who may ------------------------------------------------------------------------


@pytest.mark.parametrize("url", [UPLOAD, DONE])
def test_caseworkers_are_refused_the_upload(client, caseworker, url):
    client.force_login(caseworker)
    assert client.get(url).status_code == 403


def test_caseworkers_cannot_upload_or_confirm(client, caseworker):
    client.force_login(caseworker)
    assert upload(client, csv_file(GOOD_NEW)).status_code == 403
    assert client.post(CONFIRM, {"payload": "x"}).status_code == 403
    assert not Case.objects.exists()


def test_local_team_supervisors_are_refused_the_upload(client):
    local_lead = f.StaffProfileFactory(local=True, is_supervisor=True)
    client.force_login(local_lead.user)
    assert client.get(UPLOAD).status_code == 403


def test_the_dashboard_links_to_the_upload(signed_in):
    page = signed_in.get(reverse("staffing:dashboard")).content.decode()
    assert f'href="{UPLOAD}"' in page


def test_a_confirm_without_its_payload_is_refused(signed_in):
    response = signed_in.post(CONFIRM, {})
    assert response.status_code == 200
    assert "Upload the file again." in response.content.decode()
    assert not Case.objects.exists()
