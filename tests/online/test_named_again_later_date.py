"""A person told to stay at home, then named again by another case with a later
date: a new contact is made for the later date (work.casework), and the first
contact's link and page say the date has changed, never the earlier one as theirs
now; the new contact's page says they were told the earlier one."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact
from online.models import OnlineLink
from online.texts import long_date
from pages.online import limits
from people.models import Message
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.isolation import contacts_become_cases
from work.online import (
    CaseAnswer,
    online_case_invite,
    online_case_submit,
    online_contact_tell,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

KIT = PersonDetails(
    first_name="Kit",
    last_name="Twice",
    date_of_birth=dt.date(1991, 3, 3),
    phone="07911 123401",
    postcode="S1 2HE",
)


@pytest.fixture(autouse=True)
def _fresh_allowance():
    """Every test starts with its address's whole allowance (counted in Redis)."""
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def token_in(body: str) -> str:
    return body.split("/o/")[1].split("/")[0]


def words(response) -> str:
    return " ".join(unescape(response.content.decode()).split())


def kit_told_and_answered(client) -> tuple[Contact, str]:
    """Case A names Kit (three days ago); Kit is texted a link and says online that
    they will stay at home."""
    kit = contact_add(
        case=f.CaseFactory(),
        details=ContactDetails(
            person=KIT, exposure_date=days_ago(3), exposure="household"
        ),
    )
    link = online_contact_tell(contact=kit, now=timezone.now())
    assert link is not None
    token = token_in(link.message.body)
    answered = client.post(f"/o/{token}/", {"will_isolate": "yes"})
    assert answered.status_code == 200
    kit.refresh_from_db()
    assert kit.status == Status.REACHED
    return kit, token


def kit_named_again_online() -> Contact:
    """Case B enters Kit on its own link, last near them yesterday."""
    case = f.CaseFactory(person__phone="+447400111999")
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    online_case_submit(
        link=link,
        answer=CaseAnswer(
            contacts=[
                ContactDetails(
                    person=KIT, exposure_date=days_ago(1), exposure="household"
                )
            ],
            visits=[],
        ),
    )
    return Contact.objects.get(case=case)


def kit_named_again_by_phone() -> Contact:
    """Case B's caseworker adds Kit on the case page: Kit is to be phoned."""
    return contact_add(
        case=f.CaseFactory(),
        details=ContactDetails(
            person=KIT, exposure_date=days_ago(1), exposure="household"
        ),
    )


# --- the first contact's link ---------------------------------------------------------


def test_the_first_link_gives_the_later_date_and_the_new_message(client):
    first, token = kit_told_and_answered(client)
    later = kit_named_again_online()
    assert later.pk != first.pk
    assert later.isolation_ends_on > first.isolation_ends_on
    assert OnlineLink.objects.filter(contact=later).exists()

    page = words(client.get(f"/o/{token}/"))

    assert "We already have your answers" in page
    assert long_date(first.isolation_ends_on) not in page
    assert (
        "You have been near someone else who has coronavirus since: your date to "
        f"stay at home has changed. Stay at home until the end of "
        f"{long_date(later.isolation_ends_on)}." in page
    )
    assert "We have sent you a new message about it, with a new link." in page


def test_the_first_link_in_welsh_gives_the_later_date(client):
    first, token = kit_told_and_answered(client)
    later = kit_named_again_online()

    page = words(client.get(f"/o/{token}/?lang=cy"))

    assert long_date(first.isolation_ends_on, "cy") not in page
    assert f"tan ddiwedd {long_date(later.isolation_ends_on, 'cy')}." in page
    assert "Rydym wedi anfon neges newydd atoch am hyn, gyda dolen newydd." in page


def test_the_first_link_says_we_will_be_in_touch_when_the_later_is_phoned(client):
    first, token = kit_told_and_answered(client)
    later = kit_named_again_by_phone()
    assert not Message.objects.filter(contact=later).exists()

    page = words(client.get(f"/o/{token}/"))

    assert long_date(first.isolation_ends_on) not in page
    assert f"until the end of {long_date(later.isolation_ends_on)}." in page
    assert "We will be in touch with you about it." in page
    assert "new message" not in page


def test_a_link_not_named_again_still_reminds_of_its_date(client):
    first, token = kit_told_and_answered(client)

    page = words(client.get(f"/o/{token}/"))

    assert (
        f"Remember: stay at home until the end of {long_date(first.isolation_ends_on)}."
        in page
    )
    assert "has changed" not in page


def test_a_contact_who_became_a_case_is_not_named_again(client):
    """The "became a case" follow moves the contact's own date: no later contact."""
    first, token = kit_told_and_answered(client)
    case = f.CaseFactory(
        person=first.person, specimen_date=days_ago(1), result_date=days_ago(0)
    )
    contacts_become_cases(cases=[case], now=timezone.now())
    first.refresh_from_db()

    page = words(client.get(f"/o/{token}/"))

    assert Contact.objects.other_dates(first).named_again_later is None
    assert (
        f"Remember: stay at home until the end of {long_date(first.isolation_ends_on)}."
        in page
    )
    assert "has changed" not in page


# --- the call handler's pages ---------------------------------------------------------


def hold(contact: Contact, user) -> Contact:
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    contact.refresh_from_db()
    return contact


def test_the_first_contacts_page_says_named_again_not_the_old_read_out(
    client, supervisor
):
    first, _ = kit_told_and_answered(client)
    later = kit_named_again_by_phone()
    client.force_login(supervisor)

    page = words(client.get(f"/contacts/{first.pk}/"))

    assert "Read out: please self-isolate" not in page
    assert (
        f"Named again by another case on {timezone.localdate():%A %-d %B %Y}: now "
        f"isolating until the end of <strong>{long_date(later.isolation_ends_on)}"
        f'</strong> (<a href="/contacts/{later.pk}/">contact {later.pk}</a>: waiting).'
    ) in page


def test_the_first_contacts_page_names_the_later_without_a_link_for_others(
    client, call_handler
):
    """A call handler holding the first contact may not open the later one."""
    first, _ = kit_told_and_answered(client)
    later = kit_named_again_by_phone()
    hold(first, call_handler)
    client.force_login(call_handler)

    page = words(client.get(f"/contacts/{first.pk}/"))

    assert (
        f"until the end of <strong>{long_date(later.isolation_ends_on)}</strong> "
        f"(contact {later.pk}: waiting)" in page
    )
    assert f'href="/contacts/{later.pk}/"' not in page
    assert "Read out: please self-isolate" not in page


def test_the_later_contacts_page_says_the_earlier_date_they_were_told(
    client, call_handler
):
    first, _ = kit_told_and_answered(client)
    later = hold(kit_named_again_by_phone(), call_handler)
    client.force_login(call_handler)

    page = words(client.get(f"/contacts/{later.pk}/"))

    assert (
        "Read out: please self-isolate until the end of "
        f"<strong>{long_date(later.isolation_ends_on)}</strong>."
    ) in page
    assert (
        f"Told an earlier date before (contact {first.pk}, named "
        f"{timezone.localdate():%A %-d %B %Y}): until the end of "
        f"{long_date(first.isolation_ends_on)}. Tell them their date has changed."
    ) in page
    assert f'href="/contacts/{first.pk}/"' not in page
