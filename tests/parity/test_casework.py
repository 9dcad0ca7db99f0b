"""A caseworker's operations on a case: adding contacts through the case page's
formset and through the API write the same rows; a case no longer open refuses every
door alike; completing on the page is the completion service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from work.casework import item_complete

from .conftest import (
    ASSIGN_RUN,
    LEEDS,
    api_session,
    case_in,
    hold,
    web_session,
)

pytestmark = pytest.mark.django_db

SAM = {
    "first_name": "Sam",
    "last_name": "Okafor",
    "phone": "07911 123457",
    "postcode": "S1 2HE",
}


def yesterday() -> str:
    return (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def page_add_contacts(client, case, *people: dict):
    """The case page's contacts formset: three rows, the spare ones left empty."""
    data = {
        "contacts-TOTAL_FORMS": "3",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "20",
    }
    for n, person in enumerate(people):
        for key, value in person.items():
            data[f"contacts-{n}-{key}"] = value
        data[f"contacts-{n}-exposure_date"] = yesterday()
        data[f"contacts-{n}-exposure"] = Contact.Exposure.HOUSEHOLD
    return client.post(reverse("cases:contacts", args=[case.pk]), data)


def api_add_contact(http, case, person: dict):
    return http.post(
        f"/api/v1/cases/{case.pk}/contacts/",
        {
            "person": person,
            "exposure_date": yesterday(),
            "exposure": Contact.Exposure.HOUSEHOLD,
        },
        format="json",
    )


@pytest.fixture
def held_case(caseworker):
    return hold(case_in(), caseworker)


def closed(case: Case) -> Case:
    """The case as its caseworker left it: reached, then completed (still theirs)."""
    Case.objects.filter(pk=case.pk).update(
        status=Status.COMPLETED,
        reached_at=timezone.now(),
        completed_at=timezone.now(),
        next_attempt_at=None,
        escalate_due_at=None,
    )
    case.refresh_from_db()
    return case


# --- adding contacts ----------------------------------------------------------------------


def test_adding_a_contact_through_the_api_writes_exactly_what_the_case_page_writes(
    doors, client, caseworker, held_case
):
    web_session(client, caseworker)
    http = api_session(caseworker)

    page = doors.run(lambda: page_add_contacts(client, held_case, SAM))
    api = doors.run(lambda: api_add_contact(http, held_case, SAM))

    assert page.response.status_code == 302
    assert api.response.status_code == 201, api.response.content
    (contact,) = page.new("contacts.contact")
    assert (contact["case_id"], contact["identified_by_id"]) == (
        held_case.pk,
        caseworker.pk,
    )
    assert [p["phone"] for p in page.new("people.person")] == ["+447911123457"]
    assert page.diff(api) == {}
    assert page.queued == api.queued == [ASSIGN_RUN]


def test_an_integration_adding_a_contact_writes_the_same_rows_as_the_case_page(
    doors, client, caseworker, held_case, sheffield_integration
):
    integration, http = sheffield_integration
    web_session(client, caseworker)

    page = doors.run(
        lambda: page_add_contacts(client, held_case, SAM),
        actors={caseworker: "ACTOR"},
    )
    api = doors.run(
        lambda: api_add_contact(http, held_case, SAM),
        actors={integration.user: "ACTOR"},
    )

    assert api.response.status_code == 201, api.response.content
    (event,) = page.new("audit.auditevent")
    assert (event["action"], event["user_id"]) == ("create", "ACTOR")
    assert page.diff(api) == {}
    assert page.queued == api.queued == [ASSIGN_RUN]


def test_several_contacts_on_the_page_write_what_as_many_api_posts_write(
    doors, client, caseworker, held_case
):
    kim = {**SAM, "first_name": "Kim", "phone": "07911 123458"}
    web_session(client, caseworker)
    http = api_session(caseworker)

    def one_post_each():
        for person in (SAM, kim):
            response = api_add_contact(http, held_case, person)
            assert response.status_code == 201, response.content
        return response

    page = doors.run(lambda: page_add_contacts(client, held_case, SAM, kim))
    api = doors.run(one_post_each)

    assert len(page.new("contacts.contact")) == 2
    assert page.diff(api) == {}
    # One assignment run for the page's batch; through the API, one per committed
    # request (here the requests share the test's transaction, so one is asked for).
    assert page.queued == [ASSIGN_RUN]
    assert api.queued
    assert all(task == ASSIGN_RUN for task in api.queued)


def test_the_same_person_twice_on_a_case_is_refused_alike_by_the_page_and_the_api(
    doors, client, caseworker, held_case
):
    web_session(client, caseworker)
    http = api_session(caseworker)
    # Added as met two days ago: the rows below (yesterday) are another row for
    # them, not the same rows sent again (which either door takes as sent twice).
    first = http.post(
        f"/api/v1/cases/{held_case.pk}/contacts/",
        {
            "person": SAM,
            "exposure_date": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
            "exposure": Contact.Exposure.HOUSEHOLD,
        },
        format="json",
    )
    assert first.status_code == 201
    before = doors.baseline()

    page = doors.run(lambda: page_add_contacts(client, held_case, SAM))
    api = doors.run(lambda: api_add_contact(http, held_case, SAM))

    message = "Sam Okafor is already a contact of this case."
    assert page.response.status_code == 200
    assert message in page.response.text
    assert api.response.status_code == 409
    assert api.response.json()["detail"] == message
    written = page.changes(before)
    # The page draws the case's contacts again with the refusal, and reading them is
    # audited (a view); the API's refusal shows no one and writes none. Nothing else.
    seen = written.pop("audit.auditevent", [])
    assert {(e["action"], e["detail"].get("list")) for e in seen} <= {
        ("view", "case contacts")
    }
    assert written == api.changes(before) == {}


REFUSED = ["other_caseworker", "call_handler", "local_team_member", "outsider"]


@pytest.mark.parametrize("who", REFUSED)
def test_the_same_people_are_refused_adding_contacts_on_the_page_and_the_api(
    request, doors, client, held_case, who
):
    if who == "other_caseworker":
        user = f.StaffProfileFactory(clinical=True, user__username="other_cw").user
    else:
        user = request.getfixturevalue(who)
    web_session(client, user)
    http = api_session(user)
    before = doors.baseline()

    page = doors.run(lambda: page_add_contacts(client, held_case, SAM))
    api = doors.run(lambda: api_add_contact(http, held_case, SAM))

    assert page.response.status_code == 403
    assert api.response.status_code in (403, 404)
    assert page.changes(before) == api.changes(before) == {}
    assert page.queued == api.queued == []


def test_another_teams_integration_cannot_add_contacts_to_a_case(
    doors, held_case, make_client
):
    _, leeds = make_client(
        "Leeds dashboard", scopes=["casework"], local_team=f.area(LEEDS).local_team
    )
    before = doors.baseline()

    api = doors.run(lambda: api_add_contact(leeds, held_case, SAM))

    assert api.response.status_code == 404
    assert api.changes(before) == {}


# --- a case no longer open ----------------------------------------------------------------


def test_adding_contacts_to_a_closed_case_is_refused_alike_by_the_page_and_the_api(
    doors, client, caseworker, held_case
):
    case = closed(held_case)
    web_session(client, caseworker)
    http = api_session(caseworker)
    before = doors.baseline()

    page = doors.run(lambda: page_add_contacts(client, case, SAM))
    api = doors.run(lambda: api_add_contact(http, case, SAM))

    message = "This case is completed: it can no longer be changed."
    # The page draws the rows typed again, to be passed on (not added).
    assert page.response.status_code == 200
    html = page.response.content.decode()
    assert (
        "The contact you typed was not added: a case that is completed takes no "
        "more contacts."
    ) in html
    assert "Sam Okafor" in html
    assert api.response.status_code == 409
    assert api.response.json()["detail"] == message
    assert page.changes(before) == api.changes(before) == {}
    assert page.queued == api.queued == []


def test_a_call_on_a_closed_case_is_refused_alike_by_the_page_and_the_api(
    doors, client, caseworker, held_case
):
    case = closed(held_case)
    web_session(client, caseworker)
    http = api_session(caseworker)
    before = doors.baseline()

    page = doors.run(
        lambda: client.post(
            reverse("cases:call", args=[case.pk]), {"outcome": Outcome.REACHED}
        )
    )
    api = doors.run(
        lambda: http.post(
            f"/api/v1/cases/{case.pk}/calls/", {"outcome": "reached"}, format="json"
        )
    )

    message = "This case is completed: it cannot be called."
    assert page.response.status_code == 200
    assert message in page.response.text
    assert api.response.status_code == 409
    assert api.response.json()["detail"] == message
    assert page.changes(before) == api.changes(before) == {}


# --- completing ----------------------------------------------------------------------------


def reached_with_assessment(case: Case, by) -> Case:
    Case.objects.filter(pk=case.pk).update(
        status=Status.REACHED, reached_at=timezone.now(), next_attempt_at=None
    )
    f.RiskAssessmentFactory(case=case, assessed_by=by)
    case.refresh_from_db()
    return case


def test_completing_a_case_on_the_page_writes_what_the_completion_service_writes(
    doors, client, caseworker, held_case
):
    case = reached_with_assessment(held_case, caseworker)
    web_session(client, caseworker)

    # The page asks first when no contacts are recorded; the box says there were none.
    page = doors.run(
        lambda: client.post(
            reverse("cases:complete", args=[case.pk]), {"no_contacts": "on"}
        )
    )
    service = doors.run(lambda: item_complete(item=case, by=caseworker))

    assert page.response.status_code == 302
    (row,) = [c for c in page.rows["cases.case"] if c["id"] == case.pk]
    assert row["status"] == Status.COMPLETED
    assert [e["action"] for e in page.new("audit.auditevent")] == ["update"]
    assert page.diff(service) == {}


def test_completing_a_closed_case_is_refused_by_the_page_with_the_services_message(
    doors, client, caseworker, held_case
):
    case = closed(held_case)
    web_session(client, caseworker)
    before = doors.baseline()
    with pytest.raises(IllegalTransition) as refused:
        doors.run(lambda: item_complete(item=case, by=caseworker))

    page = doors.run(lambda: client.post(reverse("cases:complete", args=[case.pk])))

    assert page.response.status_code == 302
    assert page.flashes == [str(refused.value)]
    assert page.changes(before) == {}
