"""A save sent twice (a double click without JavaScript, the browser sending the form
again) is told it worked, as a call sent twice is: completing a case, a setting
visited, a clinician's new isolation end date. Before, the second sending said "There
is a problem" although the first had saved it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.models import SettingVisit
from cases.workitem import Status
from contacts.models import IsolationChange
from online.texts import long_date
from tests import factories as f
from tests.workspace.conftest import ContactFactory
from work.calls import call_record
from work.casework import item_complete

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
PROBLEM = "There is a problem"
REASON = "Immunosuppressed: a longer infectious period is likely."


def url(name: str, item) -> str:
    return reverse(name, args=[item.pk])


def ready_to_complete(case, by):
    call_record(item=case, caller=by, outcome=Outcome.REACHED)
    f.RiskAssessmentFactory(case=case, assessed_by=by)
    ContactFactory(case=case)
    case.refresh_from_db()
    return case


# --- completing -------------------------------------------------------------------------


def test_complete_sent_twice_says_the_case_is_completed(client, caseworker, held_case):
    ready_to_complete(held_case, caseworker)
    client.force_login(caseworker)
    client.post(url("cases:complete", held_case), follow=True)

    again = client.post(url("cases:complete", held_case), follow=True)

    html = again.content.decode()
    assert again.redirect_chain[-1][0] == reverse("cases:queue")
    assert f"{held_case} is completed (it was sent twice, and completed once)." in html
    assert PROBLEM not in html
    assert "it cannot be completed" not in html
    held_case.refresh_from_db()
    assert held_case.status == Status.COMPLETED


def test_complete_sent_twice_by_htmx_goes_to_the_queue_saying_it_is_completed(
    client, caseworker, held_case
):
    ready_to_complete(held_case, caseworker)
    client.force_login(caseworker)
    first = client.post(url("cases:complete", held_case), headers=HTMX)

    again = client.post(url("cases:complete", held_case), headers=HTMX)

    assert first["HX-Redirect"] == again["HX-Redirect"] == reverse("cases:queue")
    html = client.get(reverse("cases:queue")).content.decode()
    assert f"{held_case} is completed (it was sent twice, and completed once)." in html
    assert PROBLEM not in html


def test_a_case_completed_by_someone_else_is_still_refused(
    client, caseworker, supervisor, held_case
):
    ready_to_complete(held_case, caseworker)
    item_complete(item=held_case, by=supervisor)
    client.force_login(caseworker)

    response = client.post(url("cases:complete", held_case), follow=True)

    html = response.content.decode()
    assert "This case is completed: it cannot be completed." in html
    assert "sent twice" not in html


# --- settings visited ---------------------------------------------------------------------


def visit(**fields) -> dict[str, str]:
    return {
        "visit-name": "Gym True",
        "visit-kind": "venue",
        "visit-postcode": "",
        "visit-visited_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        **fields,
    }


def said_recorded_twice() -> str:
    day = timezone.localdate() - dt.timedelta(days=1)
    return (
        f"Visit to Gym True on {day.day} {day:%b %Y} recorded (it was sent twice, and "
        "recorded once)."
    )


def test_a_visit_sent_twice_is_recorded_once_and_said_so(client, caseworker, held_case):
    client.force_login(caseworker)
    client.post(url("cases:visit", held_case), visit())

    again = client.post(url("cases:visit", held_case), visit(), follow=True)

    html = again.content.decode()
    assert again.redirect_chain[-1][0] == url("cases:detail", held_case) + "#settings"
    assert said_recorded_twice() in html
    assert PROBLEM not in html
    assert SettingVisit.objects.filter(case=held_case).count() == 1


def test_a_visit_sent_twice_by_htmx_is_its_section_with_a_confirmation(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    client.post(url("cases:visit", held_case), visit(), headers=HTMX)

    again = client.post(url("cases:visit", held_case), visit(), headers=HTMX)

    html = again.content.decode()
    assert 'id="settings-notice"' in html
    assert said_recorded_twice() in html
    assert PROBLEM not in html
    assert SettingVisit.objects.filter(case=held_case).count() == 1


def test_the_same_visit_entered_again_later_is_still_refused(
    clock, client, caseworker, held_case
):
    client.force_login(caseworker)
    client.post(url("cases:visit", held_case), visit())
    clock.shift(dt.timedelta(minutes=30))
    client.force_login(caseworker)  # (the session ended meanwhile)

    again = client.post(url("cases:visit", held_case), visit(), headers=HTMX)

    html = again.content.decode()
    assert PROBLEM in html
    assert "is already recorded." in html


def test_an_earlier_visit_entered_again_after_another_is_still_refused(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    client.post(url("cases:visit", held_case), visit())
    client.post(url("cases:visit", held_case), visit(**{"visit-name": "The Crown"}))

    again = client.post(url("cases:visit", held_case), visit(), headers=HTMX)

    assert "is already recorded." in again.content.decode()


# --- a clinician's new isolation end date ---------------------------------------------


def isolation_pages(held_case):
    contact = ContactFactory(case=held_case)
    return {"cases:isolation": held_case, "contacts:isolation": contact}


@pytest.mark.parametrize("page", ["cases:isolation", "contacts:isolation"])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_an_isolation_change_sent_twice_is_saved_once_and_said_so(
    client, caseworker, held_case, page, headers
):
    item = isolation_pages(held_case)[page]
    ends_on = timezone.localdate() + dt.timedelta(days=20)
    sent = {"ends_on": ends_on.isoformat(), "reason": REASON}
    client.force_login(caseworker)
    client.post(url(page, item), sent, headers=headers, follow=True)

    again = client.post(url(page, item), sent, headers=headers, follow=True)

    html = again.content.decode()
    name = item.person.full_name
    assert (
        f"{name} now isolates until the end of {long_date(ends_on)}. Your change is "
        "saved (it was sent twice, and saved once)."
    ) in html
    assert PROBLEM not in html
    assert "enter a different date" not in html
    assert IsolationChange.objects.of_item(item).count() == 1


def test_the_same_date_with_another_reason_is_still_refused(
    client, caseworker, held_case
):
    ends_on = timezone.localdate() + dt.timedelta(days=20)
    client.force_login(caseworker)
    client.post(
        url("cases:isolation", held_case),
        {"ends_on": ends_on.isoformat(), "reason": REASON},
    )

    again = client.post(
        url("cases:isolation", held_case),
        {"ends_on": ends_on.isoformat(), "reason": "Another reason."},
    )

    assert (
        f"They already isolate until {long_date(ends_on)}: enter a different date."
    ) in again.content.decode()


def test_the_same_change_sent_again_much_later_is_still_refused(
    clock, client, caseworker, held_case
):
    ends_on = timezone.localdate() + dt.timedelta(days=20)
    sent = {"ends_on": ends_on.isoformat(), "reason": REASON}
    client.force_login(caseworker)
    client.post(url("cases:isolation", held_case), sent)
    clock.shift(dt.timedelta(minutes=30))
    client.force_login(caseworker)  # (the session ended meanwhile)

    again = client.post(url("cases:isolation", held_case), sent)

    assert PROBLEM in again.content.decode()
    assert "enter a different date" in again.content.decode()
