"""A send back sent twice (a double click on "Send back" without JavaScript, an
integration sending POST .../return/ again after a timeout) is done once and answered
as the first sending was. Before, the second said "This escalation is already closed:
You closed it ... as 'Sent back to the national queue'" (the API a 409), though the
first had worked.

And the queue's status line, read out by a screen reader as a search changes the list:
Back (htmx asks again for the page, with its own headers) drew the whole page without
it, so a later search's count was no longer announced."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from audit.models import AuditEvent
from escalations.models import Escalation
from people.models import PersonChange
from tests import factories as f
from work.escalation import escalation_claim

from .builders import SHEFFIELD, escalated_case, escalated_contact, person_in

pytestmark = pytest.mark.django_db

SENT_BACK = "Sent back to the national queue: it will be assigned a caller."
PROBLEM = "There is a problem"
ALREADY = "This escalation is already closed: You closed it"
NOT_SAVED = "This was not saved"


def url(name: str, escalation: Escalation) -> str:
    return reverse(f"escalations:{name}", args=[escalation.pk])


@pytest.fixture
def claimed(clock, sheffield_member):
    escalation = escalated_contact(
        person=person_in(SHEFFIELD, phone="+447911123450", phone_alt="")
    )
    escalation_claim(escalation=escalation, by=sheffield_member)
    return escalation


def returns_audited(escalation: Escalation) -> int:
    return AuditEvent.objects.filter(
        detail__escalation=escalation.pk, detail__outcome="returned"
    ).count()


# --- the page: the form sent twice ------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        {"note": "Found a mobile", "new_phone": ""},
        {"note": "Found a mobile", "new_phone": "07911 123457"},
    ],
    ids=["note", "new number"],
)
def test_a_send_back_sent_twice_says_sent_back_once_and_no_problem(
    claimed, sheffield_client, sent
):
    first = sheffield_client.post(url("return", claimed), sent)
    again = sheffield_client.post(url("return", claimed), sent, follow=True)

    assert first.status_code == 302
    assert again.status_code == 200
    page = again.content.decode()
    assert page.count(SENT_BACK) == 1
    assert PROBLEM not in page
    assert ALREADY not in page
    assert NOT_SAVED not in page
    claimed.refresh_from_db()
    assert claimed.status == Escalation.Status.CLOSED
    assert claimed.outcome == Escalation.Outcome.RETURNED
    assert returns_audited(claimed) == 1
    # A new number is recorded once in the person's history.
    changes = PersonChange.objects.filter(person=claimed.item.person, field="phone")
    assert changes.count() == (1 if sent["new_phone"] else 0)


@pytest.mark.parametrize(
    "second",
    [
        {"note": "Found a landline", "new_phone": ""},
        {"note": "Found a mobile", "new_phone": "07911 123458"},
    ],
    ids=["another note", "another number"],
)
def test_a_different_send_back_of_a_sent_back_escalation_is_still_refused(
    claimed, sheffield_client, second
):
    sheffield_client.post(
        url("return", claimed), {"note": "Found a mobile", "new_phone": "07911 123457"}
    )

    response = sheffield_client.post(url("return", claimed), second, follow=True)

    page = response.content.decode()
    assert PROBLEM in page
    assert ALREADY in page
    assert "as “Sent back to the national queue”" in page
    claimed.refresh_from_db()
    assert claimed.outcome_note == "Found a mobile"
    assert str(claimed.item.person.phone) == "+447911123457"
    assert returns_audited(claimed) == 1


def test_the_same_send_back_by_a_colleague_is_still_refused(
    claimed, client, sheffield_member, sheffield_colleague
):
    sent = {"note": "Found a mobile", "new_phone": ""}
    client.force_login(sheffield_member)
    client.post(url("return", claimed), sent)

    client.force_login(sheffield_colleague)
    response = client.post(url("return", claimed), sent, follow=True)

    page = response.content.decode()
    assert PROBLEM in page
    assert "This escalation is already closed:" in page
    assert returns_audited(claimed) == 1


# --- the API: a retry after a timeout ---------------------------------------------


@pytest.fixture
def integration(db):
    """Sheffield's own integration, carrying its token."""
    _, token = api_client_create(
        name="Sheffield dashboard",
        scopes=[Scope.CASEWORK],
        local_team=f.area(SHEFFIELD).local_team,
        rate_limit_per_minute=1000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


def api_claimed(http: APIClient) -> Escalation:
    escalation = escalated_contact()
    assert http.post(f"/api/v1/escalations/{escalation.pk}/claim/").status_code == 200
    return escalation


def test_a_send_back_sent_again_after_a_timeout_is_answered_as_the_first(
    clock, integration
):
    escalation = api_claimed(integration)
    endpoint = f"/api/v1/escalations/{escalation.pk}/return/"
    body = {"note": "Found a mobile", "new_phone": "07911 123457"}

    first = integration.post(endpoint, body, format="json")
    again = integration.post(endpoint, body, format="json")

    assert first.status_code == 200
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["status"] == "closed"
    assert again.json()["outcome"] == "returned"
    assert returns_audited(escalation) == 1


@pytest.mark.parametrize(
    "second",
    [
        {"note": "Found a landline"},
        {"note": "Found a mobile", "new_phone": "07911 123458"},
    ],
    ids=["another note", "another number"],
)
def test_a_different_send_back_through_the_api_is_still_409(clock, integration, second):
    escalation = api_claimed(integration)
    endpoint = f"/api/v1/escalations/{escalation.pk}/return/"
    integration.post(
        endpoint, {"note": "Found a mobile", "new_phone": "07911 123457"}, format="json"
    )

    response = integration.post(endpoint, second, format="json")

    assert response.status_code == 409
    assert response.json()["detail"].startswith(ALREADY)
    escalation.refresh_from_db()
    assert escalation.outcome_note == "Found a mobile"


# --- the queue's status line, after Back -----------------------------------------


QUEUE = reverse("escalations:queue")
COMPLEX = reverse("escalations:complex")
HTMX = {"HX-Request": "true"}
BACK = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
STATUS = re.compile(r'<p id="results-status"[^>]*>(.*?)</p>', re.S)


def statuses(body: str) -> list[tuple[str, str]]:
    """Each #results-status drawn: (its tag, its text)."""
    return [
        (match.group(0).split(">", 1)[0], match.group(1))
        for match in STATUS.finditer(body)
    ]


@pytest.mark.parametrize("path", [QUEUE, COMPLEX], ids=["queue", "complex"])
def test_back_after_a_search_draws_the_status_a_later_search_fills(
    clock, sheffield_client, path
):
    escalated_contact(person=person_in(SHEFFIELD, last_name="Davies"))
    escalated_case(person=person_in(SHEFFIELD, last_name="Davies"))

    body = sheffield_client.get(path, {"q": "Davies"}, headers=BACK).content.decode()

    assert "<html" in body
    [(tag, text)] = statuses(body)
    assert 'role="status"' in tag
    assert 'aria-live="polite"' in tag
    assert "hx-swap-oob" not in tag  # the page's own, for a later search to fill
    assert text == ""


@pytest.mark.parametrize("path", [QUEUE, COMPLEX], ids=["queue", "complex"])
def test_a_search_still_tells_its_count_out_of_band(clock, sheffield_client, path):
    escalated_contact(person=person_in(SHEFFIELD, last_name="Davies"))
    escalated_case(person=person_in(SHEFFIELD, last_name="Davies"))

    body = sheffield_client.get(path, {"q": "Davies"}, headers=HTMX).content.decode()

    assert "<html" not in body
    [(tag, text)] = statuses(body)
    assert 'hx-swap-oob="true"' in tag
    found = "1 escalation matches" if path == COMPLEX else "2 escalations match"
    assert text == f"{found} “Davies”"
