"""The case page's "Withdraw this result" (a tier 2 supervisor), what the case page
shows after, and the queues: a withdrawn case or contact is never handed out.
Before, there was no such page (404) and a withdrawn case did not exist."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils.html import escape

from cases.workitem import Status
from contacts.models import Contact
from tests.isolation.conftest import hold
from work.assignment import assign_work
from work.withdraw import REASON_REQUIRED, case_withdraw

from .conftest import BEN, DECEMBER_7, named, positive

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]
REASON = "The lab voided the test: sample leaked in transit"


def page(client, user, case) -> str:
    client.force_login(user)
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_supervisor_withdraws_on_the_page_after_a_warning(client, supervisor):
    case = positive()
    ben = named(case, BEN)
    assert "Withdraw this result" in page(client, supervisor, case)
    address = reverse("cases:withdraw", args=[case.pk])

    warning = client.get(address).content.decode()
    assert "This cannot be undone" in warning
    assert "1 contact only this case named" in warning

    refused = client.post(address, {"reason": ""})
    assert refused.status_code == 200
    said = refused.content.decode()
    assert escape(REASON_REQUIRED) in said
    assert "Confirm that you understand" in said
    case.refresh_from_db()
    assert case.status != Status.WITHDRAWN

    done = client.post(address, {"reason": REASON, "confirm": "on"})

    assert done.status_code == 302
    case.refresh_from_db()
    ben.refresh_from_db()
    assert (case.status, ben.status) == (Status.WITHDRAWN, Status.WITHDRAWN)
    shown = client.get(done["Location"]).content.decode()
    assert "The result is withdrawn and the case closed as withdrawn." in shown
    assert "This result was withdrawn" in shown
    assert REASON in shown
    assert (supervisor.get_full_name() or supervisor.username) in shown
    for form in (
        "Log the call",
        "Save the assessment",
        "Add the contacts",
        "Complete the case",
    ):
        assert form not in shown
    assert "Withdraw this result" not in shown
    # Sent again (a second click, the back button): nothing more is done.
    again = client.post(address, {"reason": REASON, "confirm": "on"})
    assert again.status_code == 302
    assert "already withdrawn" in client.get(again["Location"]).content.decode()


def test_the_caseworker_holding_the_case_may_not(client, caseworker):
    case = hold(positive(), caseworker)

    assert "Withdraw this result" not in page(client, caseworker, case)
    response = client.get(reverse("cases:withdraw", args=[case.pk]))
    assert response.status_code == 403
    assert (
        client.post(
            reverse("cases:withdraw", args=[case.pk]), {"reason": "x", "confirm": "on"}
        ).status_code
        == 403
    )
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED


def test_a_withdrawn_case_and_contact_leave_my_work_and_are_never_handed_out(
    client, caseworker, call_handler, supervisor
):
    case = hold(positive(), caseworker)
    ben = named(case, BEN)
    client.force_login(caseworker)
    assert "Asha" in client.get(reverse("cases:queue")).content.decode()
    case_withdraw(case=case, reason=REASON, by=supervisor)
    # Due now, as if their wait online were over: still never handed out.
    Contact.objects.filter(pk=ben.pk).update(
        next_attempt_at=DECEMBER_7 - dt.timedelta(minutes=5)
    )

    report = assign_work()

    assert report.total == 0
    case.refresh_from_db()
    ben.refresh_from_db()
    assert (case.assignee_id, ben.assignee_id) == (None, None)
    assert (case.status, ben.status) == (Status.WITHDRAWN, Status.WITHDRAWN)
    assert "Asha" not in client.get(reverse("cases:queue")).content.decode()
