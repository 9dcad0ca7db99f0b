"""The case's online page names the row of each error in its summary, as the row's
legend does ("Person 2: Enter their last name.", in Welsh too), in the order of the
fields. Before, two half-typed rows gave the same messages twice with nothing to
tell them apart, and "phone number or email" came last although the phone is the
row's third field."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.utils import timezone

from pages.online import limits
from tests import factories as f
from work.online import online_case_invite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ROW_ERRORS = {
    "en": (
        ("last_name", "Enter their last name."),
        ("phone", "Enter their phone number or email address."),
        ("last_near", "Enter the date you were last near them."),
        ("household_0", "Say whether they live with you."),
    ),
    "cy": (
        ("last_name", "Rhowch eu cyfenw."),
        ("phone", "Rhowch eu rhif ffôn neu eu cyfeiriad e-bost."),
        ("last_near", "Rhowch y dyddiad y buoch yn agos atynt ddiwethaf."),
        ("household_0", "Dywedwch a ydyn nhw'n byw gyda chi."),
    ),
}


@pytest.fixture(autouse=True)
def _fresh_allowance():
    """Every test starts with its address's whole allowance (counted in Redis)."""
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def case_token() -> str:
    case = f.CaseFactory(person__phone="+447400111222")
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    return link.message.body.split("/o/")[1].split("/")[0]


def summary(html: str) -> list[tuple[str, str]]:
    """The error summary's entries, in order: (the id it links to, what it says)."""
    match = re.search(r'<div class="nhsuk-error-summary".*?</ul>', html, re.S)
    assert match, "no error summary"
    return [
        (anchor, unescape(message))
        for anchor, message in re.findall(
            r'<li><a href="#([^"]+)">(.*?)</a></li>', match.group(0), re.S
        )
    ]


def row_legend(html: str, field_id: str) -> str:
    """The legend of the row holding this field, as the page draws it."""
    at = html.index(f'id="{field_id}"')
    return re.findall(r"<legend[^>]*>(\w+ \d+)</legend>", html[:at])[-1]


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_summary_names_each_rows_errors_with_its_row_in_field_order(client, lang):
    """The tester's steps: only a first name for Person 1 and Person 2, Send. The
    Welsh page's legend says "Person" too."""
    page = client.post(
        f"/o/{case_token()}/",
        {
            "lang": lang,
            "contact-0-first_name": "Omar",
            "contact-1-first_name": "Grace",
        },
    )

    html = page.content.decode()
    assert page.status_code == 200
    entries = summary(html)
    assert entries == [
        (f"id_contact-{i}-{field}", f"Person {i + 1}: {message}")
        for i in range(2)
        for field, message in ROW_ERRORS[lang]
    ]
    for anchor, message in entries:  # named as the row's legend names it
        assert message.startswith(f"{row_legend(html, anchor)}: ")
    # Beside the field, the message stays as it was.
    last_name = unescape(html).split('id="id_contact-1-last_name-error"', 1)[1]
    assert last_name.split("</span>", 2)[1] == ROW_ERRORS[lang][0][1]
