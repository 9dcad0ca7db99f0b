"""Alice answered on her link and that completed her case (nobody held it). Ten
minutes after the link ran out, her second phone, its page opened while the link
worked, sent two more people: the page listed Zoe and Eve, "call 119", and the case
page told staff to add them; but the case stayed completed, so when she rang nobody
could. Now such a sending reopens the case as the link's limit does (reached, in
the pool, the reason in its trail). A case its caseworker completed, or its local
team has, is not reopened: the trail records why, and the case page, which only
someone working it could act on, says nothing of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from tests.online.test_dead_link_oracle_names import (
    WITHOUT_NAMED,
    _fresh_allowance,  # noqa: F401 (a fixture, used by name)
    alice,
    alice_names_carol_and_dave,
    invite,
    names_only,
    url,
    words,
)
from tests.workspace.test_case_page import contact_rows, row
from work.assignment import assign_work

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

NOT_SAVED = "2 people they entered online could not be saved"


def trail(case: Case) -> list[dict]:
    return list(
        AuditEvent.objects.filter(
            object_type="cases.case", object_id=str(case.pk), detail__online="not saved"
        ).values_list("detail", flat=True)
    )


def answered_then_ran_out(client, clock) -> tuple[Case, str]:
    """Alice's answer completed her case; her link ran out ten minutes ago."""
    case = alice()
    link = invite(case)
    alice_names_carol_and_dave(client, link)
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    assert case.assignee_id is None
    link.refresh_from_db()
    clock.move_to(link.expires_at + dt.timedelta(minutes=10))
    return case, url(link)


def case_page(client, case: Case, user) -> str:
    client.force_login(user)
    return words(client.get(reverse("cases:detail", args=[case.pk])))


def test_people_sent_just_after_the_link_ran_out_can_be_added_when_she_rings(
    client, clock
):
    case, link_url = answered_then_ran_out(client, clock)

    page = words(client.post(link_url, names_only(WITHOUT_NAMED)))

    assert "We could not save these people" in page
    assert "Zoe Nobody" in page
    assert "Eve Stranger" in page
    assert "call 119" in page
    # She rings: a caseworker on shift takes the case from the pool and adds them.
    profile = f.StaffProfileFactory(clinical=True, user__username="nurse")
    f.ShiftFactory(staff=profile)
    assign_work()
    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.assignee == profile.user
    assert NOT_SAVED in case_page(client, case, profile.user)
    added = client.post(
        reverse("cases:contacts", args=[case.pk]),
        contact_rows(row("Zoe", "07911 050036"), row("Eve", "07911 050037")),
        follow=True,
    )
    assert b"2 contacts added" in added.content
    assert Contact.objects.filter(case=case).count() == 4


def test_the_case_is_reopened_with_the_reason_in_its_trail(client, clock):
    case, link_url = answered_then_ran_out(client, clock)

    client.post(link_url, names_only(WITHOUT_NAMED))

    case.refresh_from_db()
    assert case.completed_at is None
    assert Case.objects.awaiting_assignment().filter(pk=case.pk).exists()
    [detail] = trail(case)
    assert detail["contacts"] == 2
    assert "reopened" in detail


def test_a_case_its_caseworker_completed_is_not_reopened(
    client, clock, caseworker, supervisor
):
    case = alice()
    link = invite(case)
    alice_names_carol_and_dave(client, link)
    # A caseworker took it up and finished it later on.
    clock.shift(dt.timedelta(hours=2))
    Case.objects.filter(pk=case.pk).update(
        completed_at=timezone.now(), assignee=caseworker
    )
    link.refresh_from_db()
    clock.move_to(link.expires_at + dt.timedelta(minutes=10))

    page = words(client.post(url(link), names_only(WITHOUT_NAMED)))

    assert "Zoe Nobody" in page
    assert "call 119" in page
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    [detail] = trail(case)
    assert detail["contacts"] == 2
    assert detail["not reopened"] == "completed by a caseworker"
    assert NOT_SAVED not in case_page(client, case, supervisor)


def test_a_case_with_its_local_team_is_not_reopened(client, clock, supervisor):
    case = alice()
    link = invite(case)
    alice_names_carol_and_dave(client, link)
    Case.objects.filter(pk=case.pk).update(status=Status.ESCALATED)
    link.refresh_from_db()
    clock.move_to(link.expires_at + dt.timedelta(minutes=10))

    page = words(client.post(url(link), names_only(WITHOUT_NAMED)))

    assert "Zoe Nobody" in page
    assert "call 119" in page
    case.refresh_from_db()
    assert case.status == Status.ESCALATED
    [detail] = trail(case)
    assert detail["not reopened"] == "with its local team"
