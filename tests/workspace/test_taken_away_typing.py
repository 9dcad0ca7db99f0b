"""What was typed on the case or contact page when the item was taken away (a
supervisor moved it back to the pool, the shift's end released it): nothing is saved,
and they are told what they typed, to pass it on. Before, only a call was listed:
contact rows, a visit or an assessment sent without JavaScript were lost without a
word ("Not saved. This case went back to the pool for someone else to take."), and
a call's language was left out, here and when the call came back after signing in."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from calls.models import CallAttempt
from cases.models import RiskAssessment
from cases.workitem import Status
from tests import factories as f

pytestmark = pytest.mark.django_db

POOL = "a supervisor, for whoever takes it next."


def opened(client, user, item) -> None:
    """The item's page drawn for `user` while it was theirs."""
    client.force_login(user)
    namespace = "cases" if item.kind == "case" else "contacts"
    assert client.get(reverse(f"{namespace}:detail", args=[item.pk])).status_code == 200


def back_to_the_pool(item) -> None:
    """A supervisor moves it back to the pool for someone else to take."""
    type(item).objects.filter(pk=item.pk).update(assignee=None, status=Status.NEW)


@pytest.fixture
def taken_case(client, caseworker):
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    opened(client, caseworker, case)
    back_to_the_pool(case)
    return case


def told_on_my_work(answer) -> str:
    assert answer.redirect_chain[-1][0] == reverse("cases:queue")
    return unescape(answer.content.decode())


def test_contact_rows_typed_are_listed_to_pass_on(client, taken_case):
    answer = client.post(
        reverse("cases:contacts", args=[taken_case.pk]),
        {
            "contacts-TOTAL_FORMS": "3",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-first_name": "Grace",
            "contacts-0-last_name": "Hopper",
            "contacts-0-phone": "07400 123452",
            "contacts-0-postcode": "S1 2HE",
            "contacts-0-exposure_date": "2026-12-03",
            "contacts-0-exposure": "household",
            "contacts-1-first_name": "Alan",
            "contacts-1-last_name": "Turing",
            "contacts-1-phone": "07400 123453",
        },
        follow=True,
    )

    text = told_on_my_work(answer)
    assert "Not saved. This case went back to the pool for someone else to take." in (
        text
    )
    assert (
        "The contacts you typed (Grace Hopper, phone “07400 123452”, postcode "
        "“S1 2HE”, last in contact “3 Dec 2026”, household; Alan Turing, phone "
        "“07400 123453”) were not added: pass them on to " + POOL
    ) in text
    assert not taken_case.contacts.exists()


def test_a_visit_typed_is_listed_to_pass_on(client, taken_case):
    answer = client.post(
        reverse("cases:visit", args=[taken_case.pk]),
        {
            "visit-name": "Crown Inn",
            "visit-kind": "venue",
            "visit-postcode": "S1 2HE",
            "visit-visited_on": "2026-12-01",
        },
        follow=True,
    )

    text = told_on_my_work(answer)
    assert (
        "The visit you typed (Crown Inn, hospitality or venue, postcode “S1 2HE”, "
        "on “1 Dec 2026”) was not recorded: pass it on to " + POOL
    ) in text
    assert not taken_case.visits.exists()


def test_an_assessment_typed_is_listed_to_pass_on(client, taken_case):
    answer = client.post(
        reverse("cases:assessment", args=[taken_case.pk]),
        {
            "symptomatic": "on",
            "symptom_onset": "2026-12-01",
            "occupation": "Teacher",
            "household_size": "3",
            "clinical_notes": "Asthma, on inhaler",
        },
        follow=True,
    )

    text = told_on_my_work(answer)
    assert (
        "The risk assessment you typed (date symptoms started “1 Dec 2026”; they "
        "have had symptoms; occupation “Teacher”; people in the household "
        "(including them) “3”; clinical notes “Asthma, on inhaler”) was not saved: "
        "pass it on to " + POOL
    ) in text
    assert not RiskAssessment.objects.filter(case=taken_case).exists()


def test_a_calls_language_is_listed_to_pass_on(client, call_handler):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    opened(client, call_handler, contact)
    back_to_the_pool(contact)

    answer = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": "needs_interpreter", "language": "Urdu"},
        follow=True,
    )

    assert (
        "(outcome “needs an interpreter” language “Urdu”) was not logged: pass it "
        "on to " + POOL
    ) in told_on_my_work(answer)
    assert not CallAttempt.objects.exists()


def kept_through_signing_in(client, item, call: dict[str, list[str]]) -> None:
    """The call form sent as the session ended, kept for after signing in."""
    namespace = "cases" if item.kind == "case" else "contacts"
    session = client.session
    session["typed_forms"] = {reverse(f"{namespace}:call", args=[item.pk]): call}
    session.save()


def test_a_calls_language_kept_through_signing_in_is_back_in_the_form(
    client, call_handler
):
    contact = f.ContactFactory(
        status=Status.ASSIGNED, assignee=call_handler, person__language=None
    )
    opened(client, call_handler, contact)
    kept_through_signing_in(
        client, contact, {"outcome": ["needs_interpreter"], "language": ["Urdu"]}
    )

    page = client.get(reverse("contacts:detail", args=[contact.pk]))

    html = page.content.decode()
    assert "What you typed is back in the form" in html
    form = page.context["call_form"]
    assert form.initial["language"] == "Urdu"
    assert 'name="language" value="Urdu"' in html


def test_a_calls_language_kept_for_a_case_gone_is_listed_to_pass_on(client, caseworker):
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    opened(client, caseworker, case)
    kept_through_signing_in(
        client, case, {"outcome": ["needs_interpreter"], "language": ["Urdu"]}
    )
    back_to_the_pool(case)

    page = client.get(reverse("cases:detail", args=[case.pk]), follow=True)

    assert (
        "(outcome “needs an interpreter” language “Urdu”) was not logged"
        in told_on_my_work(page)
    )
