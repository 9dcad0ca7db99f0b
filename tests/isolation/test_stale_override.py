"""An isolation end date changed from a page (or an API read) older than the date in
force is refused, not saved over the change made since: the typing kept, who changed
the date and when said, the date now shown. Before, a clinician meaning to lengthen
the date they saw shortened the one a colleague had set since, told nobody, and the
person was texted two different dates a minute apart.

The clock stands at Tuesday 12 January 2021, 10:00 GMT. The case was tested on
Sunday 10 January: 10 + 10 = Wednesday 20 January, its end date by the rules.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from contacts.models import Contact, IsolationChange
from people.models import Message
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.isolation import (
    IsolationChangedSince,
    contacts_become_cases,
    isolation_override,
)

from .conftest import SAM, D, a_case, a_naming_case, hold

pytestmark = pytest.mark.django_db

IMMUNOSUPPRESSED = "Immunosuppressed: a longer infectious period is likely."
FEBRILE = "Still febrile on day 9."
MONDAY_25 = D(2021, 1, 25)
FRIDAY_22 = D(2021, 1, 22)


@pytest.fixture
def ada(db):
    profile = f.StaffProfileFactory(
        clinical=True,
        user__username="nurse.ada",
        user__first_name="Ada",
        user__last_name="Hughes",
    )
    f.ShiftFactory(staff=profile)
    return profile.user


@pytest.fixture
def sarah(db):
    # A tier 2 national supervisor, who may change any case's date.
    profile = f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        user__username="sup.clinical",
        user__first_name="Sarah",
        user__last_name="Okafor",
    )
    return profile.user


@pytest.fixture
def case(clock, ada):
    case = hold(a_case(), ada)
    assert case.isolation_ends_on == D(2021, 1, 20)
    return case


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(item) -> str:
    return reverse(f"{item.kind}s:isolation", args=[item.pk])


def drawn(html: str) -> dict[str, str]:
    """The hidden field as drawn in the page (the date the form was drawn from),
    sent back with the form as a browser would."""
    return dict(re.findall(r'name="(current_ends_on)" value="([^"]*)"', html))


def opened(client: Client, item) -> dict[str, str]:
    return drawn(client.get(page_of(item)).content.decode())


def send(client: Client, item, page: dict[str, str], ends_on, reason):
    return client.post(
        page_of(item), {"ends_on": ends_on.isoformat(), "reason": reason, **page}
    )


def test_a_change_from_a_page_opened_before_a_colleagues_is_refused_and_kept(
    clock, case, ada, sarah
):
    nurse, sup = signed_in(ada), signed_in(sarah)
    ada_page, sarah_page = opened(nurse, case), opened(sup, case)
    assert ada_page == sarah_page == {"current_ends_on": "2021-01-20"}

    # Sarah lengthens the 20th to the 25th, five minutes on.
    clock.shift(dt.timedelta(minutes=5))
    saved = send(sup, case, sarah_page, MONDAY_25, IMMUNOSUPPRESSED)
    assert saved.status_code == 302

    # Ada, on the page showing the 20th, means to lengthen it to the 22nd.
    refused = send(nurse, case, ada_page, FRIDAY_22, FEBRILE)

    html = refused.content.decode()
    assert refused.status_code == 200
    assert (
        "Sarah Okafor changed the end date to Monday 25 January 2021 at 10:05 on "
        "Tue 12 Jan, after you opened this page. Your change is not saved"
    ) in html
    assert "now isolates until" not in html
    assert 'href="#isolation-now"' in html  # the summary links to the date now
    # The date in force is shown, and what Ada typed is still in the form.
    assert "The end of Monday 25 January 2021" in html
    assert 'value="2021-01-22"' in html
    assert FEBRILE in html
    # Sarah's date stands, and the person was sent hers alone.
    case.refresh_from_db()
    assert case.isolation_ends_on == MONDAY_25
    assert IsolationChange.objects.of_item(case).count() == 1
    assert Message.objects.filter(case=case).count() == 1

    # Having seen it, Ada decides again: the form, drawn now from the 25th, saves.
    assert drawn(html) == {"current_ends_on": "2021-01-25"}
    again = send(nurse, case, drawn(html), D(2021, 1, 27), FEBRILE)
    assert again.status_code == 302
    case.refresh_from_db()
    assert case.isolation_ends_on == D(2021, 1, 27)


def test_a_change_made_in_another_tab_is_said_to_be_their_own(clock, case, ada):
    tab_a, tab_b = signed_in(ada), signed_in(ada)
    page_a, page_b = opened(tab_a, case), opened(tab_b, case)
    send(tab_a, case, page_a, MONDAY_25, IMMUNOSUPPRESSED)

    refused = send(tab_b, case, page_b, FRIDAY_22, FEBRILE)

    html = refused.content.decode()
    assert (
        "You changed the end date to Monday 25 January 2021 at 10:00 on Tue 12 Jan "
        "in another tab or window, after this page was opened."
    ) in html
    case.refresh_from_db()
    assert case.isolation_ends_on == MONDAY_25


def test_the_form_sent_twice_is_still_saved_once(clock, case, ada):
    nurse = signed_in(ada)
    page = opened(nurse, case)
    send(nurse, case, page, FRIDAY_22, FEBRILE)

    again = send(nurse, case, page, FRIDAY_22, FEBRILE)

    assert again.status_code == 302
    shown = nurse.get(again["Location"]).content.decode()
    assert "it was sent twice, and saved once" in shown
    assert IsolationChange.objects.of_item(case).count() == 1


def test_a_page_drawn_before_forms_carried_the_date_saves_as_before(
    clock, case, ada, sarah
):
    send(signed_in(sarah), case, {}, MONDAY_25, IMMUNOSUPPRESSED)

    saved = send(signed_in(ada), case, {}, FRIDAY_22, FEBRILE)

    assert saved.status_code == 302
    case.refresh_from_db()
    assert case.isolation_ends_on == FRIDAY_22


# --- a fact changing the date since ------------------------------------------------------------


@pytest.fixture
def contact(clock, ada):
    """Sam, named by Ada's case for 10 January: isolating until the 20th."""
    case = hold(a_naming_case(D(2021, 1, 10)), ada)
    contact = contact_add(
        case=case,
        details=ContactDetails(
            person=SAM,
            exposure_date=D(2021, 1, 10),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    )
    assert contact.isolation_ends_on == D(2021, 1, 20)
    return contact


def test_a_change_from_before_a_positive_result_arrived_is_refused(clock, contact, ada):
    nurse = signed_in(ada)
    page = opened(nurse, contact)
    # Sam tests positive, symptoms from the 11th: 11 + 10 = 21 January.
    clock.shift(dt.timedelta(minutes=20))
    new = a_case(person=contact.person, symptom_onset=D(2021, 1, 11))
    contacts_become_cases(cases=[new], now=timezone.now())

    refused = send(nurse, contact, page, FRIDAY_22, FEBRILE)

    assert (
        "The end date changed to Thursday 21 January 2021 at 10:20 on Tue 12 Jan, "
        "when their positive test result arrived, after you opened this page."
    ) in refused.content.decode()
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2021, 1, 21)


def test_a_change_from_before_a_further_exposure_is_refused(clock, contact, ada):
    nurse = signed_in(ada)
    page = opened(nurse, contact)
    # Named again, for the 11th: 11 + 10 = 21 January.
    contact_add(
        case=a_naming_case(D(2021, 1, 11)),
        details=ContactDetails(
            person=SAM,
            exposure_date=D(2021, 1, 11),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    )

    refused = send(nurse, contact, page, FRIDAY_22, FEBRILE)

    assert (
        "The end date changed to Thursday 21 January 2021 at 10:00 on Tue 12 Jan, "
        "when they were named as a contact again, after you opened this page."
    ) in refused.content.decode()
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2021, 1, 21)


# --- the operation and the API ---------------------------------------------------------------


def test_the_operation_refuses_a_change_made_from_another_date(clock, case, ada, sarah):
    isolation_override(
        item=case, ends_on=MONDAY_25, reason=IMMUNOSUPPRESSED, clinician=sarah
    )

    with pytest.raises(IsolationChangedSince) as refused:
        isolation_override(
            item=case,
            ends_on=FRIDAY_22,
            reason=FEBRILE,
            clinician=ada,
            current_ends_on=D(2021, 1, 20),
        )

    assert str(refused.value) == (
        "Sarah Okafor changed the end date to Monday 25 January 2021 at 10:00 on "
        "Tue 12 Jan, after the date this change was made from: it is not saved."
    )
    case.refresh_from_db()
    assert case.isolation_ends_on == MONDAY_25


def api_as(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


def api_override(http, item, **body):
    body = {"ends_on": FRIDAY_22.isoformat(), "reason": FEBRILE, **body}
    return http.post(f"/api/v1/{item.kind}s/{item.pk}/isolation/", body, format="json")


def test_the_api_answers_409_with_the_date_now_and_who_changed_it(
    clock, case, ada, sarah
):
    clock.shift(dt.timedelta(minutes=5))
    assert api_override(
        api_as(sarah), case, ends_on="2021-01-25", reason=IMMUNOSUPPRESSED
    ).status_code in (201,)

    response = api_override(api_as(ada), case, current_ends_on="2021-01-20")

    assert response.status_code == 409, response.content
    change = IsolationChange.objects.get()
    assert response.json() == {
        "detail": "Sarah Okafor changed the end date to Monday 25 January 2021 at "
        "10:05 on Tue 12 Jan, after the date this change was made from: it is not "
        "saved.",
        "current_ends_on": "2021-01-25",
        "changed": {
            "kind": "override",
            "by": sarah.pk,
            "at": "2021-01-12T10:05:00Z",
            "isolation_change": change.pk,
        },
    }
    case.refresh_from_db()
    assert case.isolation_ends_on == MONDAY_25


def test_the_api_saves_a_change_made_from_the_date_in_force(clock, case, ada):
    response = api_override(api_as(ada), case, current_ends_on="2021-01-20")

    assert response.status_code == 201, response.content
    case.refresh_from_db()
    assert case.isolation_ends_on == FRIDAY_22


def test_the_api_without_the_date_read_saves_as_before(clock, case, ada, sarah):
    api_override(api_as(sarah), case, ends_on="2021-01-25", reason=IMMUNOSUPPRESSED)

    response = api_override(api_as(ada), case)

    assert response.status_code == 201, response.content
    case.refresh_from_db()
    assert case.isolation_ends_on == FRIDAY_22
