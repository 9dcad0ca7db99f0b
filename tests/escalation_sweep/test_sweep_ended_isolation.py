"""A contact out of time whose isolation had ended by then is not sent to a local
team: the sweep closes them, once, with an audit row saying why (there is nothing
to ask of them now, so they are not traced, as a contact named that late is
refused), and the weekly figures still count them as not reached. Both ways of
writing the sweep's batch (one PostgreSQL statement, row by row) do it alike.

Before, a contact named on a Monday evening for an exposure ten days back was
escalated on the Tuesday night, "Not reached within 24 hours", due with the team
two days after their isolation had ended."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.errors import IllegalTransition
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from figures.weekly import ISO, Period, Scope, compute_weekly_figures
from tests import factories as f
from work import escalation
from work.escalation import escalate_unreached, item_escalate_unreached

LONDON = ZoneInfo("Europe/London")
# Tuesday 8 December 2026, 23:30 in London: the sweep after a day unreached.
TUESDAY_NIGHT = dt.datetime(2026, 12, 8, 23, 30, tzinfo=LONDON)
HOUR = dt.timedelta(hours=1)
CLOSED_WHY = (
    "Their isolation ended on Monday 7 December 2026: there is nothing to ask of "
    "them now, so they are not traced."
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(TUESDAY_NIGHT)]

WAYS = ["one statement", "row by row"]


@pytest.fixture(params=WAYS)
def way(request, monkeypatch):
    """The sweep's batch in one PostgreSQL statement, or row by row (SQLite's)."""
    if request.param == "row by row":
        monkeypatch.setattr(escalation, "_batch_in_one_statement", lambda: False)
    return request.param


def due_contact(*, exposed_on: dt.date, now: dt.datetime = TUESDAY_NIGHT) -> Contact:
    """Named the evening before `now`, never reached, out of time an hour ago."""
    return f.ContactFactory(
        exposure_date=exposed_on,
        created_at=now - 24 * HOUR - HOUR,
        escalate_due_at=now - HOUR,
    )


def ended_on_monday() -> Contact:
    contact = due_contact(exposed_on=dt.date(2026, 11, 27))
    assert contact.isolation_ends_on == dt.date(2026, 12, 7)
    return contact


def closings(contact: Contact) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="contacts.contact",
            object_id=str(contact.pk),
            action=AuditEvent.Action.UPDATE,
            detail__has_key="closed",
        )
    )


def test_a_contact_whose_isolation_ended_is_closed_not_escalated(clock, way):
    ended = ended_on_monday()
    isolating = due_contact(exposed_on=dt.date(2026, 12, 6))

    escalated, more = escalate_unreached()

    assert (escalated, more) == (1, False)
    assert not Escalation.objects.filter(contact=ended).exists()
    assert Escalation.objects.filter(contact=isolating).count() == 1
    ended.refresh_from_db()
    assert ended.status == Status.CLOSED
    assert ended.closed_at == timezone.now()
    assert ended.reached_at is None
    assert ended.local_team_id is None
    assert ended.escalate_due_at is None
    assert ended.next_attempt_at is None
    [closed] = closings(ended)
    assert closed.user is None
    assert closed.detail["reason"] == CLOSED_WHY
    assert not AuditEvent.objects.filter(
        object_id=str(ended.pk), action=AuditEvent.Action.ESCALATE
    ).exists()


def test_a_contact_held_by_a_call_handler_is_closed_and_leaves_their_queue(
    clock, way, call_handler
):
    ended = ended_on_monday()
    Contact.objects.filter(pk=ended.pk).update(
        status=Status.ASSIGNED, assignee=call_handler, assigned_at=timezone.now()
    )

    escalate_unreached()

    ended.refresh_from_db()
    assert ended.status == Status.CLOSED
    assert ended.assignee_id is None
    assert not Contact.objects.filter(assignee=call_handler, status__in=["assigned"])


def test_it_is_closed_exactly_once(clock, way):
    ended = ended_on_monday()
    escalate_unreached()
    closed_at = Contact.objects.get(pk=ended.pk).closed_at

    clock.shift(dt.timedelta(minutes=5))
    assert escalate_unreached() == (0, False)

    assert Contact.objects.get(pk=ended.pk).closed_at == closed_at
    assert len(closings(ended)) == 1
    assert not Escalation.objects.exists()


def test_closings_filling_a_batch_never_let_one_through_to_a_team(clock, way):
    first, second = ended_on_monday(), ended_on_monday()
    isolating = due_contact(exposed_on=dt.date(2026, 12, 6))

    while True:
        _, more = escalate_unreached(batch=1)
        if not more:
            break

    assert list(Escalation.objects.values_list("contact", flat=True)) == [isolating.pk]
    assert {c.status for c in Contact.objects.filter(pk__in=[first.pk, second.pk])} == {
        Status.CLOSED
    }


def test_the_london_date_decides_whether_it_has_ended(clock, way):
    """In summer time: ending on Tuesday 1 June 2021, the sweep at 23:30 on the
    Tuesday escalates (22:30 UTC); at 00:10 on the Wednesday (still Tuesday in UTC)
    it closes."""
    tuesday = dt.datetime(2021, 6, 1, 23, 30, tzinfo=LONDON)
    clock.move_to(tuesday)
    escalated = due_contact(exposed_on=dt.date(2021, 5, 22), now=tuesday)
    assert escalated.isolation_ends_on == dt.date(2021, 6, 1)
    assert escalate_unreached() == (1, False)

    wednesday = dt.datetime(2021, 6, 2, 0, 10, tzinfo=LONDON)
    clock.move_to(wednesday)
    closed = due_contact(exposed_on=dt.date(2021, 5, 22), now=wednesday)
    assert escalate_unreached() == (0, False)

    assert Escalation.objects.filter(contact=escalated).exists()
    assert Contact.objects.get(pk=closed.pk).status == Status.CLOSED


def test_the_figures_count_it_as_not_reached(clock, way):
    ended_on_monday()

    escalate_unreached()

    week = Period.containing(dt.date(2026, 12, 7), ISO)  # ISO week 50 of 2026
    figures = compute_weekly_figures(period=week, scope=Scope.england())
    assert figures.contacts.identified == 1
    assert figures.contacts.reached == 0


def test_one_contact_alone_is_closed_not_escalated_either(clock):
    ended = ended_on_monday()

    assert item_escalate_unreached(item=ended) is None

    assert not Escalation.objects.exists()
    assert Contact.objects.get(pk=ended.pk).status == Status.CLOSED
    [closed] = closings(ended)
    assert closed.detail["reason"] == CLOSED_WHY
    with pytest.raises(IllegalTransition):
        item_escalate_unreached(item=ended)  # closed once
