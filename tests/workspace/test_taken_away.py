"""A call logged, or a section saved, from a page drawn while the item was the
caseworker's, after it left them: they are told nothing was saved and where the item
is, with the call they typed. It was a 403 that htmx did not show: the page stayed as
it was, and a "reached" call was lost without a word."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse

from calls.models import CallAttempt
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from work.escalation import item_escalate

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
CALL = {"outcome": "reached", "notes": "Told to isolate, daughter shopping"}


def opened(client, user, item) -> None:
    """The item's page drawn for `user` while it was theirs."""
    client.force_login(user)
    namespace = "cases" if item.kind == "case" else "contacts"
    assert client.get(reverse(f"{namespace}:detail", args=[item.pk])).status_code == 200


@pytest.fixture
def given_away(client, call_handler):
    """A contact the call handler held, its page open, now given to Ewa."""
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    opened(client, call_handler, contact)
    ewa = f.StaffProfileFactory(user__first_name="Ewa", user__last_name="Nowak")
    type(contact).objects.filter(pk=contact.pk).update(assignee=ewa.user)
    return contact


def test_a_call_with_htmx_is_told_at_the_top_of_the_page(
    client, call_handler, given_away
):
    client.force_login(call_handler)

    answer = client.post(
        reverse("contacts:call", args=[given_away.pk]), CALL, headers=HTMX
    )

    assert answer.status_code == 200
    assert answer["HX-Retarget"] == "#maincontent"
    assert answer["HX-Reswap"] == "afterbegin"
    text = answer.content.decode()
    assert "Not saved. This contact is now held by Ewa Nowak." in text
    assert "(outcome “reached” notes “Told to isolate, daughter shopping”)" in text
    assert not CallAttempt.objects.exists()


def test_without_htmx_they_are_told_on_their_queue(client, call_handler, given_away):
    client.force_login(call_handler)

    answer = client.post(
        reverse("contacts:call", args=[given_away.pk]), CALL, follow=True
    )

    assert answer.redirect_chain[-1][0] == reverse("cases:queue")
    assert "Not saved. This contact is now held by Ewa Nowak." in (
        answer.content.decode()
    )


def test_an_item_escalated_meanwhile_says_which_team_has_it(client, call_handler):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    opened(client, call_handler, contact)
    item_escalate(item=contact, reason=Escalation.Reason.UNREACHED)
    team = Escalation.objects.get(contact=contact).local_team
    client.force_login(call_handler)

    answer = client.post(
        reverse("contacts:call", args=[contact.pk]), CALL, headers=HTMX
    )

    assert f"This contact is now with {team.name}." in answer.content.decode()


def test_a_case_section_saved_after_it_left_is_told_too(client, caseworker):
    other = f.StaffProfileFactory(
        clinical=True, user__first_name="Bo", user__last_name="Li"
    )
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    opened(client, caseworker, case)
    type(case).objects.filter(pk=case.pk).update(assignee=other.user)

    answer = client.post(
        reverse("cases:visit", args=[case.pk]),
        {"visit-name": "Crown Inn", "visit-kind": "venue"},
        headers=HTMX,
    )

    assert "Not saved. This case is now held by Bo Li." in answer.content.decode()


def test_an_item_merged_away_says_so(client, call_handler):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    opened(client, call_handler, contact)
    pk = contact.pk
    type(contact).objects.filter(pk=pk).delete()  # folded into another by a merge

    answer = client.post(reverse("contacts:call", args=[pk]), CALL, headers=HTMX)

    assert "no longer held (it was merged into another record)" in (
        answer.content.decode()
    )


def test_an_item_never_theirs_is_refused_and_nothing_said_of_it(client, call_handler):
    client.force_login(call_handler)
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=f.UserFactory())

    answer = client.post(reverse("contacts:call", args=[contact.pk]), CALL)

    assert answer.status_code == 403
    assert "held by" not in answer.content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_item_merged_away_while_the_call_waited_for_it_says_so(
    requires_postgres, client, call_handler
):
    """The merge held the contact's row when the call came in, and folded it away:
    before, the call waiting for the row failed on it gone, a 500, the call lost."""
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    opened(client, call_handler, contact)
    merging = threading.Event()
    errors: list[BaseException] = []

    def merge() -> None:
        try:
            with transaction.atomic():
                type(contact).objects.select_for_update().get(pk=contact.pk)
                merging.set()
                time.sleep(0.5)  # the call comes in and waits for the row
                type(contact).objects.filter(pk=contact.pk).delete()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=merge)
    thread.start()
    merging.wait()
    answer = client.post(reverse("contacts:call", args=[contact.pk]), CALL, follow=True)
    thread.join()

    assert not errors, errors
    assert answer.status_code == 200
    assert "no longer held (it was merged into another record)" in (
        answer.content.decode()
    )
    assert not CallAttempt.objects.exists()


def test_a_call_back_typed_for_an_item_gone_to_the_pool_says_when_they_asked(
    client, call_handler
):
    """The time they asked to be called at is the one thing to pass on: before, it
    was left out, the outcome was its code ("call_back"), and "them" was nobody."""
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    opened(client, call_handler, contact)
    type(contact).objects.filter(pk=contact.pk).update(assignee=None, status=Status.NEW)

    answer = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {
            "outcome": "call_back",
            "call_back_at": "2021-01-12T18:30",
            "notes": "ring after work",
        },
        headers=HTMX,
    )

    text = answer.content.decode()
    assert (
        "(outcome “asked to be called back” call back at “2021-01-12 18:30” notes "
        "“ring after work”) was not logged: pass it on to a supervisor, for whoever "
        "takes it next."
    ) in text


def test_a_call_kept_through_signing_in_again_on_an_item_gone_says_so(
    client, call_handler
):
    """The session ended as they sent "reached"; the call was kept for after signing
    in. Meanwhile the contact went back to the pool at the end of their shift. Before,
    signing in again led to a plain 403, the call kept in the session unseen."""
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    opened(client, call_handler, contact)
    session = client.session
    session["typed_forms"] = {
        reverse("contacts:call", args=[contact.pk]): {
            "outcome": ["reached"],
            "notes": ["Told to isolate"],
        }
    }
    session.save()
    type(contact).objects.filter(pk=contact.pk).update(assignee=None, status=Status.NEW)

    page = client.get(reverse("contacts:detail", args=[contact.pk]), follow=True)

    assert page.status_code == 200
    text = page.content.decode()
    assert "Not saved. This contact went back to the pool" in text
    assert "(outcome “reached” notes “Told to isolate”) was not logged" in text
    assert not CallAttempt.objects.exists()
    # Told once: the kept call is used up.
    assert client.get(reverse("contacts:detail", args=[contact.pk])).status_code == 403
