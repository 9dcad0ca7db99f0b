"""The results upload's preview says what confirming does when a row changes someone
a later row is weighed against: a person on file an earlier row fills in (a date of
birth, a phone), a later row closer to an earlier row's new person than to one on
file, and two rows of one file that confirming lists as possible duplicates of each
other (twins on a care home's landline)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Case
from people.models import PossibleDuplicate
from tests import factories as f
from tests.supervisors.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]

UPLOAD = reverse("staffing:results_upload")
CONFIRM = reverse("staffing:results_upload_confirm")

HEADER = (
    "lab_reference,first_name,last_name,date_of_birth,phone,postcode,"
    "specimen_date,result_date"
)

# What the preview says of a row, and what the confirm then says became of it.
AS_CONFIRMED = {
    "new case": "created",
    "further result": "attached",
    "already received": "existing",
    "repeated": "existing",
    "conflict": "refused",
    "invalid": "not sent",
}


def csv_file(*rows: str, header: str = HEADER) -> SimpleUploadedFile:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return SimpleUploadedFile("lab.csv", text.encode(), content_type="text/csv")


@pytest.fixture
def signed_in(client, lead, clock):
    client.force_login(lead.user)
    return client


def preview_then_confirm(client, upload: SimpleUploadedFile):
    """The preview page, and the confirm's outcomes by row number."""
    page = client.post(UPLOAD, {"file": upload})
    payload = page.context["confirm"].initial["payload"]
    done = client.post(CONFIRM, {"payload": payload}, follow=True)
    return page, {row["number"]: row for row in done.context["outcomes"]}


def said(page) -> dict[int, str]:
    return {
        item.row.number: AS_CONFIRMED[item.outcome]
        for item in page.context["preview"].rows
    }


def shown(page, number: int) -> str:
    """The preview's cell saying what confirming does with row `number`."""
    html = page.content.decode()
    start = html.index(f'data-row="{number}"')
    return html[start : html.index("</tr>", start)]


def test_a_person_on_file_whose_date_of_birth_an_earlier_row_fills(signed_in):
    """Eira is on file with no date of birth. Row 2 (born 9 Sept) is her and fills it
    in; row 3 (born 10 Sept) was previewed against her as she was, a further result
    of row 2's case. Confirming weighs row 3 against her as row 2 left her (born
    9 Sept): another person, a new case, a text."""
    f.PersonFactory(
        first_name="Eira",
        last_name="Pritchard",
        date_of_birth=None,
        phone="+447400933101",
        postcode="LS1 1UY",
    )

    page, outcomes = preview_then_confirm(
        signed_in,
        csv_file(
            "EIRA-1,Eira,Pritchard,09/09/1999,07400 933101,LS1 1UY,"
            "05/01/2026,06/01/2026",
            "EIRA-2,Eira,Pritchard,10/09/1999,07400 933101,LS1 1UY,"
            "05/01/2026,06/01/2026",
        ),
    )

    assert said(page) == {2: "created", 3: "created"}
    assert "for a new person, Eira Pritchard" in shown(page, 3)
    assert {n: row["status"] for n, row in outcomes.items()} == said(page)
    assert page.context["preview"].to_create == Case.objects.count()


def test_a_person_on_file_given_a_phone_by_an_earlier_row_is_found_by_it(signed_in):
    """Tomos is on file with no phone. Row 2 is him and gives him one; row 3 (no date
    of birth, his name and that phone) shares nothing with him as he is held now,
    and was previewed as a new person, a new case and a text. Confirming finds him
    by the phone row 2 gave him: a further result of row 2's case."""
    tomos = f.PersonFactory(
        first_name="Tomos",
        last_name="Rees",
        date_of_birth=dt.date(1980, 1, 1),
        phone="",
        postcode="S1 1AA",
    )

    page, outcomes = preview_then_confirm(
        signed_in,
        csv_file(
            "TOM-1,Tomos,Rees,01/01/1980,07400 111222,S1 1AA,05/01/2026,06/01/2026",
            "TOM-2,Tomos,Rees,,07400 111222,,06/01/2026,07/01/2026",
        ),
    )

    assert said(page) == {2: "created", 3: "attached"}
    assert "Kept with the new case of row 2" in shown(page, 3)
    assert {n: row["status"] for n, row in outcomes.items()} == said(page)
    assert Case.objects.get().person == tomos


def test_a_later_row_linked_more_closely_to_an_earlier_new_row_than_to_one_on_file(
    signed_in,
):
    """Ann is on file with no date of birth and the phone ending 101. Row 2 (born
    9 Sept, another phone, LS1 1UY) is not her: a new Ann. Row 3 (born 9 Sept, the
    phone ending 101, LS1 1UY) is the Ann on file by phone (tier 3) and the new Ann
    by date of birth and postcode (tier 1): confirming links the closer, and keeps
    row 3 with row 2's case."""
    f.PersonFactory(
        first_name="Ann",
        last_name="Pritchard",
        date_of_birth=None,
        phone="+447400933101",
        postcode="S1 1AA",
    )

    page, outcomes = preview_then_confirm(
        signed_in,
        csv_file(
            "ANN-1,Ann,Pritchard,09/09/1999,07400 933555,LS1 1UY,05/01/2026,06/01/2026",
            "ANN-2,Ann,Pritchard,09/09/1999,07400 933101,LS1 1UY,05/01/2026,06/01/2026",
        ),
    )

    assert said(page) == {2: "created", 3: "attached"}
    assert "for the same new person as row 2 (same date of birth, same name" in shown(
        page, 3
    )
    assert {n: row["status"] for n, row in outcomes.items()} == said(page)
    assert page.context["preview"].to_create == Case.objects.count() == 1


CARE_HOME = "0114 496 0000"


def care_home_row(n: int, first: str, last: str, born: str) -> str:
    return f"CH-{n},{first},{last},{born},{CARE_HOME},S1 2HE,2026-01-12,2026-01-13"


def test_rows_of_one_file_confirming_lists_as_possible_duplicates_are_said_so(
    signed_in,
):
    """A care home's file, every resident on its landline: twin sisters (Elsie and
    Elise, born the same day) and a couple born the same day (Edith and Harold).
    Confirming makes each a new person and lists each pair as possible duplicates
    for a supervisor to decide; the preview said nothing of them."""
    page, outcomes = preview_then_confirm(
        signed_in,
        csv_file(
            care_home_row(1, "Margaret", "Okafor", "1931-02-03"),
            care_home_row(2, "Edith", "Pemberton", "1930-05-05"),
            care_home_row(3, "Harold", "Pemberton", "1930-05-05"),
            care_home_row(4, "Arthur", "Haworth", "1928-03-03"),
            care_home_row(5, "Elsie", "Tremayne", "1940-04-16"),
            care_home_row(6, "Elise", "Tremayne", "1940-04-16"),
        ),
    )

    rows = {item.row.number: item for item in page.context["preview"].rows}
    assert set(said(page).values()) == {"created"}
    assert {n: row["status"] for n, row in outcomes.items()} == said(page)
    assert "Possible duplicate of <strong>Edith Pemberton</strong>" in shown(page, 4)
    assert "the new person of row 3" in shown(page, 4)
    assert "Possible duplicate of <strong>Elsie Tremayne</strong>" in shown(page, 7)
    assert "the new person of row 6" in shown(page, 7)
    for number in (2, 3, 5, 6):
        assert not rows[number].duplicates, number

    # As confirming records them: a pair for each.
    by_row = {
        n: Case.objects.get(pk=row["case_id"]).person_id for n, row in outcomes.items()
    }
    recorded = {
        frozenset((pair.person_a_id, pair.person_b_id))
        for pair in PossibleDuplicate.objects.all()
    }
    assert recorded == {
        frozenset((by_row[3], by_row[4])),
        frozenset((by_row[6], by_row[7])),
    }


def test_the_preview_of_a_row_like_an_earlier_one_audits_only_the_people_held(
    signed_in,
):
    """The earlier row's new person, listed as a possible duplicate, is no one held
    yet: the preview's audit of the people it shows lists no one (and fails on no
    one's id)."""
    from audit.models import AuditEvent

    page = signed_in.post(
        UPLOAD,
        {
            "file": csv_file(
                care_home_row(1, "Elsie", "Tremayne", "1940-04-16"),
                care_home_row(2, "Elise", "Tremayne", "1940-04-16"),
            )
        },
    )

    assert page.context["preview"].rows[1].duplicates
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, detail__list="results upload preview"
    ).exists()
