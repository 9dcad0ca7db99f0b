"""A call form sent twice at once (a double click without JavaScript: two requests in
flight) is one call, and both answers say what the call did. Before, the second
answer was built from the item as it was before the call: "Next attempt 16:35"
(already past) for a contact with no more phone attempts, "No supervisor of your team
has an email address on file" while the supervisor was emailed, and a safeguarding
or "needs an interpreter" call then sent on to the case page, which answered 403."""

from __future__ import annotations

import threading
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt
from cases.workitem import Status, WorkItem
from escalations.models import Escalation
from tests import factories as f
from tests.conftest import ensure_ons_areas
from tests.threads import side_by_side

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _areas(transactional_db):
    ensure_ons_areas()


def sent_at_once(monkeypatch, user, item, call: dict[str, str]) -> list[str]:
    """The call form of the item's page sent by two clients of `user` at once, each
    following its redirect: the pages they end on (status and text). Both read the
    item before either logs the call (the barrier before its lock), as two requests
    in flight do."""
    namespace = "cases" if item.kind == "case" else "contacts"
    first = Client()
    first.force_login(user)
    page = first.get(reverse(f"{namespace}:detail", args=[item.pk]))
    sent = {**call, "submission": str(page.context["call_form"].initial["submission"])}
    both_read = threading.Barrier(2)
    waited: set[int] = set()
    lock = WorkItem.locked

    def locked_once_both_read(self):
        if threading.get_ident() not in waited:  # the call's own lock, not later ones
            waited.add(threading.get_ident())
            both_read.wait(timeout=10)
        return lock(self)

    monkeypatch.setattr(WorkItem, "locked", locked_once_both_read)
    answers: list[str] = []

    def send() -> None:
        client = Client()
        client.force_login(user)
        answer = client.post(
            reverse(f"{namespace}:call", args=[item.pk]), sent, follow=True
        )
        answers.append(f"{answer.status_code} {unescape(answer.content.decode())}")

    assert side_by_side(send, send) == []
    assert CallAttempt.objects.filter(**{item.kind: item}).count() == 1
    return answers


def test_a_wrong_number_sent_at_once_says_no_more_attempts_in_both(
    monkeypatch, call_handler
):
    contact = f.ContactFactory(
        status=Status.ASSIGNED,
        assignee=call_handler,
        attempts=1,
        next_attempt_at=timezone.now() - timedelta(hours=1),
    )

    answers = sent_at_once(
        monkeypatch, call_handler, contact, {"outcome": "wrong_number"}
    )

    for answer in answers:
        assert answer.startswith("200 ")
        assert (
            "Logged: wrong number. No more attempts by phone: it goes to the local "
            "team next." in answer
        )
        assert "Logged: wrong number. Next attempt" not in answer


def test_a_safeguarding_call_sent_at_once_says_the_supervisor_is_emailed_in_both(
    monkeypatch, call_handler
):
    profile = call_handler.staff
    f.StaffProfileFactory(
        tier=profile.tier,
        team=profile.team,
        organisation=profile.organisation,
        is_supervisor=True,
        user__email="lead@example.nhs.uk",
    )
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)

    answers = sent_at_once(
        monkeypatch,
        call_handler,
        contact,
        {"outcome": "safeguarding", "notes": "Child alone at home"},
    )

    for answer in answers:
        assert answer.startswith("200 "), answer[:200]
        assert "your supervisor is being emailed." in answer
        assert "No supervisor of your team has an email address" not in answer
    assert Escalation.objects.filter(contact=contact).count() == 1


def test_needs_an_interpreter_sent_at_once_goes_to_my_work_in_both(
    monkeypatch, caseworker
):
    urdu = f.LanguageFactory(code="ur", name="Urdu")
    f.StaffProfileFactory(clinical=True).languages.add(urdu)  # a colleague speaks it
    case = f.CaseFactory(
        status=Status.ASSIGNED, assignee=caseworker, person__language=None
    )

    answers = sent_at_once(
        monkeypatch,
        caseworker,
        case,
        {"outcome": "needs_interpreter", "language": "Urdu"},
    )

    for answer in answers:
        assert answer.startswith("200 "), answer[:200]
        assert (
            "Logged: needs an interpreter. It has gone back to the pool for a "
            "colleague who speaks Urdu." in answer
        )
    case.refresh_from_db()
    assert (case.status, case.assignee) == (Status.NEW, None)
