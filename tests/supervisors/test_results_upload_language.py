"""A lab's file says someone's first language and that they need an interpreter, as
the API takes them: the person is matched to a caller who speaks it. Before, the
upload refused the columns ("columns this upload does not know")."""

from __future__ import annotations

import pytest

from cases.models import Case
from tests import factories as f

from .test_results_upload import DONE, confirm, csv_file, upload

pytestmark = pytest.mark.django_db

HEADER = (
    "lab_reference,first_name,last_name,date_of_birth,postcode,specimen_date,"
    "result_date,language,needs_interpreter"
)


@pytest.fixture
def signed_in(client, lead, clock):
    client.force_login(lead.user)
    return client


@pytest.fixture
def polish(db):
    return f.LanguageFactory(code="pl", name="Polish")


def test_a_language_and_an_interpreter_are_taken_as_the_api_takes_them(
    signed_in, polish
):
    file = csv_file(
        "LAB-PL,Ewa,Nowak,1980-01-01,S1 1AA,2026-01-10,2026-01-12,PL,yes",
        "LAB-EN,Zoe,Newman,1990-02-03,S1 1AA,2026-01-10,2026-01-12,,",
        header=HEADER,
    )

    preview = upload(signed_in, file)
    assert not preview.context["preview"].errors
    confirm(signed_in, preview)

    ewa = Case.objects.get(lab_reference="LAB-PL").person
    assert (ewa.language, ewa.needs_interpreter) == (polish, True)
    zoe = Case.objects.get(lab_reference="LAB-EN").person
    assert (zoe.language, zoe.needs_interpreter) == (None, False)
    assert signed_in.get(DONE).context["created"] == 2


def test_an_unknown_language_or_a_maybe_is_told_on_its_row(signed_in, polish):
    file = csv_file(
        "LAB-XX,Ewa,Nowak,1980-01-01,S1 1AA,2026-01-10,2026-01-12,xx,yes",
        "LAB-MB,Zoe,Newman,1990-02-03,S1 1AA,2026-01-10,2026-01-12,pl,maybe",
        header=HEADER,
    )

    rows = upload(signed_in, file).context["preview"].rows

    told = [text for texts in rows[0].row.errors.values() for text in texts]
    assert any("No language has the code 'xx'" in text for text in told)
    assert [text for texts in rows[1].row.errors.values() for text in texts] == [
        "Enter yes or no (or leave it blank for no)."
    ], rows[1].row.errors
    assert not Case.objects.exists()
