"""A school case, held by no caseworker yet, entered a year group on their link, six
people a page. The first sending completed the case (nobody held it); the sixth and
seventh, past the 30 people one link takes, listed the rest back: "we have not saved
these people ... Please call 119 and tell us about them". But when they rang, no one
could add them: the case was completed, and the case page, the API and the service
all refused. Now a sending that leaves people unsaved because of the limit leaves
the case reached, in the pool, for a caseworker to take and hear them out."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from pages.online import limits
from tests import factories as f
from tests.workspace.test_case_page import contact_rows, row
from work.assignment import assign_work
from work.online import CASE_LINK_PEOPLE_MAX, online_case_invite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def words(response) -> str:
    return unescape(response.content.decode())


def school_case() -> tuple[Case, str]:
    case = f.CaseFactory(
        person__first_name="Priya",
        person__last_name="Shah",
        person__phone="+447400111222",
        symptom_onset=timezone.localdate() - dt.timedelta(days=2),
    )
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    return case, f"/o/{link.message.body.split('/o/')[1].split('/')[0]}/"


def pupils(start: int, count: int = 6) -> dict[str, str]:
    """One page of the year group: `count` pupils, numbered from `start`."""
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    form: dict[str, str] = {}
    for i in range(count):
        n = start + i
        form |= {
            f"contact-{i}-first_name": f"Pupil{'abcdefghijklmnopqrstuvwxyz'[n % 26]}"
            f"{'abcdefghij'[n // 26]}",
            f"contact-{i}-last_name": "Yearnine",
            f"contact-{i}-phone": f"+4479110{n + 50000:05d}",
            f"contact-{i}-last_near": yesterday,
            f"contact-{i}-household": "no",
            f"contact-{i}-postcode": "S1 2HE",
        }
    return form


def send_the_year_group(client, url: str, sendings: int) -> list[str]:
    pages = []
    for sending in range(sendings):
        sent = client.post(url, pupils(sending * 6))
        assert sent.status_code == 200
        pages.append(words(sent))
    return pages


def test_people_past_the_links_limit_can_be_added_by_a_caseworker_when_they_ring(
    client, caseworker
):
    case, url = school_case()

    pages = send_the_year_group(client, url, 7)

    # The page tells them to ring about those it could not save...
    assert "Please call 119" in pages[5]
    assert "Please call 119" in pages[6]
    assert Contact.objects.filter(case=case).count() == CASE_LINK_PEOPLE_MAX
    # ...and the case waits for a caseworker, reached online, not completed.
    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.completed_at is None
    assert case.assignee_id is None
    assert Case.objects.awaiting_assignment().filter(pk=case.pk).exists()

    assign_work()
    case.refresh_from_db()
    assert case.assignee == caseworker

    client.force_login(caseworker)
    added = client.post(
        reverse("cases:contacts", args=[case.pk]),
        contact_rows(row("Pupilkb", "07911 050036"), row("Pupilla", "07911 050037")),
        follow=True,
    )
    assert b"2 contacts added" in added.content
    assert Contact.objects.filter(case=case).count() == CASE_LINK_PEOPLE_MAX + 2


def test_the_case_is_reopened_with_the_reason_in_its_trail(client):
    case, url = school_case()
    send_the_year_group(client, url, 5)
    case.refresh_from_db()
    assert case.status == Status.COMPLETED  # 30 people: all saved, nothing to add

    send_the_year_group(client, url, 6)  # the page sent again, and one page more

    case.refresh_from_db()
    assert case.status == Status.REACHED
    details = AuditEvent.objects.filter(
        object_type="cases.case", object_id=str(case.pk)
    ).values_list("detail", flat=True)
    reopened = [d for d in details if d.get("reopened")]
    assert len(reopened) == 1
    assert reopened[0]["not added"] == 6


def test_a_first_sending_past_the_limit_leaves_the_case_for_a_caseworker(client):
    case, url = school_case()
    for _ in range(CASE_LINK_PEOPLE_MAX - 2):
        f.ContactFactory(case=case)  # named before, on the phone

    page = words(client.post(url, pupils(0)))

    assert "Please call 119" in page
    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.reached_at is not None
    assert case.completed_at is None
    assert Case.objects.awaiting_assignment().filter(pk=case.pk).exists()


def test_an_answer_within_the_limit_still_completes_the_case(client):
    case, url = school_case()

    first = words(client.post(url, pupils(0)))

    assert "Thank you" in first
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    assert not Case.objects.awaiting_assignment().filter(pk=case.pk).exists()
    completed_at = case.completed_at

    send_the_year_group(client, url, 5)  # the rest, up to the limit exactly

    case.refresh_from_db()
    assert Contact.objects.filter(case=case).count() == CASE_LINK_PEOPLE_MAX
    assert case.status == Status.COMPLETED
    assert case.completed_at == completed_at


def test_a_case_its_caseworker_holds_stays_theirs_when_a_sending_is_limited(
    client, caseworker
):
    case, url = school_case()
    case.assignee = caseworker
    case.status = Status.ASSIGNED
    case.save(update_fields=["assignee", "status"])

    send_the_year_group(client, url, 6)

    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.assignee == caseworker
