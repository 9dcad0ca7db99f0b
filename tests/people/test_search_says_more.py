"""Find a person shows at most SEARCH_LIMIT people, and says so when more matched,
with what to add to the search to narrow it."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse

from tests import factories as f
from work.access.people import SEARCH_LIMIT

pytestmark = pytest.mark.django_db

URL = reverse("staffing:people_search")
BORN = dt.date(1985, 6, 14)
MORE = (
    f"Showing the first {SEARCH_LIMIT} of more than {SEARCH_LIMIT} matches: "
    "add more to your search (a date of birth, a postcode)."
)


def born_on_the_day(how_many: int) -> None:
    for _ in range(how_many):
        f.CaseFactory(person__date_of_birth=BORN)


def words_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_more_matches_than_shown_are_said_with_what_to_add(client, supervisor):
    born_on_the_day(SEARCH_LIMIT + 1)
    client.force_login(supervisor)

    response = client.get(URL, {"q": "14/06/1985"})

    assert response.status_code == 200
    assert len(response.context["results"]) == SEARCH_LIMIT
    assert MORE in words_of(response.content.decode())


def test_as_many_matches_as_shown_say_nothing_more(client, supervisor):
    born_on_the_day(SEARCH_LIMIT)
    client.force_login(supervisor)

    response = client.get(URL, {"q": "14/06/1985"})

    assert len(response.context["results"]) == SEARCH_LIMIT
    assert "more than" not in words_of(response.content.decode())


def test_a_common_name_says_more_matched(client, supervisor):
    for _ in range(SEARCH_LIMIT + 1):
        f.CaseFactory(person__first_name="Mohammed", person__last_name="Khan")
    client.force_login(supervisor)

    response = client.get(URL, {"q": "Khan"})

    assert len(response.context["results"]) == SEARCH_LIMIT
    assert MORE in words_of(response.content.decode())


def test_only_the_people_shown_are_audited_as_seen(client, supervisor):
    from audit.models import AuditEvent

    born_on_the_day(SEARCH_LIMIT + 1)
    client.force_login(supervisor)

    response = client.get(URL, {"date_of_birth": BORN.isoformat()})

    shown = {row.person.pk for row in response.context["results"]}
    audited = set(
        AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).values_list(
            "person_id", flat=True
        )
    )
    assert audited == shown
    assert MORE in words_of(response.content.decode())
