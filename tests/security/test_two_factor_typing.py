"""A form sent while the second factor is still to be given: kept for its typist, and
back to its page once the code is given (not a 405 at the form's address)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from calls.models import CallAttempt
from tests import factories as f
from tests.conftest import current_code, enrolled_device

pytestmark = pytest.mark.django_db


def test_a_form_sent_before_the_code_comes_back_typed_after_it(settings, caseworker):
    """Their session ended while they typed; in another tab they gave their password
    but not yet the code; they press Save in the first tab. Before: sent to give the
    code, then to the form's own address (405), the typing lost."""
    settings.TRACING_TWO_FACTOR_REQUIRED_FOR = ["all"]
    device = enrolled_device(caseworker)
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    page = reverse("cases:detail", args=[case.pk])
    client = Client()
    client.post(
        reverse("login"), {"username": caseworker.username, "password": f.PASSWORD}
    )

    sent = client.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": "no_answer", "notes": "Rang the landline, no answer"},
        HTTP_REFERER=f"http://testserver{page}",
    )
    assert sent.status_code == 302
    (back_to,) = parse_qs(urlsplit(sent["Location"]).query)["next"]
    assert back_to == page

    given = client.post(
        reverse("two_factor"),
        {"code": current_code(device), "next": back_to},
        follow=True,
    )

    assert given.request["PATH_INFO"] == page
    html = given.content.decode()
    assert "Rang the landline, no answer" in html
    assert "What you typed is back in the form" in html
    assert not CallAttempt.objects.exists()
