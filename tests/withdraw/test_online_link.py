"""Asha's result was withdrawn while her link's page was open on her phone.

Before, her page sent moments after (within the typing grace) was answered "we
could not save these people: call 119 about them", asking someone whose positive
result was sent in error to phone in her contacts, and her case's trail said it
was "completed, not by this link's answer". Now the page says the result was
withdrawn and that she need tell us nothing, and the people typed are neither
listed nor recorded. Opening the link later says the same, in her language."""

from __future__ import annotations

from html import unescape

import pytest

from audit.models import AuditEvent
from online.models import OnlineLink
from pages.online import limits
from work.withdraw import case_withdraw

from .conftest import DECEMBER_7, positive

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]

WITHDRAWN = "The positive test result this link was about has been withdrawn"


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def url(link: OnlineLink) -> str:
    assert link.message is not None
    return "/o/" + link.message.body.split("/o/")[1].split("/")[0] + "/"


def words(response) -> str:
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_a_page_sent_after_the_withdrawal_says_so_and_lists_nobody(client, supervisor):
    case = positive()
    link = OnlineLink.objects.get(case=case)
    assert "Tell us" in words(client.get(url(link)))  # the page, open

    case_withdraw(case=case, reason="Sample mix-up", by=supervisor)
    page = words(
        client.post(
            url(link),
            {
                "lang": "en",
                "contact-0-first_name": "Zoe",
                "contact-0-last_name": "Nobody",
            },
        )
    )

    assert WITHDRAWN in page
    assert "Zoe" not in page
    assert not AuditEvent.objects.filter(detail__online="not saved").exists()


def test_opening_the_link_later_says_the_same_in_welsh(client, supervisor):
    case = positive()
    link = OnlineLink.objects.get(case=case)
    case_withdraw(case=case, reason="Sample mix-up", by=supervisor)

    page = words(client.get(url(link) + "?lang=cy"))

    assert "wedi'i dynnu'n ôl" in page
