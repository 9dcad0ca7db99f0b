"""An old case link as an oracle of whom the case named. Alice tests positive and
names Carol Friend and Dave Mailer on her link's page. Weeks later, her link out of
time or replaced, or her case finished or with its local team, anyone holding the
old text (a shared family phone, a forwarded text) posted names to it: the page
listed those it "could not save", leaving out Carol and Dave, which said that Alice
had named them.

Now a link that no longer works answers a sending as it answers an opening, whatever
names are sent; only a page left open on a link replaced or out of time moments
before lists back what was typed, all of it, whoever the case named."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from online.models import OnlineLink
from pages.online import limits
from tests import factories as f
from work.online import online_case_invite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

# Typed on the page with nothing but a name: two Alice named, two she did not.
WITH_NAMED = [("Carol", "Friend"), ("Zoe", "Nobody"), ("Dave", "Mailer")]
WITH_NAMED += [("Eve", "Stranger")]
WITHOUT_NAMED = [("Zoe", "Nobody"), ("Eve", "Stranger")]
WEEKS = dt.timedelta(weeks=3)


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def url(link: OnlineLink) -> str:
    assert link.message is not None
    return "/o/" + link.message.body.split("/o/")[1].split("/")[0] + "/"


def words(response) -> str:
    return unescape(response.content.decode())


def without_nonce(html: bytes) -> bytes:
    return re.sub(rb'nonce="[^"]*"', b'nonce=""', html)


def names_only(people: list[tuple[str, str]]) -> dict[str, str]:
    data = {"lang": "en"}
    for i, (first, last) in enumerate(people):
        data[f"contact-{i}-first_name"] = first
        data[f"contact-{i}-last_name"] = last
    return data


def alices_answer() -> dict[str, str]:
    near = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    return {
        "lang": "en",
        "contact-0-first_name": "Carol",
        "contact-0-last_name": "Friend",
        "contact-0-phone": "07400 123457",
        "contact-0-last_near": near,
        "contact-0-household": "no",
        "contact-1-first_name": "Dave",
        "contact-1-last_name": "Mailer",
        "contact-1-email": "dave@example.org",
        "contact-1-last_near": near,
        "contact-1-household": "no",
    }


def alice() -> Case:
    return f.CaseFactory(
        person__first_name="Alice",
        person__last_name="Casewoman",
        person__phone="+447400123456",
    )


def invite(case: Case) -> OnlineLink:
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    return link


def alice_names_carol_and_dave(client, link: OnlineLink) -> None:
    assert client.get(url(link)).status_code == 200
    thanks = client.post(url(link), alices_answer())
    assert "Thank you" in words(thanks)
    assert {c.person.full_name for c in Contact.objects.filter(case=link.case)} == {
        "Carol Friend",
        "Dave Mailer",
    }


def stop(client, clock, how: str) -> OnlineLink:
    """Alice's link, stopped `how`, held on the family phone: the link whose page she
    named Carol and Dave on, or an earlier one her newer link replaced."""
    case = alice()
    link = invite(case)
    if how.startswith("replaced"):
        old = link
        client.get(url(old))  # opened, then a caseworker sent a newer one
        alice_names_carol_and_dave(client, invite(case))
        clock.shift(WEEKS if how == "replaced weeks ago" else dt.timedelta(hours=3))
        return old
    alice_names_carol_and_dave(client, link)
    if how == "case completed":
        Case.objects.filter(pk=case.pk).update(
            status=Status.COMPLETED, completed_at=timezone.now()
        )
    elif how == "case escalated":
        Case.objects.filter(pk=case.pk).update(status=Status.ESCALATED)
    clock.shift(WEEKS)
    return link


@pytest.mark.parametrize(
    "how",
    [
        "out of time",
        "replaced weeks ago",
        "replaced hours ago",
        "case completed",
        "case escalated",
    ],
)
def test_an_old_link_says_nothing_of_whom_the_case_named(client, clock, how):
    link = stop(client, clock, how)

    with_named = client.post(url(link), names_only(WITH_NAMED))
    without_named = client.post(url(link), names_only(WITHOUT_NAMED))
    opened = client.get(url(link))

    assert "Zoe Nobody" not in words(with_named)
    assert "We could not save these people" not in words(with_named)
    assert with_named.status_code == without_named.status_code == opened.status_code
    assert without_nonce(with_named.content) == without_nonce(without_named.content)
    # The same as opening it: a sending learns nothing an opening would not.
    assert without_nonce(with_named.content) == without_nonce(opened.content)


@pytest.mark.parametrize("how", ["replaced weeks ago", "replaced hours ago"])
def test_a_replaced_link_is_the_page_of_a_link_that_does_not_work(client, clock, how):
    link = stop(client, clock, how)

    answer = client.post(url(link), names_only(WITH_NAMED))

    assert answer.status_code == 404
    assert "This link does not work" in words(answer)


@pytest.mark.parametrize("stopped", ["replaced", "out of time"])
def test_a_page_left_open_as_its_link_stopped_lists_everyone_typed(
    client, clock, stopped
):
    """The deliberate case: typed on a page opened while its link worked, sent just
    after a newer link went or its time ran out. Everyone typed is listed, to call
    119 about, Carol and Dave too: what is listed is what was typed, never checked
    against whom the case named."""
    case = alice()
    link = invite(case)
    alice_names_carol_and_dave(client, invite(case))  # replaces `link`...
    link.refresh_from_db()
    OnlineLink.objects.filter(pk=link.pk).update(
        revoked_at=None, opened_at=timezone.now()
    )  # ...which, say, she had open on another phone
    clock.shift(dt.timedelta(minutes=5))
    if stopped == "replaced":
        OnlineLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    else:
        OnlineLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    clock.shift(dt.timedelta(minutes=2))

    answer = client.post(url(link), names_only(WITH_NAMED))

    page = words(answer)
    assert "We could not save these people" in page
    for first, last in WITH_NAMED:
        assert f"{first} {last}" in page
    assert "call 119" in page


def test_a_finished_case_s_live_link_lists_everyone_typed(client, clock):
    """A case finished by phone while its link still works: what is typed is
    listed back whole, named by the case or not."""
    case = alice()
    link = invite(case)
    for first, last in (("Carol", "Friend"), ("Dave", "Mailer")):
        f.ContactFactory(case=case, person__first_name=first, person__last_name=last)
    clock.shift(dt.timedelta(hours=2))
    Case.objects.filter(pk=case.pk).update(
        status=Status.COMPLETED, completed_at=timezone.now()
    )

    page = words(client.post(url(link), names_only(WITH_NAMED)))

    assert "We could not save these people" in page
    for first, last in WITH_NAMED:
        assert f"{first} {last}" in page


def test_a_live_link_still_saves(client):
    case = alice()
    link = invite(case)

    alice_names_carol_and_dave(client, link)

    link.refresh_from_db()
    assert link.submitted_at is not None
    assert Contact.objects.filter(case=case).count() == 2
