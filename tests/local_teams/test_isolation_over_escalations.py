"""An escalated contact whose isolation has ended, picked up by nobody, is closed by
the escalation sweep: "Not found", with the same reason as a contact closed before
it was escalated ("there is nothing to ask of them now, so they are not traced"),
once, by one statement a batch (row by row on SQLite), skipping what another holds.
The team's queue no longer lists them and its overdue figure no longer counts them;
the closed tab shows them.

Only the escalations that ask a team to reach the contact (not reached, a wrong
number, refused by phone) are closed so: a safeguarding concern and a request for
support stay until a person closes them, and a case is not a contact. One picked
up stays with whoever holds it, but is not counted overdue.

Before, two days after the last contact's isolation ended, the four contacts
escalated to a team were still "New" near the top of its queue and counted in its
"overdue" figure; only their pages said there was nothing to ask of them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.workitem import Status
from escalations.models import Escalation
from figures.weekly import ISO, Period, Scope, compute_weekly_figures
from tests.threads import side_by_side
from work import escalation as work_escalation
from work.escalation import escalate_unreached, escalation_claim
from work.tasks import escalate_unreached_task

from .builders import HOUR, LONDON, NOW, escalated_case, escalated_contact

QUEUE = reverse("escalations:queue")
# The builders' contacts were exposed two days before NOW (Tuesday 12 January
# 2021): ten days at home, to the end of Wednesday 20 January.
ENDED = dt.date(2021, 1, 20)
TWO_DAYS_LATER = dt.datetime(2021, 1, 22, 10, 0, tzinfo=LONDON)
CLOSED_WHY = (
    "Their isolation ended on Wednesday 20 January 2021: there is nothing to ask "
    "of them now, so they are not traced."
)

pytestmark = pytest.mark.django_db

WAYS = ["one statement", "row by row"]


@pytest.fixture(params=WAYS)
def way(request, monkeypatch):
    """The sweep's batch in one PostgreSQL statement, or row by row (SQLite's)."""
    if request.param == "row by row":
        monkeypatch.setattr(work_escalation, "_batch_in_one_statement", lambda: False)
    return request.param


def escalated_contacts(n: int, **kwargs) -> list[Escalation]:
    escalations = [escalated_contact(**kwargs) for _ in range(n)]
    assert {e.contact.isolation_ends_on for e in escalations} == {ENDED}
    return escalations


def signed_in(client, member):
    """Signed in when the test's clock reads (a session ten days old has expired)."""
    client.force_login(member)
    return client


def page_ids(response) -> list[int]:
    return [e.pk for e in response.context["page"]]


def closings(escalation: Escalation) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="contacts.contact",
            object_id=str(escalation.contact_id),
            action=AuditEvent.Action.UPDATE,
            detail__escalation=escalation.pk,
        )
    )


def test_the_sweep_takes_them_off_the_teams_queue(clock, way, client, sheffield_member):
    escalations = escalated_contacts(4)
    clock.move_to(TWO_DAYS_LATER)
    sheffield_client = signed_in(client, sheffield_member)
    before = sheffield_client.get(QUEUE, {"tab": "new"})
    assert set(page_ids(before)) == {e.pk for e in escalations}

    escalate_unreached_task()

    after = sheffield_client.get(QUEUE, {"tab": "new"})
    assert not set(page_ids(after)) & {e.pk for e in escalations}
    assert after.context["counts"]["overdue"] == 0
    assert '<span class="app-count__number">0</span> overdue' in after.content.decode()
    closed = sheffield_client.get(QUEUE, {"tab": "closed"})
    assert set(page_ids(closed)) == {e.pk for e in escalations}
    assert "Not found" in closed.content.decode()


def test_the_close_is_recorded_as_one_before_escalation_is(clock, way):
    escalation = escalated_contact()
    clock.move_to(TWO_DAYS_LATER)

    escalate_unreached()

    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.CLOSED
    assert escalation.outcome == Escalation.Outcome.NOT_FOUND
    assert escalation.outcome_note == CLOSED_WHY
    assert escalation.closed_at == timezone.now()
    assert escalation.closed_by is None
    contact = escalation.contact
    contact.refresh_from_db()
    assert contact.status == Status.CLOSED
    assert contact.closed_at == timezone.now()
    assert contact.reached_at is None
    [closed] = closings(escalation)
    assert closed.user is None
    assert closed.at == timezone.now()
    assert closed.person_id == contact.person_id
    assert closed.detail == {
        "escalation": escalation.pk,
        "outcome": Escalation.Outcome.NOT_FOUND,
        "closed": "isolation_over",
        "isolation_ends_on": "2021-01-20",
        "reason": CLOSED_WHY,
    }


def test_the_figures_count_them_as_not_reached(clock, way):
    escalated_contacts(2)
    clock.move_to(TWO_DAYS_LATER)

    escalate_unreached()

    week = Period.containing(NOW.date(), ISO)
    contacts = compute_weekly_figures(period=week, scope=Scope.england()).contacts
    assert (contacts.identified, contacts.reached) == (2, 0)


@pytest.mark.parametrize(
    "reason",
    [
        Escalation.Reason.UNREACHED,
        Escalation.Reason.WRONG_NUMBER,
        Escalation.Reason.REFUSED,
    ],
)
def test_every_reason_that_asks_only_to_reach_them_is_closed(clock, way, reason):
    escalation = escalated_contact(reason=reason)
    clock.move_to(TWO_DAYS_LATER)

    escalate_unreached()

    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.CLOSED


@pytest.mark.parametrize(
    "reason",
    [
        Escalation.Reason.SAFEGUARDING,
        Escalation.Reason.SUPPORT,
        Escalation.Reason.COMPLEX,
        Escalation.Reason.OTHER,
    ],
)
def test_a_concern_or_a_request_for_help_stays_for_a_person(clock, way, reason):
    escalation = escalated_contact(reason=reason)
    clock.move_to(TWO_DAYS_LATER)

    escalate_unreached()

    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.NEW
    assert closings(escalation) == []


def test_a_case_is_not_closed(clock, way):
    escalation = escalated_case()
    clock.move_to(escalation.case.created_at + dt.timedelta(days=30))

    escalate_unreached()

    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.NEW


def test_one_still_isolating_is_not_closed(clock, way):
    escalation = escalated_contact()
    clock.move_to(dt.datetime(2021, 1, 20, 23, 30, tzinfo=LONDON))  # its last day

    escalate_unreached()

    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.NEW


def test_one_picked_up_stays_with_its_holder_and_is_not_overdue(
    clock, way, client, sheffield_member
):
    held = escalated_contact()
    escalation_claim(escalation=held, by=sheffield_member)
    clock.move_to(TWO_DAYS_LATER - 25 * HOUR)
    # Escalated 25 hours ago and isolating until Sunday: overdue.
    late = escalated_contact(exposure_date=dt.date(2021, 1, 14))
    clock.move_to(TWO_DAYS_LATER)

    escalate_unreached()

    held.refresh_from_db()
    assert held.status == Escalation.Status.PICKED_UP
    assert held.picked_up_by == sheffield_member
    response = signed_in(client, sheffield_member).get(QUEUE, {"tab": "picked_up"})
    assert page_ids(response) == [held.pk]
    assert response.context["counts"]["overdue"] == 1  # `late` alone
    assert Escalation.objects.get(pk=late.pk).status == Escalation.Status.NEW


def test_they_are_closed_exactly_once(clock, way):
    escalation = escalated_contact()
    clock.move_to(TWO_DAYS_LATER)
    escalate_unreached()
    closed_at = Escalation.objects.get(pk=escalation.pk).closed_at

    clock.shift(dt.timedelta(minutes=5))
    escalate_unreached()

    escalation.refresh_from_db()
    assert escalation.closed_at == closed_at
    assert len(closings(escalation)) == 1


def test_a_full_batch_asks_for_another(clock, way):
    escalations = escalated_contacts(3)
    ours = Escalation.objects.filter(pk__in=[e.pk for e in escalations])
    clock.move_to(TWO_DAYS_LATER)

    assert escalate_unreached(batch=2)[1] is True
    assert ours.filter(status=Escalation.Status.CLOSED).count() == 2
    while escalate_unreached(batch=2)[1]:
        pass

    assert {e.status for e in ours} == {Escalation.Status.CLOSED}


def _sweep_without_waiting() -> None:
    """A second sweep, refused rather than left waiting should it wait for a lock."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '5s'")
    escalate_unreached()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("locked", ["escalation", "contact"])
def test_a_sweep_skips_one_another_holds_and_it_is_closed_once(clock, locked):
    escalation = escalated_contact()
    clock.move_to(TWO_DAYS_LATER)

    with transaction.atomic():
        if locked == "escalation":
            Escalation.objects.select_for_update().get(pk=escalation.pk)
        else:
            type(escalation.contact).objects.select_for_update().get(
                pk=escalation.contact_id
            )
        errors = side_by_side(_sweep_without_waiting)
        assert Escalation.objects.get(pk=escalation.pk).status == "new"
    escalate_unreached()
    escalate_unreached()

    assert errors == []
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.CLOSED
    assert len(closings(escalation)) == 1
