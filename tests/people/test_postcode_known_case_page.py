"""A contact named on the case page with a postcode of the right form that the
directory does not know (a typo, most likely) is refused on the row's postcode, in
the online form's words: taken, it would leave them with no area, and their
escalation with the fallback team rather than their own. A postcode the directory
knows outside England is taken, as before. Lab results are never refused for a
postcode: a typo there leaves the person where they were held."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact
from people.models import Person
from people.services import PersonDetails
from tests import factories as f
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.online import POSTCODE_NOT_FOUND

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHEFFIELD = "E08000019"
NOT_FOUND = "We cannot find this postcode. Check it and enter it again."


def maya() -> Person:
    """Maya Holtby, held at S1 2HE in Sheffield."""
    return f.PersonFactory(
        first_name="Maya",
        last_name="Holtby",
        phone="+447911123480",
        postcode="S1 2HE",
        area=f.area(SHEFFIELD),
        date_of_birth=dt.date(1990, 5, 5),
    )


def held_case(caseworker):
    return f.CaseFactory(
        status=Status.ASSIGNED,
        assignee=caseworker,
        assigned_at=timezone.now(),
        symptom_onset=dt.date(2021, 1, 3),
    )


def maya_row(postcode: str) -> dict[str, str]:
    return {
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "20",
        "contacts-0-first_name": "Maya",
        "contacts-0-last_name": "Holtby",
        "contacts-0-phone": "07911 123480",
        "contacts-0-postcode": postcode,
        "contacts-0-exposure_date": "2021-01-10",
        "contacts-0-exposure": "face_to_face",
    }


def test_the_wording_is_the_online_forms():
    assert NOT_FOUND == POSTCODE_NOT_FOUND


def test_a_postcode_not_in_the_directory_is_refused_on_the_rows_postcode(
    client, caseworker
):
    held = maya()
    case = held_case(caseworker)
    client.force_login(caseworker)

    response = client.post(
        reverse("cases:contacts", args=[case.pk]), maya_row("S10 2HE"), follow=True
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert NOT_FOUND in text
    assert 'href="#id_contacts-0-postcode"' in text
    assert not Contact.objects.filter(case=case).exists()
    held.refresh_from_db()
    assert (held.postcode, held.area.code) == ("S1 2HE", SHEFFIELD)


def test_a_postcode_the_directory_knows_outside_england_is_taken(client, caseworker):
    case = held_case(caseworker)
    client.force_login(caseworker)

    response = client.post(
        reverse("cases:contacts", args=[case.pk]), maya_row("CF10 1EP"), follow=True
    )

    assert response.status_code == 200
    assert NOT_FOUND not in response.content.decode()
    contact = Contact.objects.select_related("person").get(case=case)
    assert contact.person.postcode == "CF10 1EP"
    assert contact.area_unknown


def test_someone_at_the_cases_own_postcode_is_named_though_the_directory_lacks_it(
    client, caseworker
):
    # A lab's result is never refused for its postcode: the case lives at a new
    # build the directory does not know yet, and their partner lives with them.
    case = held_case(caseworker)
    case.person.postcode, case.person.area = "S10 2HE", None
    case.person.save(update_fields=["postcode", "area"])
    client.force_login(caseworker)

    response = client.post(
        reverse("cases:contacts", args=[case.pk]), maya_row("s10 2he"), follow=True
    )

    assert response.status_code == 200
    assert NOT_FOUND not in response.content.decode()
    contact = Contact.objects.select_related("person").get(case=case)
    assert contact.person.postcode == "S10 2HE"


def test_the_held_postcode_is_kept_when_the_case_page_names_her_at_home(
    client, caseworker
):
    held = maya()
    case = held_case(caseworker)
    client.force_login(caseworker)

    client.post(
        reverse("cases:contacts", args=[case.pk]), maya_row("s1 2he"), follow=True
    )

    contact = Contact.objects.select_related("person", "area").get(case=case)
    assert contact.person_id == held.pk
    assert (contact.area.code, contact.area_unknown) == (SHEFFIELD, False)


def test_a_lab_result_with_a_postcode_not_in_the_directory_keeps_her_in_sheffield():
    held = maya()

    case, created = case_intake(
        result=LabResult(
            lab_reference="LAB-TYPO-1",
            person=PersonDetails(
                first_name="Maya",
                last_name="Holtby",
                date_of_birth=dt.date(1990, 5, 5),
                phone="07911 123480",
                postcode="S10 2HE",
            ),
            specimen_date=timezone.localdate() - dt.timedelta(days=2),
            result_date=timezone.localdate() - dt.timedelta(days=1),
        )
    )

    # Taken (a lab's result is never refused for a postcode), and still hers.
    assert created
    assert case.person_id == held.pk
    held.refresh_from_db()
    assert (held.postcode, held.area.code) == ("S1 2HE", SHEFFIELD)


def test_a_lab_result_with_a_new_postcode_the_directory_knows_moves_her():
    held = maya()

    case, _ = case_intake(
        result=LabResult(
            lab_reference="LAB-MOVED-1",
            person=PersonDetails(
                first_name="Maya",
                last_name="Holtby",
                date_of_birth=dt.date(1990, 5, 5),
                phone="07911 123480",
                postcode="LS6 3QE",
            ),
            specimen_date=timezone.localdate() - dt.timedelta(days=2),
            result_date=timezone.localdate() - dt.timedelta(days=1),
        )
    )

    held.refresh_from_db()
    assert case.person_id == held.pk
    assert held.postcode == "LS6 3QE"
    assert held.area.name == "Leeds"
