"""The days a case could have passed it on, at both edges, through every door (the
case page, the API, the online form; work.rules).

The first day: two days before the earliest sign of the infection, be it their
symptoms, their own test or a further positive test kept with their case. Before,
only the onset, else their own test, counted: a further result with an earlier swab
was ignored, and an onset recorded after the swab moved the first day later, so a
day accepted before the assessment was refused after it.

The last day: the last of the case's own isolation. Before, a contact exposed days
after it was accepted and told to isolate for another ten days.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import api_client_create
from contacts.models import Contact
from people.services import PersonDetails
from work.casework import (
    AssessmentDetails,
    ContactDetails,
    VisitDetails,
    case_assessment_record,
    case_visit_add,
    contact_add,
)
from work.intake import TestResult, case_intake
from work.isolation import isolation_override
from work.online import online_case_invite
from work.rules import (
    case_isolation_ends_on,
    contact_isolation_ends_on,
    exposure_date_problem,
)

from .conftest import LONDON, D, hold

pytestmark = pytest.mark.django_db

FINN = PersonDetails(
    first_name="Finn",
    last_name="Further",
    date_of_birth=D(1985, 6, 1),
    nhs_number="9434765919",
    phone="07911 123123",
    postcode="S1 2HE",
)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def result(ref: str, specimen: dt.date, result_on: dt.date, onset=None) -> TestResult:
    return TestResult(
        lab_reference=ref,
        person=FINN,
        specimen_date=specimen,
        result_date=result_on,
        symptom_onset=onset,
    )


def named(first: str, exposed: dt.date, phone: str) -> ContactDetails:
    return ContactDetails(
        person=PersonDetails(first_name=first, last_name="Near", phone=phone),
        exposure_date=exposed,
        exposure=Contact.Exposure.FACE_TO_FACE,
    )


def api_contact(case, exposed: dt.date):
    _, token = api_client_create(name="Casework", scopes=["casework"])
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http.post(
        f"/api/v1/cases/{case.pk}/contacts/",
        {
            "person": {
                "first_name": "Api",
                "last_name": "Near",
                "phone": "07911 130555",
                "postcode": "S1 2HH",
            },
            "exposure_date": exposed.isoformat(),
            "exposure": "face_to_face",
        },
        format="json",
    )


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<.*?>", " ", html)).split())


# --- the first day: a further result with an earlier swab ---------------------------


@pytest.fixture
def case_with_earlier_further_result(clock):
    """11 Dec 2020: a case tested on the 10th, no symptoms. 12 Dec: a further result
    of the same person, swabbed on the 4th, kept with the case."""
    clock.move_to(at(D(2020, 12, 11)))
    case, created = case_intake(
        result=result("FIN-1", D(2020, 12, 10), D(2020, 12, 11))
    )
    assert created
    clock.move_to(at(D(2020, 12, 12)))
    same, created = case_intake(result=result("FIN-2", D(2020, 12, 4), D(2020, 12, 11)))
    assert (same.pk, created) == (case.pk, False)
    return case


def test_a_contact_exposed_after_a_further_results_earlier_swab_is_accepted(
    case_with_earlier_further_result,
):
    case = case_with_earlier_further_result
    # Swabbed positive on 4 December: could pass it on from 2 December.
    contact = contact_add(
        case=case, details=named("Dee", D(2020, 12, 5), "07911120201")
    )
    assert contact.isolation_ends_on == D(2020, 12, 19)

    problem = exposure_date_problem(
        day=D(2020, 12, 1), case=case, today=D(2020, 12, 12)
    )
    assert problem == (
        "That is before Finn Further could have passed it on (from Wednesday 2 "
        "December 2020, 2 days before their test, as no symptom onset is "
        "recorded): check the date."
    )


def test_the_api_takes_a_contact_exposed_after_a_further_results_earlier_swab(
    case_with_earlier_further_result,
):
    response = api_contact(case_with_earlier_further_result, D(2020, 12, 5))
    assert response.status_code == 201, response.content


def test_the_online_form_takes_a_contact_exposed_after_the_earlier_swab(
    client, case_with_earlier_further_result
):
    case = case_with_earlier_further_result
    link = online_case_invite(case=case, now=timezone.now())
    token = link.message.body.split("/o/")[1].split("/")[0]

    page = client.get(f"/o/{token}/").content.decode()
    assert 'min="2020-12-02"' in page

    client.post(
        f"/o/{token}/",
        {
            "contact-0-first_name": "Ola",
            "contact-0-last_name": "Near",
            "contact-0-phone": "07911 130301",
            "contact-0-email": "",
            "contact-0-last_near": "2020-12-05",
            "contact-0-household": "yes",
            "contact-0-postcode": "",
        },
    )
    assert Contact.objects.get(case=case).exposure_date == D(2020, 12, 5)


def test_settings_visited_count_from_14_days_before_the_earliest_swab(
    case_with_earlier_further_result, caseworker
):
    case = hold(case_with_earlier_further_result, caseworker)
    visit = case_visit_add(
        case=case,
        details=VisitDetails(name="Gym", kind="venue", visited_on=D(2020, 11, 20)),
        by=caseworker,
    )
    assert visit.visited_on == D(2020, 11, 20)


# --- the first day: symptoms recorded after the swab ----------------------------------


def test_symptoms_after_the_swab_leave_the_days_already_open_open(clock, caseworker):
    # 10 December: tested on the 8th, no symptoms: could pass it on from the 6th.
    clock.move_to(at(D(2020, 12, 10)))
    case, _ = case_intake(result=result("FIN-3", D(2020, 12, 8), D(2020, 12, 10)))
    case = hold(case, caseworker)
    contact_add(case=case, details=named("Ann", D(2020, 12, 6), "07911120401"))

    # 11 December: the assessment finds symptoms from the 10th.
    clock.move_to(at(D(2020, 12, 11)))
    case_assessment_record(
        case=case,
        details=AssessmentDetails(symptomatic=True, symptom_onset=D(2020, 12, 10)),
        by=caseworker,
    )

    # The day before the positive swab is still one they could have passed it on.
    contact = contact_add(case=case, details=named("Bo", D(2020, 12, 7), "07911120402"))
    assert contact.exposure_date == D(2020, 12, 7)
    assert (
        exposure_date_problem(day=D(2020, 12, 6), case=case, today=D(2020, 12, 11))
        == ""
    )
    visit = case_visit_add(
        case=case,
        details=VisitDetails(name="Pub", kind="venue", visited_on=D(2020, 11, 24)),
        by=caseworker,
    )
    assert visit.visited_on == D(2020, 11, 24)


# --- the last day: the case's own isolation ---------------------------------------------


@pytest.fixture
def case_isolated_to_10_december(clock):
    """Symptoms from 30 November 2020, tested 1 December: isolated to 10 December."""
    clock.move_to(at(D(2020, 12, 2)))
    case, _ = case_intake(
        result=result("FIN-4", D(2020, 12, 1), D(2020, 12, 2), onset=D(2020, 11, 30))
    )
    assert case.isolation_ends_on == D(2020, 12, 10)
    clock.move_to(at(D(2020, 12, 16)))
    return case


AFTER_ISOLATION = (
    "That is after Finn Further's isolation ended (on Thursday 10 December 2020): "
    "they could no longer have passed it on then. Check the date."
)


def test_a_contact_exposed_after_the_cases_isolation_ended_is_refused(
    case_isolated_to_10_december,
):
    case = case_isolated_to_10_december
    assert (
        exposure_date_problem(day=D(2020, 12, 15), case=case, today=D(2020, 12, 16))
        == AFTER_ISOLATION
    )
    with pytest.raises(ValidationError, match="could no longer have passed it on"):
        contact_add(case=case, details=named("Cy", D(2020, 12, 15), "07911120501"))
    assert not Contact.objects.filter(case=case).exists()

    # Their last day at home is still one they could pass it on.
    contact = contact_add(
        case=case, details=named("Di", D(2020, 12, 10), "07911120502")
    )
    assert contact.exposure_date == D(2020, 12, 10)


def test_the_case_page_and_the_api_refuse_an_exposure_after_the_cases_isolation(
    client, caseworker, case_isolated_to_10_december
):
    case = hold(case_isolated_to_10_december, caseworker)
    response = api_contact(case, D(2020, 12, 11))
    assert response.status_code == 400
    assert "could no longer have passed it on" in response.content.decode()

    client.force_login(caseworker)
    page = client.post(
        reverse("cases:contacts", args=[case.pk]),
        {
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "20",
            "contacts-0-first_name": "Nadia",
            "contacts-0-last_name": "Hussain",
            "contacts-0-phone": "0114 496 0555",
            "contacts-0-postcode": "S1 2HH",
            "contacts-0-exposure_date": "2020-12-11",
            "contacts-0-exposure": "household",
        },
        follow=True,
    )
    assert "could no longer have passed it on" in words(page.content.decode())
    assert not Contact.objects.filter(case=case).exists()


def test_the_online_form_refuses_an_exposure_after_the_cases_isolation(
    client, case_isolated_to_10_december
):
    case = case_isolated_to_10_december
    link = online_case_invite(case=case, now=timezone.now())
    token = link.message.body.split("/o/")[1].split("/")[0]
    page = client.get(f"/o/{token}/").content.decode()
    assert 'max="2020-12-10"' in page

    row = {
        "contact-0-first_name": "Ola",
        "contact-0-last_name": "Near",
        "contact-0-phone": "07911 130301",
        "contact-0-email": "",
        "contact-0-last_near": "2020-12-11",
        "contact-0-household": "yes",
        "contact-0-postcode": "",
    }
    for lang, said in (
        ("en", "That is after your isolation ended (on Thursday 10 December 2020)"),
        ("cy", "ddod i ben (ar ddydd Iau 10 Rhagfyr 2020)"),
    ):
        html = words(
            client.post(f"/o/{token}/", {"lang": lang, **row}).content.decode()
        )
        assert said in html
    assert not Contact.objects.filter(case=case).exists()


def test_the_last_day_follows_a_clinicians_longer_isolation(
    case_isolated_to_10_december, caseworker
):
    case = hold(case_isolated_to_10_december, caseworker)
    isolation_override(
        item=case,
        ends_on=D(2020, 12, 20),
        reason="Immunosuppressed: infectious for longer.",
        clinician=caseworker,
    )
    case.refresh_from_db()
    contact = contact_add(
        case=case, details=named("Ed", D(2020, 12, 15), "07911120503")
    )
    assert contact.exposure_date == D(2020, 12, 15)


# --- the rules of 2020: 7 days for a case until 29 July ---------------------------------


def test_a_case_isolated_7_full_days_until_29_july_2020():
    # 29 July + 7 = 5 August; the contact rule was 14 days: 29 July + 14 = 12 August.
    assert case_isolation_ends_on(
        symptom_onset=D(2020, 7, 29), specimen_date=D(2020, 7, 30)
    ) == D(2020, 8, 5)
    assert case_isolation_ends_on(symptom_onset=None, specimen_date=D(2020, 6, 1)) == (
        D(2020, 6, 8)
    )
    assert contact_isolation_ends_on(last_exposure=D(2020, 7, 29)) == D(2020, 8, 12)


def test_a_case_isolated_10_full_days_from_30_july_2020():
    # 30 July + 10 = 9 August; contacts still 14 days: 30 July + 14 = 13 August.
    assert case_isolation_ends_on(
        symptom_onset=None, specimen_date=D(2020, 7, 30)
    ) == D(2020, 8, 9)
    assert contact_isolation_ends_on(last_exposure=D(2020, 7, 30)) == D(2020, 8, 13)
