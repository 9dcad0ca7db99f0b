"""What a supervisor found in the results upload: a preview promising one thing and the
confirm doing another (a row kept as a further result by the preview, made a new case
and texted by the confirm), a properly quoted address over several lines refusing the
whole file, and a confirm sent after the session ended lost without a word."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from pages.staff import results_upload
from tests import factories as f
from tests.conftest import current_code, enrolled_device

pytestmark = pytest.mark.django_db

UPLOAD = reverse("staffing:results_upload")
CONFIRM = reverse("staffing:results_upload_confirm")

HEADER = (
    "lab_reference,first_name,last_name,date_of_birth,phone,postcode,"
    "specimen_date,result_date"
)


def csv_file(*rows: str, header: str = HEADER) -> SimpleUploadedFile:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return SimpleUploadedFile("lab.csv", text.encode(), content_type="text/csv")


@pytest.fixture
def signed_in(client, lead, clock):
    client.force_login(lead.user)
    return client


# --- the preview says what the confirm does --------------------------------------------

# What the preview says of a row, and what the confirm then says became of it.
AS_CONFIRMED = {
    "new case": "created",
    "further result": "attached",
    "already received": "existing",
    "repeated": "existing",
    "conflict": "refused",
    "invalid": "not sent",
}


def previewed_people(preview) -> set[frozenset[int]]:
    """The rows the preview says are one person (a new one, or one held)."""
    whose: dict[int, object] = {}
    for item in preview.rows:
        number = item.row.number
        if item.same_person_as is not None:
            whose[number] = whose[item.same_person_as]
        elif item.with_case_of_row is not None:
            whose[number] = whose[item.with_case_of_row]
        elif item.person is not None:
            whose[number] = ("held", item.person.pk)
        else:
            whose[number] = ("row", number)
    return _grouped(whose)


def confirmed_people(outcomes: list[dict]) -> set[frozenset[int]]:
    """The rows the confirm made or kept for one person."""
    whose = {
        row["number"]: Case.objects.get(pk=row["case_id"]).person_id
        for row in outcomes
        if row["case_id"] is not None
    }
    return _grouped(whose)


def _grouped(whose: dict[int, object]) -> set[frozenset[int]]:
    groups: dict[object, set[int]] = {}
    for number, person in whose.items():
        groups.setdefault(person, set()).add(number)
    return {frozenset(numbers) for numbers in groups.values()}


# The same woman on three rows, her second and third specimens of one day, the first
# four days before (one episode).
FIRST_BORN, SECOND_BORN = "09/09/1999", "10/09/1999"


def eira(reference: str, born: str, specimen: str, result: str) -> str:
    return f"{reference},Eira,Pritchard,{born},07400 933101,LS1 1UY,{specimen},{result}"


@pytest.mark.parametrize(
    ("first", "second", "third"),
    [
        # No date of birth on the first row: the second fills it in, so the third
        # (born a day later) is no longer her.
        ("", FIRST_BORN, SECOND_BORN),
        # The date of birth on the first row already.
        (FIRST_BORN, FIRST_BORN, SECOND_BORN),
        # The second and third rows born the same day: her, all three.
        ("", FIRST_BORN, FIRST_BORN),
    ],
    ids=["filled-in-then-another", "given-first", "filled-in-then-the-same"],
)
def test_the_preview_says_of_each_row_what_confirming_does(
    signed_in, first, second, third
):
    """Before: the preview said "1 to create, 2 further results" (row 4 kept with the
    new case of row 2, nothing sent); confirming made 2 cases, a new person for row
    4, and texted her twice."""
    preview_page = signed_in.post(
        UPLOAD,
        {
            "file": csv_file(
                eira("EIRA-1", first, "01/01/2026", "02/01/2026"),
                eira("EIRA-2", second, "05/01/2026", "06/01/2026"),
                eira("EIRA-3", third, "05/01/2026", "06/01/2026"),
            )
        },
    )
    preview = preview_page.context["preview"]
    payload = preview_page.context["confirm"].initial["payload"]

    done = signed_in.post(CONFIRM, {"payload": payload}, follow=True)

    outcomes = done.context["outcomes"]
    said = {item.row.number: AS_CONFIRMED[item.outcome] for item in preview.rows}
    assert said == {row["number"]: row["status"] for row in outcomes}
    assert previewed_people(preview) == confirmed_people(outcomes)
    assert preview.to_create == Case.objects.count()


def test_a_row_born_another_day_than_the_one_filled_in_is_previewed_as_a_new_case(
    signed_in,
):
    response = signed_in.post(
        UPLOAD,
        {
            "file": csv_file(
                eira("EIRA-1", "", "01/01/2026", "02/01/2026"),
                eira("EIRA-2", FIRST_BORN, "05/01/2026", "06/01/2026"),
                eira("EIRA-3", SECOND_BORN, "05/01/2026", "06/01/2026"),
            )
        },
    )

    preview = response.context["preview"]
    assert (preview.to_create, preview.further_results) == (2, 1)
    row_4 = preview.rows[2]
    assert (row_4.outcome, row_4.same_person_as, row_4.with_case_of_row) == (
        "new case",
        None,
        None,
    )
    assert "Confirm and add 2 cases and 1 further result" in response.content.decode()


# --- an address over several lines --------------------------------------------------


def test_a_quoted_address_over_lines_full_of_commas_is_kept(signed_in):
    """An address typed over two lines in one cell (Alt+Enter in Excel), its second
    line with as many commas as a row. Before: the whole file refused, "a quote (")
    is probably not closed"."""
    header = (
        "lab_reference,first_name,last_name,address,postcode,specimen_date,result_date"
    )
    response = signed_in.post(
        UPLOAD,
        {
            "file": csv_file(
                'ADDR1,Rhian,Morgan,"Flat 4, Ty Gwyn\n12 Heol y Coleg, Cathays, '
                'Cardiff, South Glamorgan, Wales, UK",CF10 3AT,10/01/2026,12/01/2026',
                'ADDR2,Huw,Jones,"2 Park Place",CF10 3DP,10/01/2026,12/01/2026',
                header=header,
            )
        },
    )

    assert response.context["step"] == "preview"
    preview = response.context["preview"]
    assert [item.row.number for item in preview.rows] == [2, 3]
    assert preview.rows[0].row.result.person.address == (
        "Flat 4, Ty Gwyn\n12 Heol y Coleg, Cathays, Cardiff, South Glamorgan, Wales, UK"
    )
    assert preview.to_create == 2


def test_a_quote_left_open_over_a_row_with_blank_cells_still_refuses_the_file(
    signed_in,
):
    """A row taken into the cell above it, its optional cells left blank: still a row
    of results of its own."""
    response = signed_in.post(
        UPLOAD,
        {
            "file": csv_file(
                'Q-1,Ann,Quote,,,S1 2HE,10/01/2026,12/01/2026,"The Willows',
                "Q-2,Bob,Lost,,,,10/01/2026,12/01/2026,",
                'Q-3,Cat,Lost,,,,10/01/2026,12/01/2026,6 Low St"',
                header="lab_reference,first_name,last_name,date_of_birth,phone,"
                "postcode,specimen_date,result_date,address",
            )
        },
    )

    assert response.context["step"] == "upload"
    [error] = response.context["form"].errors["file"]
    assert "Q-2,Bob,Lost" in error


# --- a confirm sent after the session ended ------------------------------------------


def ended(client: Client) -> None:
    """The session ends by idleness (30 minutes): its row is past its expiry, and the
    browser still sends its cookie."""
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )


def sign_in_again(client: Client, sign_in_url: str, user):
    """Through the sign-in page (and the second factor, where their role needs one),
    back to the page sent from."""
    (back_to,) = parse_qs(urlsplit(sign_in_url).query)["next"]
    device = enrolled_device(user)
    answer = client.post(
        sign_in_url,
        {"username": user.username, "password": f.PASSWORD, "next": back_to},
        follow=True,
    )
    if answer.request["PATH_INFO"] == reverse("two_factor"):
        answer = client.post(
            reverse("two_factor"),
            {"code": current_code(device), "next": back_to},
            follow=True,
        )
    return answer


@pytest.fixture
def preview_left_open(signed_in):
    """The supervisor checks the preview of a file of one new case; their session
    ends while it is open; they press Confirm."""
    page = signed_in.post(
        UPLOAD,
        {"file": csv_file("SESS4,Nia,Evans,,,S1 1AA,10/01/2026,12/01/2026")},
    )
    payload = page.context["confirm"].initial["payload"]
    ended(signed_in)
    sent = signed_in.post(
        CONFIRM, {"payload": payload}, HTTP_REFERER=f"http://testserver{UPLOAD}"
    )
    assert sent.status_code == 302
    return sent


def test_a_confirm_sent_after_the_session_ended_shows_the_preview_again(
    signed_in, lead, preview_left_open
):
    """Before: a blank "Upload test results" page, no word, nothing added."""
    back = sign_in_again(signed_in, preview_left_open["Location"], lead.user)

    html = back.content.decode()
    assert back.request["PATH_INFO"] == UPLOAD
    assert back.context["step"] == "preview"
    assert "Confirm and add 1 case" in html
    assert "Nothing from this file has been added yet" in html
    assert not Case.objects.filter(lab_reference="SESS4").exists()

    payload = back.context["confirm"].initial["payload"]
    signed_in.post(CONFIRM, {"payload": payload})
    assert Case.objects.filter(lab_reference="SESS4").count() == 1


def test_a_confirm_whose_preview_expired_while_signed_out_says_upload_again(
    signed_in, lead, preview_left_open, clock, monkeypatch
):
    monkeypatch.setattr(results_upload, "PREVIEW_MAX_AGE", 10 * 60)
    clock.shift(dt.timedelta(minutes=11))

    back = sign_in_again(signed_in, preview_left_open["Location"], lead.user)

    html = back.content.decode()
    assert back.context["step"] == "upload"
    assert "was not confirmed" in html
    assert "This preview has expired" in html
    assert "Upload the file again" in html
    assert not Case.objects.filter(lab_reference="SESS4").exists()


def test_a_confirm_kept_for_one_supervisor_is_not_shown_to_another(
    signed_in, preview_left_open, clinical_team
):
    other = f.StaffProfileFactory(
        tier=clinical_team.tier,
        clinical=True,
        is_supervisor=True,
        team=clinical_team,
        organisation=clinical_team.organisation,
    )
    back = sign_in_again(signed_in, preview_left_open["Location"], other.user)

    assert back.context["step"] == "upload"
    assert "Nia" not in back.content.decode()
    assert not Case.objects.filter(lab_reference="SESS4").exists()
