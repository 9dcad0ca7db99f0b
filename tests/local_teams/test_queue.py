"""The escalation queue: tabs, age and due time, search, and a pinned query count."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from escalations.models import Escalation
from work.escalation import escalation_claim, escalation_close

from .builders import HOUR, SHEFFIELD, escalated_contact, person_in

pytestmark = pytest.mark.django_db

QUEUE = reverse("escalations:queue")


def names(response) -> list[str]:
    return [e.item.person.full_name for e in response.context["page"]]


def test_new_tab_lists_new_escalations_soonest_due_first(clock, sheffield_client):
    later = escalated_contact(person=person_in(SHEFFIELD, first_name="Later"))
    clock.shift(-HOUR)  # escalated an hour earlier, so due an hour sooner
    sooner = escalated_contact(person=person_in(SHEFFIELD, first_name="Sooner"))
    clock.shift(HOUR)

    response = sheffield_client.get(QUEUE)

    assert response.status_code == 200
    assert [e.pk for e in response.context["page"]] == [sooner.pk, later.pk]


def test_row_shows_age_and_due_time(clock, sheffield_client):
    escalated_contact()
    clock.shift(3 * HOUR)

    response = sheffield_client.get(QUEUE)

    assert "3\xa0hours" in response.content.decode()
    assert "Wed 13 Jan 10:00" in response.content.decode()  # due 24 hours after
    assert "Overdue" not in response.content.decode()


def test_row_past_its_due_time_is_marked_overdue(clock, sheffield_client):
    escalated_contact()
    clock.shift(25 * HOUR)

    response = sheffield_client.get(QUEUE)

    assert 'nhsuk-tag nhsuk-tag--red">Overdue' in response.content.decode()
    assert response.context["counts"]["overdue"] == 1


def test_picked_up_tab_lists_claimed_escalations_with_who(
    clock, sheffield_client, sheffield_member
):
    waiting = escalated_contact()
    claimed = escalated_contact()
    escalation_claim(escalation=claimed, by=sheffield_member)

    response = sheffield_client.get(QUEUE, {"tab": "picked_up"})

    assert [e.pk for e in response.context["page"]] == [claimed.pk]
    assert sheffield_member.get_full_name() in response.content.decode()
    assert waiting.pk not in [e.pk for e in response.context["page"]]


def test_closed_tab_lists_closed_escalations_with_outcome(
    clock, sheffield_client, sheffield_member
):
    escalated_contact()
    closed = escalated_contact()
    escalation_claim(escalation=closed, by=sheffield_member)
    escalation_close(
        escalation=closed, outcome=Escalation.Outcome.MOVED_AWAY, by=sheffield_member
    )

    response = sheffield_client.get(QUEUE, {"tab": "closed"})

    assert [e.pk for e in response.context["page"]] == [closed.pk]
    assert "Moved away" in response.content.decode()


def test_tabs_show_open_counts(clock, sheffield_client, sheffield_member):
    escalated_contact()
    escalated_contact()
    escalation_claim(escalation=escalated_contact(), by=sheffield_member)

    response = sheffield_client.get(QUEUE)

    assert "New (2)" in response.content.decode()
    assert "Picked up (1)" in response.content.decode()


def test_only_mine_shows_what_i_picked_up(
    clock, sheffield_client, sheffield_member, sheffield_colleague
):
    mine = escalated_contact()
    theirs = escalated_contact()
    escalation_claim(escalation=mine, by=sheffield_member)
    escalation_claim(escalation=theirs, by=sheffield_colleague)

    response = sheffield_client.get(QUEUE, {"tab": "picked_up", "mine": "on"})

    assert [e.pk for e in response.context["page"]] == [mine.pk]


def test_an_unknown_tab_shows_the_new_tab(clock, sheffield_client):
    waiting = escalated_contact()

    response = sheffield_client.get(QUEUE, {"tab": "nonsense"})

    assert response.status_code == 200
    assert [e.pk for e in response.context["page"]] == [waiting.pk]


@pytest.mark.parametrize(
    "search",
    [
        "Philippa",
        "philippa quist",
        "07911 123456",
        "+447911123456",
        "07911 123",
        "S1 1AA",
        "s11aa",
    ],
)
def test_search_finds_by_name_phone_or_postcode(clock, sheffield_client, search):
    wanted = escalated_contact(
        person=person_in(
            SHEFFIELD, first_name="Philippa", last_name="Quist", phone="+447911123456"
        )
    )
    escalated_contact(
        person=person_in(
            SHEFFIELD, first_name="Other", last_name="Person", postcode="S10 2TN"
        )
    )

    response = sheffield_client.get(QUEUE, {"q": search})

    assert [e.pk for e in response.context["page"]] == [wanted.pk]


def test_search_by_outward_code_finds_the_district(clock, sheffield_client):
    wanted = escalated_contact(person=person_in(SHEFFIELD, postcode="S10 2TN"))
    escalated_contact(person=person_in(SHEFFIELD, postcode="S1 1AA"))

    response = sheffield_client.get(QUEUE, {"q": "S10"})

    assert [e.pk for e in response.context["page"]] == [wanted.pk]


def test_search_with_no_match_says_so(clock, sheffield_client):
    escalated_contact()

    response = sheffield_client.get(QUEUE, {"q": "Zebedee"})

    assert list(response.context["page"]) == []
    assert "Nothing here matches “Zebedee”" in response.content.decode()


def test_htmx_search_gets_just_the_results(clock, sheffield_client):
    escalated_contact(person=person_in(SHEFFIELD, first_name="Philippa"))

    response = sheffield_client.get(
        QUEUE, {"q": "Philippa"}, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "Philippa" in body
    assert "<html" not in body


def test_what_a_search_found_is_told_to_a_screen_reader(clock, sheffield_client):
    """The list changes under the search box as one types: a status region outside
    it says what was found (WCAG 4.1.3). Before, nothing was announced."""
    escalated_contact(person=person_in(SHEFFIELD, last_name="Davies"))
    escalated_contact(person=person_in(SHEFFIELD, last_name="Jones"))
    page = sheffield_client.get(QUEUE).content.decode()
    assert page.count('id="results-status"') == 1
    assert 'role="status"' in page.split('id="results-status"')[1].split(">")[0]

    def told(q: str) -> str:
        body = sheffield_client.get(
            QUEUE, {"q": q}, headers={"HX-Request": "true"}
        ).content.decode()
        status = body.split('id="results-status"')[1]
        assert 'hx-swap-oob="true"' in status.split(">")[0]
        return status.split(">", 1)[1].split("</p>")[0]

    assert told("Davies") == "1 escalation matches “Davies”"
    assert told("Zebedee") == "Nothing here matches “Zebedee”"
    assert told("") == "2 escalations"


def test_complex_view_lists_only_complex_cases(clock, sheffield_client):
    from .builders import escalated_case

    complex_case = escalated_case()
    escalated_contact()

    response = sheffield_client.get(reverse("escalations:complex"))

    assert [e.pk for e in response.context["page"]] == [complex_case.pk]


def _queue_queries(client, django_assert_num_queries, expected: int) -> None:
    with django_assert_num_queries(expected):
        response = client.get(QUEUE, {"tab": "picked_up"})
    assert response.status_code == 200


# Session, user, staff profile, its team, the tab counts, the page count, the page;
# then the session's sliding expiry (savepoint, update, release).
QUEUE_QUERIES = 12


def test_queue_query_count_is_pinned(
    clock, sheffield_client, sheffield_member, django_assert_num_queries
):
    escalation_claim(escalation=escalated_contact(), by=sheffield_member)

    _queue_queries(sheffield_client, django_assert_num_queries, QUEUE_QUERIES)


def test_queue_query_count_does_not_grow_with_the_list(
    clock, sheffield_client, sheffield_member, django_assert_num_queries
):
    from .builders import escalated_case

    for _ in range(6):
        escalation_claim(escalation=escalated_contact(), by=sheffield_member)
        escalation_claim(escalation=escalated_case(), by=sheffield_member)

    _queue_queries(sheffield_client, django_assert_num_queries, QUEUE_QUERIES)


def test_a_long_list_is_paged_with_the_design_systems_pagination(
    clock, sheffield_client, monkeypatch
):
    monkeypatch.setattr("pages.local.views.PAGE_SIZE", 2)
    for _ in range(5):
        escalated_contact()

    response = sheffield_client.get(QUEUE, {"q": "S1 1AA", "page": "2"})

    body = response.content.decode()
    assert len(response.context["page"]) == 2
    assert 'class="nhsuk-pagination nhsuk-pagination--numbered"' in body
    # Every page link keeps the tab and the search.
    assert (
        'href="?q=S1+1AA&amp;tab=new&amp;page=1" class="nhsuk-pagination__previous"'
        in body
    )
    # "Next" continues after the last row shown (test_queue_paging.py).
    last = list(response.context["page"])[-1]
    after = urlencode({"after": f"{last.due_at.isoformat()},{last.pk}"})
    assert (
        f'href="?q=S1+1AA&amp;tab=new&amp;{after}" class="nhsuk-pagination__next"'
        in body
    )
    assert 'aria-label="Page 2" aria-current="page"' in body


def test_a_short_list_has_no_pagination(clock, sheffield_client):
    escalated_contact()

    response = sheffield_client.get(QUEUE)

    assert "nhsuk-pagination" not in response.content.decode()


def test_a_too_long_search_is_summarised_and_linked_to_the_search_box(
    clock, sheffield_client
):
    escalated_contact()

    response = sheffield_client.get(QUEUE, {"q": "x" * 101})

    body = response.content.decode()
    assert '<a href="#id_q">Search must be 100 characters or fewer</a>' in body
    assert 'id="id_q-error"' in body


def test_a_stale_tab_or_reason_in_a_link_is_no_error(clock, sheffield_client):
    escalated_contact()

    response = sheffield_client.get(QUEUE, {"tab": "nonsense", "reason": "gone"})

    assert response.status_code == 200
    assert "There is a problem" not in response.content.decode()
    assert response.context["filters"]["tab"] == "new"


def test_the_queue_is_a_responsive_table_with_tabs_and_count_cards(
    clock, sheffield_client
):
    escalated_contact()

    body = sheffield_client.get(QUEUE).content.decode()

    assert 'class="nhsuk-table nhsuk-table--responsive app-queue-table"' in body
    assert "nhsuk-tabs__list-item nhsuk-tabs__list-item--selected" in body
    assert 'aria-current="page">New (1)</a>' in body
    assert 'class="nhsuk-card__link" href="?tab=new"' in body
    assert "css/local.css" in body
