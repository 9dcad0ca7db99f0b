"""A case completed by one person while another, its caseworker, is typing on it.

Before, a supervisor completing the case (ticking "no contacts") was told nothing of
the rows its caseworker had typed and not yet added (only their own typing was
looked at), and the caseworker's "Add the contacts" then refreshed or redirected the
page: the rows gone, the case recorded as having none, the two never traced. Now the
completer is told, by name, of anyone else's typing left unsaved on the case, and
completes over it only once told; and rows sent to a case completed meanwhile are
drawn again, not added, with who completed it and when, so they can be passed on.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from tests.workspace.conftest import CaseFactory, hold
from tests.workspace.test_case_page import ASSESSMENT, contact_rows, row
from work.calls import call_record
from work.casework import item_complete

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def ada(db):
    profile = f.StaffProfileFactory(
        clinical=True,
        user__username="nurse.ada",
        user__first_name="Ada",
        user__last_name="Lovelace",
    )
    f.ShiftFactory(staff=profile)
    return profile.user


@pytest.fixture
def supervisor(db):
    profile = f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        user__username="sup.clinical",
        user__first_name="Sam",
        user__last_name="Clinical",
    )
    return profile.user


@pytest.fixture
def case(ada):
    """Ada's case, reached and its risk assessment saved: ready to complete."""
    case = hold(CaseFactory(), ada)
    call_record(item=case, caller=ada, outcome=Outcome.REACHED)
    f.RiskAssessmentFactory(case=case, assessed_by=ada)
    case.refresh_from_db()
    return case


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, case) -> str:
    return reverse(f"cases:{name}", args=[case.pk])


TWO_ROWS = (
    row("Grace", "07911 123451", last_name="Hopper"),
    row("Alan", "07911 123452", last_name="Turing"),
)


def typing_rows(client: Client, case) -> None:
    """Ada types two contact rows: the page keeps them as her draft (204)."""
    answer = client.post(
        url("draft", case), {"section": "contacts", **contact_rows(*TWO_ROWS)}
    )
    assert answer.status_code == 204


def complete(client: Client, case, **extra: str):
    """ "Complete the case" from the supervisor's own page (with htmx its own, empty,
    contact rows are sent with it), ticking "no contacts"."""
    return client.post(
        url("complete", case),
        {"no_contacts": "on", **contact_rows(), **extra},
        headers=HTMX,
    )


def status_of(case) -> str:
    return Case.objects.get(pk=case.pk).status


# --- (a) the completer is told of someone else's typing ---------------------------------


def test_the_completer_is_told_of_the_holders_rows_typed_and_not_added(
    ada, supervisor, case
):
    typing_rows(signed_in(ada), case)

    answer = complete(signed_in(supervisor), case)

    html = answer.content.decode()
    assert "Ada Lovelace has 2 contacts typed and not yet added" in html
    assert status_of(case) == Status.REACHED


def test_the_completer_is_told_of_the_holders_assessment_changes_not_saved(
    ada, supervisor, case
):
    signed_in(ada).post(
        url("draft", case),
        {"section": "assessment", **ASSESSMENT, "occupation": "Night porter"},
    )

    answer = complete(signed_in(supervisor), case)

    html = answer.content.decode()
    assert "Ada Lovelace has changed the risk assessment and not saved it" in html
    assert status_of(case) == Status.REACHED


def test_without_javascript_the_page_says_so_at_complete(ada, supervisor, case):
    typing_rows(signed_in(ada), case)

    answer = signed_in(supervisor).post(url("complete", case), {"no_contacts": "on"})

    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<html" in html
    assert "Ada Lovelace has 2 contacts typed and not yet added" in html
    assert status_of(case) == Status.REACHED


def told_of(html: str) -> dict[str, str]:
    """The box to complete over the typing told of, ticked."""
    box = re.search(r'<input[^>]*name="over_typing"[^>]*>', html)
    assert box, "no box to complete over their typing"
    value = re.search(r'value="([^"]*)"', box[0])
    assert value
    return {"over_typing": value[1]}


def test_once_told_the_completer_may_complete_over_it(ada, supervisor, case):
    typing_rows(signed_in(ada), case)
    sam = signed_in(supervisor)
    told = told_of(complete(sam, case).content.decode())

    answer = complete(sam, case, **told)

    assert answer["HX-Redirect"] == reverse("cases:queue")
    assert status_of(case) == Status.COMPLETED


def test_typing_after_they_were_told_is_told_again(ada, supervisor, case):
    nurse = signed_in(ada)
    nurse.post(url("draft", case), {"section": "contacts", **contact_rows(TWO_ROWS[0])})
    sam = signed_in(supervisor)
    first = complete(sam, case).content.decode()
    assert "Ada Lovelace has 1 contact typed and not yet added" in first
    told = told_of(first)
    typing_rows(nurse, case)  # a second row, after Sam was told of one

    answer = complete(sam, case, **told)

    assert "Ada Lovelace has 2 contacts typed and not yet added" in (
        answer.content.decode()
    )
    assert status_of(case) == Status.REACHED


def test_rows_already_added_are_no_typing_to_be_told_of(ada, supervisor, case):
    nurse = signed_in(ada)
    typing_rows(nurse, case)
    nurse.post(url("contacts", case), contact_rows(*TWO_ROWS))  # added; draft cleared
    assert Contact.objects.filter(case=case).count() == 2

    answer = signed_in(supervisor).post(url("complete", case), headers=HTMX)

    assert answer["HX-Redirect"] == reverse("cases:queue")
    assert status_of(case) == Status.COMPLETED


# --- (b) rows sent to a case completed meanwhile ----------------------------------------


@pytest.fixture
def completed_meanwhile(ada, supervisor, case):
    """Ada has typed two rows; Sam completes the case (no contacts) before she adds
    them."""
    typing_rows(signed_in(ada), case)
    item_complete(item=case, by=supervisor)
    case.refresh_from_db()
    return case


def completed_at(case) -> str:
    return f"{timezone.localtime(case.completed_at):%H:%M}"


def test_with_htmx_the_rows_typed_are_drawn_again_with_who_completed_it(
    ada, completed_meanwhile
):
    case = completed_meanwhile

    answer = signed_in(ada).post(
        url("contacts", case), contact_rows(*TWO_ROWS), headers=HTMX
    )

    assert answer.status_code == 200
    assert "HX-Refresh" not in answer
    html = answer.content.decode()
    assert f"Sam Clinical completed this case at {completed_at(case)}" in html
    assert "The 2 contacts you typed were not added" in html
    for name in ("Grace", "Hopper", "07911 123451", "Alan", "Turing", "07911 123452"):
        assert name in html
    assert not Contact.objects.filter(case=case).exists()


def test_without_javascript_the_page_is_drawn_again_with_the_rows(
    ada, completed_meanwhile
):
    case = completed_meanwhile

    answer = signed_in(ada).post(url("contacts", case), contact_rows(*TWO_ROWS))

    assert answer.status_code == 200  # not a redirect, which loses them
    html = answer.content.decode()
    assert "<html" in html
    assert f"Sam Clinical completed this case at {completed_at(case)}" in html
    assert "The 2 contacts you typed were not added" in html
    assert "Hopper" in html
    assert "Turing" in html
    assert not Contact.objects.filter(case=case).exists()


def test_a_row_typed_with_mistakes_is_drawn_again_as_typed(ada, completed_meanwhile):
    case = completed_meanwhile
    typed = row("Grace", "0791", last_name="Hopper", postcode="")

    answer = signed_in(ada).post(
        url("contacts", case), contact_rows(typed), headers=HTMX
    )

    html = answer.content.decode()
    assert "The contact you typed was not added" in html
    assert "Hopper" in html
    assert "0791" in html


def test_the_completer_sending_rows_again_in_another_tab_is_told_it_was_them(
    supervisor, completed_meanwhile
):
    case = completed_meanwhile

    answer = signed_in(supervisor).post(
        url("contacts", case), contact_rows(TWO_ROWS[0]), headers=HTMX
    )

    assert f"You completed this case at {completed_at(case)}" in (
        answer.content.decode()
    )


def test_completed_between_the_pages_read_and_the_save_keeps_the_rows(
    ada, supervisor, case, monkeypatch
):
    """Completed by the supervisor while the caseworker's rows were on their way in
    (after the page read the case, before the save took its lock): the rows are
    drawn again, not a server error with the rows gone."""
    import pages.desk.cases as page_cases

    real = page_cases.contacts_add_many

    def completed_just_before(**kwargs):
        item_complete(item=case, by=supervisor)
        return real(**kwargs)

    monkeypatch.setattr(page_cases, "contacts_add_many", completed_just_before)
    client = signed_in(ada)
    client.raise_request_exception = False

    answer = client.post(url("contacts", case), contact_rows(*TWO_ROWS), headers=HTMX)

    assert answer.status_code == 200
    assert "The 2 contacts you typed were not added" in answer.content.decode()
    assert not Contact.objects.filter(case=case).exists()
