"""A contact exposed again: a second case naming them moves their end date to the
latest, by the rule of each exposure's day, never earlier; through the case page's
operation and the API alike. Each end date is worked out by hand."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from contacts.models import Contact, Exposure
from work.casework import ContactDetails, contact_add
from work.isolation import isolation_override

from .conftest import DECEMBER_17, SAM, SAM_JSON, D, a_case, a_naming_case, hold

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_17)]


def named(case, exposed_on, person=SAM):
    return contact_add(
        case=case,
        details=ContactDetails(
            person=person, exposure_date=exposed_on, exposure=Contact.Exposure.HOUSEHOLD
        ),
    )


def test_a_later_exposure_under_the_new_rule_moves_the_end_date(clock):
    # First named for 10 December, under the 14-day rule: 10 + 14 = 24 December.
    first = named(a_naming_case(D(2020, 12, 10)), D(2020, 12, 10))
    assert first.isolation_ends_on == D(2020, 12, 24)

    # Named again for 16 December, under the 10-day rule: 16 + 10 = 26 December.
    again = named(a_naming_case(D(2020, 12, 16)), D(2020, 12, 16))

    assert again.pk == first.pk
    assert again.joined is not None
    first.refresh_from_db()
    assert first.isolation_ends_on == D(2020, 12, 26)


def test_a_later_exposure_whose_new_rule_ends_sooner_leaves_the_date(clock):
    # 12 December under the 14-day rule: 12 + 14 = 26 December.
    first = named(a_naming_case(D(2020, 12, 12)), D(2020, 12, 12))
    # 14 December, two days later, under the 10-day rule: 14 + 10 = 24 December,
    # sooner than the 26th they have: never earlier.
    named(a_naming_case(D(2020, 12, 14)), D(2020, 12, 14))

    first.refresh_from_db()
    assert first.isolation_ends_on == D(2020, 12, 26)
    assert Exposure.objects.filter(contact=first).count() == 1


def test_a_re_exposure_recorded_through_the_api_moves_the_end_date(clock, caseworker):
    first = named(
        a_naming_case(D(2020, 12, 10)), D(2020, 12, 10)
    )  # 10 + 14 = 24 December
    second_case = hold(a_case(), caseworker)
    http = APIClient()
    http.force_login(caseworker)

    response = http.post(
        f"/api/v1/cases/{second_case.pk}/contacts/",
        {
            "person": SAM_JSON,
            "exposure_date": "2020-12-16",
            "exposure": Contact.Exposure.FACE_TO_FACE,
        },
        format="json",
    )

    # Joined, not made again: 16 December + 10 = 26 December.
    assert response.status_code == 200, response.content
    assert response.json()["id"] == first.pk
    assert response.json()["isolation_ends_on"] == "2020-12-26"
    first.refresh_from_db()
    assert first.isolation_ends_on == D(2020, 12, 26)


def test_a_re_exposure_lengthening_isolation_beyond_an_override_applies(
    clock, caseworker
):
    case = hold(a_case(), caseworker)
    contact = named(case, D(2020, 12, 14))  # 14 + 10 = 24 December
    isolation_override(
        item=contact,
        ends_on=D(2020, 12, 20),
        reason="Exposure was outdoors and brief.",
        clinician=caseworker,
    )

    # Named again for 16 December: 16 + 10 = 26 December, beyond the override's 20th.
    named(a_naming_case(D(2020, 12, 16)), D(2020, 12, 16))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 26)


def test_a_re_exposure_within_an_override_leaves_it_standing(clock, caseworker):
    case = hold(a_case(), caseworker)
    contact = named(case, D(2020, 12, 14))  # 14 + 10 = 24 December
    isolation_override(
        item=contact,
        ends_on=D(2020, 12, 30),
        reason="Cares for a clinically extremely vulnerable person.",
        clinician=caseworker,
    )

    # Named again for 16 December: 16 + 10 = 26 December, before the override's 30th.
    named(a_naming_case(D(2020, 12, 16)), D(2020, 12, 16))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 30)
