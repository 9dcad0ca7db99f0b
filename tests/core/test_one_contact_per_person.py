"""One contact per person across cases: a person named by several cases is one
contact to call, with all their exposures, isolating until the latest date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.workitem import Status
from contacts.models import Contact, Exposure
from online.models import OnlineLink
from people.services import PersonDetails
from tests import factories as f
from work.assignment import assign_work
from work.casework import ContactDetails, DuplicateContact, contact_add
from work.online import (
    CaseAnswer,
    online_case_submit,
    online_case_wait,
    online_cases_invite,
)

from .conftest import call_handler_on_shift

pytestmark = pytest.mark.django_db

JAN = 1


def day(n: int) -> dt.date:
    return dt.date(2021, JAN, n)


def named(exposure_date: dt.date, exposure: str = "household") -> ContactDetails:
    """Nadia Hussain as a case names her (a landline: she is phoned)."""
    return ContactDetails(
        person=PersonDetails(
            first_name="Nadia",
            last_name="Hussain",
            phone="0114 496 0555",
            postcode="S1 2HH",
        ),
        exposure_date=exposure_date,
        exposure=exposure,
    )


def open_case(**kwargs):
    # Symptoms from 3 January: it could pass it on from the 1st, so every day(n)
    # named is within its infectious period (work.rules.exposure_date_problem).
    kwargs.setdefault("symptom_onset", day(3))
    return f.CaseFactory(status=Status.REACHED, **kwargs)


# --- the service ---------------------------------------------------------------------


def test_two_cases_naming_one_person_make_one_contact_isolating_until_the_latest(
    clock,
):
    first_case, second_case = open_case(), open_case()
    first = contact_add(case=first_case, details=named(day(5)))

    second = contact_add(
        case=second_case, details=named(day(9), Contact.Exposure.FACE_TO_FACE)
    )

    assert second.pk == first.pk
    assert second.joined is not None
    contact = Contact.objects.get()
    assert contact.case == first_case
    assert contact.exposure_date == day(5)  # its first naming stays its own
    # 10 full days after the last exposure, 9 January: to the end of the 19th.
    assert contact.isolation_ends_on == day(19)
    exposure = Exposure.objects.get()
    assert (exposure.contact, exposure.case) == (contact, second_case)
    assert (exposure.exposure_date, exposure.exposure) == (day(9), "face_to_face")


def test_joining_a_contact_is_audited_with_the_naming_case_and_new_end_date(clock):
    contact = contact_add(case=open_case(), details=named(day(5)))
    second_case = open_case()

    contact_add(case=second_case, details=named(day(9)))

    event = AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE,
        object_type="contacts.contact",
        object_id=str(contact.pk),
    ).get()
    assert event.detail["named_by_case"] == second_case.pk
    assert event.detail["isolation_ends_on"] == "2021-01-19"


def test_a_contact_named_again_at_a_new_address_goes_to_its_new_local_team(clock):
    """Moved from Sheffield to Leeds: a contact not yet reached follows the person's
    address as the latest naming gives it, so unreached it escalates to Leeds's team,
    not to Sheffield's, who cannot find them."""
    contact = contact_add(case=open_case(), details=named(day(5)))
    assert contact.area.local_team.name.startswith("Sheffield")
    moved = named(day(6))
    moved.person.postcode = "LS1 1UR"

    contact_add(case=open_case(), details=moved)

    contact.refresh_from_db()
    assert contact.person.postcode == "LS1 1UR"
    assert contact.area == contact.person.area
    assert contact.area.local_team.name.startswith("Leeds")


def test_an_earlier_exposure_leaves_the_end_date_where_it_was(clock):
    contact_add(case=open_case(), details=named(day(9)))

    contact_add(case=open_case(), details=named(day(4)))

    contact = Contact.objects.get()
    assert contact.isolation_ends_on == day(19)
    assert contact.further_exposures.get().exposure_date == day(4)


def test_the_same_case_naming_a_joined_person_again_is_refused(clock):
    contact_add(case=open_case(), details=named(day(5)))
    second_case = open_case()
    contact_add(case=second_case, details=named(day(9)))

    with pytest.raises(DuplicateContact, match="already a contact of this case"):
        contact_add(case=second_case, details=named(day(10)))

    assert Exposure.objects.count() == 1
    assert Contact.objects.get().isolation_ends_on == day(19)


def test_a_contact_being_phoned_or_with_a_local_team_is_joined(clock, call_handler):
    contact = contact_add(case=open_case(), details=named(day(5)))
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=call_handler
    )

    joined = contact_add(case=open_case(), details=named(day(8)))

    assert joined.pk == contact.pk
    assert Contact.objects.get().assignee == call_handler


def test_a_completed_contact_named_with_a_later_date_is_a_new_contact(clock):
    told = contact_add(case=open_case(), details=named(day(5)))
    Contact.objects.filter(pk=told.pk).update(
        status=Status.COMPLETED, reached_at=timezone.now()
    )
    later_case = open_case()

    new = contact_add(case=later_case, details=named(day(10)))

    assert new.pk != told.pk
    assert new.joined is None
    assert (new.case, new.status, new.isolation_ends_on) == (
        later_case,
        Status.NEW,
        day(20),
    )
    assert not Exposure.objects.exists()


def test_a_reached_contact_whose_isolation_already_covers_it_is_not_called_again(
    clock,
):
    told = contact_add(case=open_case(), details=named(day(9)))
    Contact.objects.filter(pk=told.pk).update(
        status=Status.REACHED, reached_at=timezone.now()
    )

    joined = contact_add(case=open_case(), details=named(day(7)))

    assert joined.pk == told.pk
    assert Contact.objects.count() == 1
    assert Contact.objects.get().status == Status.REACHED
    assert Exposure.objects.get().exposure_date == day(7)


def test_the_pool_holds_one_contact_for_a_person_named_by_two_cases(clock):
    contact_add(case=open_case(), details=named(day(5)))
    contact_add(case=open_case(), details=named(day(9)))
    handler = call_handler_on_shift()

    assign_work()

    held = Contact.objects.filter(assignee=handler)
    assert [c.person.last_name for c in held] == ["Hussain"]
    assert not Contact.objects.awaiting_assignment().exists()


def test_a_case_naming_online_a_contact_being_phoned_joins_it_without_a_link(
    clock, call_handler
):
    contact = contact_add(case=open_case(), details=named(day(9)))
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=call_handler
    )
    case = f.CaseFactory(person=f.PersonFactory(phone="+447400200001"))
    now = timezone.now()
    assert online_case_wait(case, now)
    case.save(update_fields=["next_attempt_at"])
    [link] = online_cases_invite(cases=[case], now=now)

    online_case_submit(
        link=link, answer=CaseAnswer(contacts=[named(day(11))], visits=[])
    )

    contact.refresh_from_db()
    assert (contact.status, contact.isolation_ends_on) == (Status.ASSIGNED, day(21))
    assert Exposure.objects.get().case == case
    assert not OnlineLink.objects.filter(contact=contact).exists()


# --- the pages -----------------------------------------------------------------------


def held_case(caseworker):
    return f.CaseFactory(
        status=Status.ASSIGNED, assignee=caseworker, assigned_at=timezone.now()
    )


def contact_row(exposure_date: dt.date) -> dict[str, str]:
    return {
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "20",
        "contacts-0-first_name": "Nadia",
        "contacts-0-last_name": "Hussain",
        "contacts-0-phone": "0114 496 0555",
        "contacts-0-postcode": "S1 2HH",
        "contacts-0-exposure_date": exposure_date.isoformat(),
        "contacts-0-exposure": "household",
    }


def test_the_case_page_says_the_person_was_already_a_contact_of_another_case(
    clock, client, caseworker
):
    first_case = open_case()
    contact_add(case=first_case, details=named(day(10)))
    case = held_case(caseworker)
    client.force_login(caseworker)

    response = client.post(
        reverse("cases:contacts", args=[case.pk]), contact_row(day(11)), follow=True
    )

    assert response.status_code == 200
    text = response.content.decode()
    # The other case is not hers to open: not named (as the API's receipt).
    assert (
        "Nadia Hussain is already a contact of another case: "
        "added this exposure to their record (isolating until Thursday 21 January "
        "2021)."
    ) in text
    assert first_case.lab_reference not in text
    assert Contact.objects.count() == 1
    assert Exposure.objects.get().case == case


def test_the_second_cases_page_lists_the_person_under_its_contacts(
    clock, client, caseworker
):
    first_case = open_case()
    contact_add(case=first_case, details=named(day(10)))
    case = held_case(caseworker)
    contact_add(case=case, details=named(day(11)), by=caseworker)
    client.force_login(caseworker)

    response = client.get(reverse("cases:detail", args=[case.pk]))

    text = response.content.decode()
    assert 'data-testid="named-elsewhere"' in text
    table = text[text.index('data-testid="named-elsewhere"') :]
    assert "Nadia Hussain" in table
    assert "Another case" in table
    assert first_case.lab_reference not in table
    assert "21 Jan 2021" in table
    assert "Waiting" in table
    # A caseworker works cases, not contacts: the name is not a link for them, nor
    # is the other case, which is not theirs.
    contact = Contact.objects.get()
    assert reverse("contacts:detail", args=[contact.pk]) not in text
    assert reverse("cases:detail", args=[first_case.pk]) not in text
    assert "No contacts yet" not in text
    assert "1 added" in text


def test_a_supervisor_on_the_case_page_gets_links_to_the_contact_and_its_case(
    clock, client, supervisor
):
    first_case = open_case()
    contact = contact_add(case=first_case, details=named(day(10)))
    case = open_case()
    contact_add(case=case, details=named(day(11)))
    client.force_login(supervisor)

    text = client.get(reverse("cases:detail", args=[case.pk])).content.decode()

    assert f'href="{reverse("contacts:detail", args=[contact.pk])}"' in text
    assert f'href="{reverse("cases:detail", args=[first_case.pk])}"' in text


def test_the_contact_page_lists_every_exposure_and_the_latest_end_date(
    clock, client, call_handler
):
    first_case, second_case = open_case(), open_case()
    contact = contact_add(case=first_case, details=named(day(5)))
    contact_add(case=second_case, details=named(day(9), Contact.Exposure.FACE_TO_FACE))
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=call_handler
    )
    client.force_login(call_handler)

    text = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()

    listed = text[text.index('data-testid="exposures"') :]
    assert (
        f"Tuesday 5 January 2021: household (case {first_case.lab_reference})" in listed
    )
    assert (
        f"Saturday 9 January 2021: face to face (case {second_case.lab_reference})"
        in listed
    )
    assert "Named by 2 cases" in text
    assert "self-isolate until the end of <strong>Tuesday 19 January 2021" in text


def _page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_case_page_queries_do_not_grow_with_people_named_elsewhere(
    clock, client, supervisor
):
    case = open_case()
    client.force_login(supervisor)
    url = reverse("cases:detail", args=[case.pk])
    _page_queries(client, url)  # the session's first touch is written once
    counts = []
    for n in range(4):
        person = PersonDetails(
            first_name="Named", last_name=f"Elsewhere{n}", phone=f"0114 496 010{n}"
        )
        contact_add(
            case=open_case(),
            details=ContactDetails(
                person=person, exposure_date=day(10), exposure="household"
            ),
        )
        contact_add(
            case=case,
            details=ContactDetails(
                person=person, exposure_date=day(11), exposure="household"
            ),
        )
        if n in (0, 3):
            counts.append(_page_queries(client, url))

    assert Exposure.objects.filter(case=case).count() == 4
    assert counts[0] == counts[1]
