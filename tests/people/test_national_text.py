"""A stored phone number's text in a list (people.phone_field.national_text) is the
text the person's phone field gives when the number is loaded and printed."""

from __future__ import annotations

import pytest

from people.models import Person
from people.phone_field import national_text
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "stored",
    ["+447911123456", "+442079460000", "+33612345678", "+12025550143", "07911"],
)
def test_a_stored_number_reads_as_the_loaded_field_prints_it(stored):
    person = PersonFactory()
    Person.objects.filter(pk=person.pk).update(phone=stored)
    loaded = Person.objects.get(pk=person.pk).phone
    assert national_text(stored) == loaded.as_national


def test_uk_and_foreign_numbers_in_their_national_formats():
    assert national_text("+447911123456") == "07911 123456"
    assert national_text("+33612345678") == "06 12 34 56 78"


@pytest.mark.parametrize("stored", ["", None])
def test_no_number_reads_as_nothing(stored):
    assert national_text(stored) == ""
