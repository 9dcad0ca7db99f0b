"""Their details typed as the session ended, put back into the form once signed in
again, on the contact page and the case page as on the escalation's page
(tests/review_teamdetails): drawn in the section open, not folded away where the
typing is hidden and easily left unsaved."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tests.person_details.conftest import CaseFactory, ContactFactory, hold

from .conftest import form_as_drawn

pytestmark = pytest.mark.django_db


def their_details_tag(html: str) -> str:
    """The opening tag of the section's <details> element."""
    found = re.search(r'<details[^>]*id="their-details"[^>]*>', html)
    assert found, "no Their details section"
    return found.group(0)


def _person_url(item) -> str:
    return reverse(f"{item.kind}s:person_details", args=[item.pk])


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_details_typed_as_the_session_ended_are_drawn_open(
    kind, caseworker, call_handler, jon
):
    item = (
        hold(ContactFactory(person=jon), call_handler)
        if kind == "contact"
        else hold(CaseFactory(person=jon), caseworker)
    )
    user = item.assignee
    page = reverse(f"{kind}s:detail", args=[item.pk])
    client = Client()
    client.force_login(user)
    closed = client.get(page).content.decode()
    assert " open" not in their_details_tag(closed)  # as held: folded
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )

    sent_away = client.post(
        _person_url(item),
        form_as_drawn(jon, email="jon.new@example.org"),
        HTTP_REFERER=f"http://testserver{page}",
    )
    (back_to,) = parse_qs(urlsplit(sent_away["Location"]).query)["next"]
    back = client.post(
        sent_away["Location"],
        {"username": user.username, "password": f.PASSWORD, "next": back_to},
        follow=True,
    )

    html = back.content.decode()
    assert back.request["PATH_INFO"] == page
    assert "What you typed is back in the form" in html
    assert 'value="jon.new@example.org"' in html
    assert " open" in their_details_tag(html)
