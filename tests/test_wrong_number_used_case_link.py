"""A case's link texted to a number later logged "Wrong number" keeps working for
the stranger once it has been used: only unused links are revoked, but a case's used
link still takes more people (takes_more), each of whom is texted to isolate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from contacts.models import Contact
from pages.online import limits
from tests import factories as f
from tests.isolation.conftest import hold
from work.calls import call_record
from work.online import online_case_invite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

STRANGER = "+447400111222"


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def row(first: str, last: str, phone: str) -> dict[str, str]:
    return {
        "contact-0-first_name": first,
        "contact-0-last_name": last,
        "contact-0-phone": phone,
        "contact-0-last_near": (
            timezone.localdate() - dt.timedelta(days=1)
        ).isoformat(),
        "contact-0-household": "no",
    }


def test_a_used_case_link_stops_taking_people_once_its_number_is_logged_wrong(
    client, caseworker
):
    case = f.CaseFactory(
        person__first_name="Priya", person__last_name="Shah", person__phone=STRANGER
    )
    link = online_case_invite(case=case, now=timezone.now())
    case = hold(case, caseworker)  # picked up by a caseworker meanwhile
    token = link.message.body.split("/o/")[1].split("/")[0]
    # The stranger holding the text answers it once.
    assert (
        client.post(f"/o/{token}/", row("Omar", "Ali", "07400 881001")).status_code
        == 200
    )
    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.assignee_id == caseworker.pk

    # The caseworker's follow-up call: a stranger answers. "Wrong number".
    call_record(
        item=case,
        caller=caseworker,
        outcome=Outcome.WRONG_NUMBER,
        duration_seconds=30,
        notes="",
    )
    case.person.refresh_from_db()
    assert STRANGER in case.person.wrong_numbers

    # The stranger sends more people on the same link.
    later = client.post(f"/o/{token}/", row("Grace", "Okafor", "07400 881002"))
    link.refresh_from_db()
    assert not Contact.objects.filter(case=case, person__first_name="Grace").exists(), (
        f"the stranger's link still took a person after the wrong number "
        f"(status {later.status_code}, revoked_at={link.revoked_at})"
    )
