"""A name made only of characters that show nothing (a zero-width space, a blank
Braille pattern) is refused at every door, not only the API's: a case or contact with
an invisible name cannot be found, called or told apart."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts.models import Contact
from people.models import Person
from people.names import INVISIBLE_NAME
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.results_csv import results_file_read

pytestmark = pytest.mark.django_db

ZERO_WIDTH = "\u200b"


def test_a_contact_whose_name_shows_nothing_is_refused_on_that_field(clock):
    case = f.CaseFactory(symptom_onset=timezone.localdate() - dt.timedelta(days=2))
    people_before = Person.objects.count()

    with pytest.raises(ValidationError) as refused:
        contact_add(
            case=case,
            details=ContactDetails(
                person=PersonDetails(
                    first_name=ZERO_WIDTH, last_name="Okafor", phone="07911 123457"
                ),
                exposure_date=case.symptom_onset,
                exposure=Contact.Exposure.HOUSEHOLD,
            ),
        )

    assert refused.value.message_dict["first_name"] == [INVISIBLE_NAME]
    assert Person.objects.count() == people_before
    assert not Contact.objects.exists()


def test_a_results_file_row_whose_name_shows_nothing_is_an_error_of_that_row():
    (row,) = results_file_read(
        "lab_reference,first_name,last_name,specimen_date,result_date\r\n"
        f"LAB-9,Zoe,{ZERO_WIDTH}\u2800,2026-01-10,2026-01-12\r\n",
        today=dt.date(2026, 1, 14),
    )

    assert row.result is None
    assert row.errors["last name"] == [INVISIBLE_NAME]
