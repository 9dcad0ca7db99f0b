"""A case's link opened on two devices: the people sent from the second, after the
first had sent its answers, were thrown away while the page said "We already have
your answers". Now a later sending, while the link still works, adds the people not
named before; and what cannot be saved any more is listed, not dropped."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case, SettingVisit
from cases.workitem import Status
from contacts.models import Contact
from online.models import OnlineLink
from pages.online import limits
from tests import factories as f
from work.online import online_case_invite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def url(token: str) -> str:
    return f"/o/{token}/"


def words(response) -> str:
    return unescape(response.content.decode())


def yesterday() -> str:
    return (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def case_link() -> tuple[Case, OnlineLink, str]:
    case = f.CaseFactory(
        person__first_name="Priya",
        person__last_name="Shah",
        person__phone="+447400111222",
    )
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    return case, link, link.message.body.split("/o/")[1].split("/")[0]


def row(i: int, first: str, last: str, phone: str, household: str) -> dict[str, str]:
    return {
        f"contact-{i}-first_name": first,
        f"contact-{i}-last_name": last,
        f"contact-{i}-phone": phone,
        f"contact-{i}-last_near": yesterday(),
        f"contact-{i}-household": household,
    }


def omar(i: int = 0) -> dict[str, str]:
    return row(i, "Omar", "Ali", "07400 881001", "yes")


def grace(i: int = 0) -> dict[str, str]:
    return row(i, "Grace", "Okafor", "07400 881002", "no")


def named(case: Case) -> set[str]:
    return {
        c.person.full_name for c in Contact.objects.filter(case=case).select_related()
    }


def test_people_sent_from_a_second_device_are_added(client):
    case, _, token = case_link()
    # Devices A and B each open the page.
    assert client.get(url(token)).status_code == 200
    assert client.get(url(token)).status_code == 200

    first = client.post(url(token), omar())  # B
    later = client.post(url(token), grace())  # A, the page still open there

    assert "Thank you" in words(first)
    assert later.status_code == 200
    assert "We already have your answers" not in words(later)
    assert (
        "We have added the people you have just told us about to those you sent "
        "before." in words(later)
    )
    assert named(case) == {"Omar Ali", "Grace Okafor"}
    # Grace is told to isolate like Omar was.
    added = Contact.objects.get(case=case, person__first_name="Grace")
    assert added.online_links.get().message.to == "+447400881002"
    assert added.next_attempt_at > timezone.now()
    # The addition is in the trail; the case stays as the first answer left it.
    events = AuditEvent.objects.filter(
        object_type="cases.case", object_id=str(case.pk), detail__online="added"
    )
    assert [e.detail["contacts"] for e in events] == [1]
    case.refresh_from_db()
    assert case.status == Status.COMPLETED


def test_a_person_already_sent_is_not_named_twice(client):
    case, _, token = case_link()
    client.post(url(token), omar())

    later = client.post(url(token), {**omar(0), **grace(1)})

    assert "We have added the people" in words(later)
    assert Contact.objects.filter(case=case).count() == 2
    assert named(case) == {"Omar Ali", "Grace Okafor"}


def test_people_a_link_can_no_longer_take_are_listed_to_phone_about(client, clock):
    """A case its caseworker has finished takes no one more: the person is shown
    who was not saved, and the number to ring, never "we already have them"."""
    case, _, token = case_link()
    client.post(url(token), omar())
    # A caseworker took it up and finished it later on.
    clock.shift(dt.timedelta(hours=2))
    Case.objects.filter(pk=case.pk).update(completed_at=timezone.now())

    later = client.post(url(token), grace())

    page = words(later)
    assert later.status_code == 200
    assert "We already have your answers" not in page
    assert "Grace Okafor" in page
    assert "call 119" in page
    assert "Omar Ali" not in page  # saved before: not listed
    assert named(case) == {"Omar Ali"}
    assert AuditEvent.objects.filter(
        object_type="cases.case", object_id=str(case.pk), detail__online="not saved"
    ).exists()


def test_a_case_finished_by_phone_is_not_said_to_be_in_hand_still(client, clock):
    """Before: "A contact tracer is in touch with you about this now", of work done."""
    case, _, token = case_link()
    clock.shift(dt.timedelta(hours=1))
    Case.objects.filter(pk=case.pk).update(
        status=Status.COMPLETED, completed_at=timezone.now()
    )

    page = words(client.get(url(token)))

    assert "A contact tracer has finished this with you." in page
    assert "is in touch with you about this now" not in page


def test_a_place_sent_later_is_thanked_as_a_place_not_as_people(client):
    case, _, token = case_link()
    client.post(url(token), omar())

    later = client.post(
        url(token),
        {
            "place-0-kind": "workplace",
            "place-0-name": "Acme Widgets",
            "place-0-visited_on": (
                timezone.localdate() - dt.timedelta(days=1)
            ).isoformat(),
            "place-0-postcode": "",
        },
    )

    assert SettingVisit.objects.filter(case=case).count() == 1
    assert "We have added the places you have just told us about" in words(later)
    assert "the people you have just told us about" not in words(later)


@pytest.mark.parametrize("stopped", ["replaced", "out of time"])
def test_people_typed_on_a_link_replaced_or_out_of_time_are_listed(
    client, clock, stopped
):
    """The page was left open; meanwhile a caseworker sent a newer link, or the
    link's time ran out. What was typed is listed to phone about, not lost."""
    case, link, token = case_link()
    assert client.get(url(token)).status_code == 200
    if stopped == "replaced":
        OnlineLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    else:
        clock.move_to(link.expires_at + dt.timedelta(minutes=1))

    answer = client.post(url(token), omar())

    assert "We could not save these people" in words(answer)
    assert "Omar Ali" in words(answer)
    assert "call 119" in words(answer)
    assert not Contact.objects.filter(case=case).exists()


def test_a_replaced_link_opened_again_is_still_the_page_of_a_link_that_does_not_work(
    client,
):
    _, link, token = case_link()
    OnlineLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())

    assert "This link does not work" in words(client.get(url(token)))
