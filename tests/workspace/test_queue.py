"""My work: the signed-in person's queue, due first, and "next item"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from staffing.models import Shift
from tests import factories as f
from tests.workspace.conftest import CaseFactory, ContactFactory, hold

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def queued_case(user, *, due_in: dt.timedelta | None, name: str = ""):
    case = hold(CaseFactory(person__last_name=name or "Person"), user)
    at = None if due_in is None else timezone.now() + due_in
    Case.objects.filter(pk=case.pk).update(next_attempt_at=at)
    return case


def test_queue_lists_only_my_items_due_first_and_unscheduled_last(
    client, caseworker, other_caseworker
):
    queued_case(caseworker, due_in=None, name="Unscheduled")
    queued_case(caseworker, due_in=2 * HOUR, name="Later")
    queued_case(caseworker, due_in=-HOUR, name="Earlier")
    queued_case(other_caseworker, due_in=-2 * HOUR, name="Someoneelse")
    client.force_login(caseworker)
    html = client.get(reverse("cases:queue")).content.decode()
    assert "Someoneelse" not in html
    assert html.index("Earlier") < html.index("Later") < html.index("Unscheduled")


def test_overdue_item_is_marked(client, caseworker):
    queued_case(caseworker, due_in=-HOUR)
    client.force_login(caseworker)
    response = client.get(reverse("cases:queue"))
    assert b"Overdue" in response.content


def test_item_that_just_fell_due_is_due_now_not_overdue(client, caseworker):
    queued_case(caseworker, due_in=-dt.timedelta(minutes=5))
    client.force_login(caseworker)
    response = client.get(reverse("cases:queue"))
    assert b"Due now" in response.content
    assert b"Overdue" not in response.content


def test_item_due_later_is_not_marked_overdue(client, caseworker):
    queued_case(caseworker, due_in=HOUR)
    client.force_login(caseworker)
    response = client.get(reverse("cases:queue"))
    assert b"Overdue" not in response.content


def test_call_handler_queue_shows_contacts(client, call_handler, held_contact):
    client.force_login(call_handler)
    response = client.get(reverse("cases:queue"))
    assert held_contact.person.last_name.encode() in response.content
    assert (
        reverse("contacts:detail", args=[held_contact.pk]).encode() in response.content
    )


def test_empty_queue_off_shift_says_so(client, caseworker):
    Shift.objects.filter(staff__user=caseworker).update(status=Shift.Status.CANCELLED)
    client.force_login(caseworker)
    response = client.get(reverse("cases:queue"))
    assert b'data-reason="off_shift"' in response.content
    assert b"You are not on shift now" in response.content


def test_empty_queue_on_shift_says_nothing_is_waiting(client, caseworker):
    client.force_login(caseworker)
    response = client.get(reverse("cases:queue"))
    assert b'data-reason="nothing_waiting"' in response.content


def test_next_item_opens_the_first_due_item(client, caseworker):
    queued_case(caseworker, due_in=HOUR)
    due = queued_case(caseworker, due_in=-HOUR)
    client.force_login(caseworker)
    response = client.post(reverse("cases:next"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[due.pk])


def test_next_item_pulls_from_the_pool_when_the_queue_is_empty(client, caseworker):
    waiting = CaseFactory()
    client.force_login(caseworker)
    response = client.post(reverse("cases:next"))
    assert response["Location"] == reverse("cases:detail", args=[waiting.pk])
    waiting.refresh_from_db()
    assert waiting.assignee == caseworker
    assert waiting.status == Status.ASSIGNED


def test_next_item_off_shift_takes_nothing_and_says_why(client, caseworker):
    Shift.objects.filter(staff__user=caseworker).update(status=Shift.Status.CANCELLED)
    waiting = CaseFactory()
    client.force_login(caseworker)
    response = client.post(reverse("cases:next"), follow=True)
    assert b"You are not on shift now" in response.content
    waiting.refresh_from_db()
    assert waiting.assignee is None


def test_next_item_when_nothing_is_due_yet_says_when(client, caseworker):
    queued_case(caseworker, due_in=2 * HOUR)
    client.force_login(caseworker)
    response = client.post(reverse("cases:next"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    assert b"Nothing in your queue is due yet" in response.content


def test_user_without_profile_is_told_they_have_no_queue(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("cases:queue"))
    assert b'data-reason="no_queue"' in response.content


@pytest.mark.parametrize("length", [3, 30])
def test_case_queue_query_count_does_not_grow_with_its_length(
    client, caseworker, django_assert_num_queries, length
):
    for n in range(length):
        queued_case(caseworker, due_in=(n - 2) * HOUR)
    client.force_login(caseworker)
    # session, user, staff profile, queue, shift on now; then the idle-expiry
    # session save (an UPDATE inside a savepoint, in a test's transaction)
    with django_assert_num_queries(9):
        response = client.get(reverse("cases:queue"))
    assert response.content.count(b'href="/cases/') == length


@pytest.mark.parametrize("length", [3, 30])
def test_contact_queue_query_count_does_not_grow_with_its_length(
    client, call_handler, django_assert_num_queries, length
):
    case = CaseFactory()
    for _ in range(length):
        hold(ContactFactory(case=case), call_handler)
    client.force_login(call_handler)
    with django_assert_num_queries(9):
        response = client.get(reverse("cases:queue"))
    assert response.content.count(b'href="/contacts/') == length


def test_queue_needs_sign_in(client):
    response = client.get(reverse("cases:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_supervisor_cannot_see_caseworker_items_in_their_own_queue(
    client, supervisor, caseworker
):
    queued_case(caseworker, due_in=-HOUR, name="Caseworkers")
    f.ShiftFactory(staff=supervisor.staff)
    client.force_login(supervisor)
    response = client.get(reverse("cases:queue"))
    assert b"Caseworkers" not in response.content


def test_a_row_shows_the_case_as_the_caseworker_reads_it(client, caseworker):
    """Each row's link, name, lab reference, phone, result date, status, next call
    (in UK time) and due tag, as the page drew them before its rows were made ready
    in Python."""
    case = queued_case(caseworker, due_in=-2 * HOUR, name="Okafor")
    # 14:30 UTC on a summer day is 15:30 in the UK.
    at = dt.datetime(2026, 7, 3, 14, 30, tzinfo=dt.UTC)
    Case.objects.filter(pk=case.pk).update(
        next_attempt_at=at,
        specimen_date=dt.date(2026, 7, 1),
        result_date=dt.date(2026, 7, 2),
        attempts=2,
    )
    case.person.phone = "+447911123456"
    case.person.save(update_fields=["phone"])
    client.force_login(caseworker)
    html = " ".join(client.get(reverse("cases:queue")).content.decode().split())
    url = reverse("cases:detail", args=[case.pk])
    assert f'<a href="{url}">{case.person.full_name}</a>' in html
    assert f">{case.lab_reference}</span>" in html
    assert "</span>07911 123456</td>" in html
    assert "</span>2 Jul</td>" in html
    status = case.get_status_display()
    assert f'<strong class="nhsuk-tag nhsuk-tag--blue">{status}</strong>' in html
    assert "</span>2</td>" in html
    assert (
        '</span>15:30, Fri 3 Jul <strong class="nhsuk-tag nhsuk-tag--red">Overdue'
        in html
    )


def test_a_contact_row_shows_until_when_they_isolate(
    client, call_handler, held_contact
):
    from_day = dt.date(2026, 1, 9)
    type(held_contact).objects.filter(pk=held_contact.pk).update(
        isolation_ends_on=from_day
    )
    client.force_login(call_handler)
    html = " ".join(client.get(reverse("cases:queue")).content.decode().split())
    assert "Isolates until </span>9 Jan 2026</td>" in html
