"""The online route on the staff pages: how a person's link went, on the case and
contact pages, a new link sent from them, and the tag on "My work"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from online.models import OnlineLink
from people.models import Message
from tests import factories as f
from work.assignment import item_assign
from work.online import (
    CaseAnswer,
    online_case_submit,
    online_case_wait,
    online_cases_invite,
    online_contact_answer,
    online_contact_tell,
)

pytestmark = pytest.mark.django_db


def invite(case):
    """What intake does for a new case that can be messaged: no call due for the
    set hours, and its link sent."""
    now = timezone.now()
    assert online_case_wait(case, now)
    case.save(update_fields=["next_attempt_at"])
    [link] = online_cases_invite(cases=[case], now=now)
    return link


MOBILE = "+447400123678"
MASKED = "07*** ***678"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _clock_first(clock):
    """The test clock stands still before any staff or shift is made (a shift is
    "on now" by the clock)."""
    return clock


def online_section(html: str) -> str:
    """The page's "Online" section, alone."""
    return html.split('id="online" aria-labelledby="online-h"')[1].split("</section>")[
        0
    ]


def case_page(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def case_resend(case) -> str:
    return reverse("cases:online_resend", args=[case.pk])


def new_case(phone: str = MOBILE, **person) -> Case:
    """A new case in the pool, nobody holding it, as intake leaves it."""
    return f.CaseFactory(person=f.PersonFactory(phone=phone, **person))


@pytest.fixture
def other_caseworker(db):
    profile = f.StaffProfileFactory(clinical=True, user__username="other_caseworker")
    f.ShiftFactory(staff=profile)
    return profile.user


@pytest.fixture
def linked_case(clock, caseworker):
    """A new case sent its link on intake, then given to the caseworker."""
    case = new_case()
    link = invite(case)
    assert link is not None
    item_assign(item=case, to=caseworker)
    case.refresh_from_db()
    return case


def written(case) -> tuple[int, int, int]:
    """Links, messages and "changed" audit events of the case."""
    return (
        OnlineLink.objects.filter(case=case).count(),
        Message.objects.filter(case=case).count(),
        AuditEvent.objects.filter(
            action=AuditEvent.Action.UPDATE, object_id=str(case.pk)
        ).count(),
    )


# --- the case page --------------------------------------------------------------------


def test_case_page_shows_how_the_link_went(client, caseworker, linked_case):
    client.force_login(caseworker)
    html = client.get(case_page(linked_case)).content.decode()
    assert 'id="online"' in html
    assert (
        '<h2 class="nhsuk-card__heading nhsuk-heading-m" id="online-h">Online</h2>'
        in html
    )
    assert f"By text to {MASKED} at 10:00" in html
    assert "+447400123678" not in online_section(html)  # masked in the section
    assert "Queued" in html
    assert "Contacts entered" in html
    due = timezone.localtime(linked_case.next_attempt_at)
    assert due > timezone.localtime()  # no call due yet: they were sent a link
    assert f"No call before {due:%H:%M} unless they answer online." in html
    assert "Send a new link" in html


def test_case_page_has_no_online_section_without_a_link(client, caseworker, clock):
    case = new_case()
    item_assign(item=case, to=caseworker)
    client.force_login(caseworker)
    html = client.get(case_page(case)).content.decode()
    assert 'id="online"' not in html
    assert "Send a new link" not in html


def test_case_page_says_when_the_message_failed_and_why(
    client, caseworker, linked_case
):
    Message.objects.filter(case=linked_case).update(
        status=Message.Status.FAILED, failure_reason="Number not in use"
    )
    client.force_login(caseworker)
    html = client.get(case_page(linked_case)).content.decode()
    assert "Failed: Number not in use" in html


def test_case_page_says_when_it_was_delivered_and_opened(
    client, caseworker, linked_case, clock
):
    at = timezone.now() + dt.timedelta(minutes=5)
    Message.objects.filter(case=linked_case).update(
        status=Message.Status.DELIVERED, sent_at=at, delivered_at=at
    )
    OnlineLink.objects.filter(case=linked_case).update(
        opened_at=at + dt.timedelta(minutes=20)
    )
    client.force_login(caseworker)
    html = client.get(case_page(linked_case)).content.decode()
    assert "Delivered at 10:05" in html
    assert "10:25" in html  # opened
    assert "Not yet" in html  # contacts not entered yet


def test_once_they_answer_no_call_is_held_back(client, caseworker, linked_case, clock):
    link = OnlineLink.objects.get(case=linked_case)
    clock.shift(dt.timedelta(minutes=30))
    online_case_submit(link=link, answer=CaseAnswer(contacts=[], visits=[]))
    client.force_login(caseworker)
    html = client.get(case_page(linked_case)).content.decode()
    assert "No call before" not in html
    section = online_section(html)
    assert "Contacts entered" in section
    assert "10:30" in section


# --- sending a new link ----------------------------------------------------------------


def test_the_holder_sends_a_new_link(client, caseworker, linked_case):
    old = OnlineLink.objects.get(case=linked_case)
    client.force_login(caseworker)
    response = client.post(case_resend(linked_case), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f"A new link was sent by text to {MASKED}. The old link no longer works."
        in html
    )
    assert "<html" not in html  # the section only, drawn in place
    old.refresh_from_db()
    assert old.revoked_at is not None
    new = OnlineLink.objects.filter(case=linked_case).exclude(pk=old.pk).get()
    assert new.revoked_at is None
    assert new.created_by == caseworker
    messages = list(Message.objects.filter(case=linked_case).order_by("pk"))
    assert len(messages) == 2
    assert messages[0].key != messages[1].key
    assert new.message == messages[1]
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.UPDATE,
        object_id=str(linked_case.pk),
        detail__online_link="resent",
    )
    assert event.user == caseworker
    assert event.detail["link"] == new.pk


def test_a_new_link_asked_for_twice_is_sent_once(
    client, caseworker, linked_case, clock
):
    """A double click sent two texts, and the first link no longer worked."""
    client.force_login(caseworker)
    client.post(case_resend(linked_case), headers=HTMX)

    again = client.post(case_resend(linked_case), headers=HTMX).content.decode()

    assert "A new link was sent at" in again
    assert OnlineLink.objects.filter(case=linked_case).count() == 2
    assert Message.objects.filter(case=linked_case).count() == 2  # the invite's, one
    # A minute on, another may be sent.
    clock.shift(dt.timedelta(minutes=1))
    client.post(case_resend(linked_case), headers=HTMX)
    assert OnlineLink.objects.filter(case=linked_case).count() == 3


def test_a_new_link_without_htmx_redirects_with_the_message(
    client, caseworker, linked_case
):
    client.force_login(caseworker)
    response = client.post(case_resend(linked_case))
    assert response.status_code == 302
    assert response["Location"] == case_page(linked_case) + "#online"
    html = client.get(response["Location"]).content.decode()
    assert "A new link was sent by text to" in html
    assert OnlineLink.objects.filter(case=linked_case).count() == 2


def test_a_caseworker_who_does_not_hold_it_gets_403_and_nothing_is_written(
    client, other_caseworker, linked_case
):
    before = written(linked_case)
    client.force_login(other_caseworker)
    response = client.post(case_resend(linked_case), headers=HTMX)
    assert response.status_code == 403
    assert written(linked_case) == before
    assert OnlineLink.objects.get(case=linked_case).revoked_at is None


def test_no_new_link_for_a_completed_case(client, caseworker, linked_case):
    Case.objects.filter(pk=linked_case.pk).update(
        status=Status.COMPLETED,
        reached_at=timezone.now(),
        completed_at=timezone.now(),
    )
    before = written(linked_case)
    client.force_login(caseworker)
    response = client.post(case_resend(linked_case), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "This case is completed: no link is sent for it now." in html
    assert "Send a new link" not in html  # closed: no button
    assert written(linked_case) == before
    assert OnlineLink.objects.get(case=linked_case).revoked_at is None


def test_no_new_link_without_a_number_or_email(client, caseworker, linked_case):
    person = linked_case.person
    person.phone = ""
    person.save(update_fields=["phone"])
    client.force_login(caseworker)
    response = client.post(case_resend(linked_case), headers=HTMX)
    html = response.content.decode()
    assert "There is no mobile number or email to send a link to" in html
    assert OnlineLink.objects.filter(case=linked_case).count() == 1


def test_a_new_link_by_email_is_masked(client, caseworker, clock):
    case = new_case(phone="", email="jane.doe@example.org")
    invite(case)
    item_assign(item=case, to=caseworker)
    client.force_login(caseworker)
    html = client.post(case_resend(case), headers=HTMX).content.decode()
    assert "A new link was sent by email to ***doe@example.org." in html
    assert "jane.doe" not in html


# --- the contact page ------------------------------------------------------------------


@pytest.fixture
def linked_contact(clock, call_handler):
    """A new contact told to isolate by message, then given to the call handler."""
    contact = f.ContactFactory(person=f.PersonFactory(phone="+447400555321"))
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    item_assign(item=contact, to=call_handler)
    contact.refresh_from_db()
    return contact


def test_contact_page_shows_they_confirmed_they_will_isolate(
    client, call_handler, linked_contact, clock
):
    link = OnlineLink.objects.get(contact=linked_contact)
    clock.shift(dt.timedelta(minutes=45))
    online_contact_answer(link=link, will_isolate=True)
    client.force_login(call_handler)
    html = client.get(
        reverse("contacts:detail", args=[linked_contact.pk])
    ).content.decode()
    section = online_section(html)
    assert "Confirmed they will isolate" in section
    assert "10:45" in section
    assert "07*** ***321" in section
    assert "No call before" not in html
    assert "Send a new link" not in html  # reached: the contact is done with


def test_contact_page_before_an_answer_holds_the_call_back(
    client, call_handler, linked_contact
):
    client.force_login(call_handler)
    html = client.get(
        reverse("contacts:detail", args=[linked_contact.pk])
    ).content.decode()
    section = online_section(html)
    assert "Confirmed they will isolate" in section
    assert "Not yet" in section
    assert "No call before" in section
    assert "Send a new link" in section


def test_contact_page_shows_the_support_they_asked_for(
    client, supervisor, linked_contact
):
    link = OnlineLink.objects.get(contact=linked_contact)
    online_contact_answer(link=link, will_isolate=True, support=["food", "medicine"])
    client.force_login(supervisor)
    html = client.get(
        reverse("contacts:detail", args=[linked_contact.pk])
    ).content.decode()
    assert "Support asked for" in html
    assert "Food, medicine" in html


def test_the_call_handler_sends_a_contact_a_new_link(
    client, call_handler, linked_contact
):
    client.force_login(call_handler)
    response = client.post(
        reverse("contacts:online_resend", args=[linked_contact.pk]), headers=HTMX
    )
    assert response.status_code == 200
    assert "A new link was sent by text to 07*** ***321." in response.content.decode()
    links = OnlineLink.objects.filter(contact=linked_contact)
    assert links.count() == 2
    assert links.filter(revoked_at__isnull=True).count() == 1


def test_a_caseworker_cannot_send_a_contact_a_new_link(
    client, caseworker, linked_contact
):
    client.force_login(caseworker)
    response = client.post(
        reverse("contacts:online_resend", args=[linked_contact.pk]), headers=HTMX
    )
    assert response.status_code == 403
    assert OnlineLink.objects.filter(contact=linked_contact).count() == 1


# --- My work ---------------------------------------------------------------------------


def test_my_work_tags_the_rows_with_a_link(client, caseworker, linked_case, clock):
    plain = new_case(phone="+447400999111")
    item_assign(item=plain, to=caseworker)
    client.force_login(caseworker)
    html = client.get(reverse("cases:queue")).content.decode()
    assert html.count('data-testid="online-tag"') == 1
    assert "Online: sent link" in html
    row = html.split(linked_case.lab_reference)[0].rsplit("<tr", 1)[1]
    assert linked_case.person.full_name in row


def test_my_work_tags_a_case_that_answered_online(
    client, caseworker, linked_case, clock
):
    online_case_submit(
        link=OnlineLink.objects.get(case=linked_case),
        answer=CaseAnswer(contacts=[], visits=[]),
    )
    client.force_login(caseworker)
    html = client.get(reverse("cases:queue")).content.decode()
    assert "Online: answered" in html
    assert "Online: sent link" not in html


def test_my_work_tags_cost_no_query_at_all(client, caseworker):
    """The tags are read in the queue's own query: none per row, and none added."""

    def queue_queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("cases:queue")).content.decode()
        return len(queries), html

    client.force_login(caseworker)
    queue_queries()  # the session's first touch after signing in is written once
    item_assign(item=new_case(phone="+447400100001"), to=caseworker)
    without_links, html = queue_queries()
    assert "Online:" not in html
    for n in range(3):
        case = new_case(phone=f"+44740010001{n}")
        invite(case)
        item_assign(item=case, to=caseworker)
    with_links, html = queue_queries()
    assert html.count("Online: sent link") == 3
    assert with_links == without_links


def test_my_work_has_no_tag_once_the_link_has_expired(
    client, caseworker, linked_case, clock
):
    clock.shift(dt.timedelta(days=4))
    client.force_login(caseworker)
    html = client.get(reverse("cases:queue")).content.decode()
    assert linked_case.lab_reference in html
    assert "Online:" not in html


# --- the masking ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "to", "shown"),
    [
        ("sms", "+447400123678", "07*** ***678"),
        ("sms", "+33612345678", "+33 * ** ** *6 78"),
        ("email", "jane.doe@example.org", "***doe@example.org"),
        ("email", "jo@example.org", "***o@example.org"),
    ],
)
def test_addresses_are_masked_but_for_their_last_characters(channel, to, shown):
    from pages.desk.cases import masked_address

    assert masked_address(channel, to) == shown
