"""A person's phone reads, prints and saves as before, and a number is checked
against the numbering plan once, not at every look (people.phone_field)."""

from __future__ import annotations

import json

import phonenumbers
import pytest

from people.models import Person
from people.phone_field import Phone
from tests import factories as f

from .conftest import result_payload

INTAKE = "/api/v1/test-results/"


@pytest.fixture
def checks(monkeypatch):
    """How many times a number is checked valid, or its line type worked out."""
    counted = {"valid": 0, "type": 0}
    is_valid, number_type = phonenumbers.is_valid_number, phonenumbers.number_type

    def valid(number):
        counted["valid"] += 1
        return is_valid(number)

    def kind(number):
        counted["type"] += 1
        return number_type(number)

    monkeypatch.setattr(phonenumbers, "is_valid_number", valid)
    monkeypatch.setattr(phonenumbers, "number_type", kind)
    return counted


@pytest.mark.django_db
def test_a_valid_number_is_saved_in_international_form_and_read_back():
    person = f.PersonFactory(phone="07911 123456", phone_alt="0114 273 1234")
    person.refresh_from_db()
    assert isinstance(person.phone, Phone)
    assert str(person.phone) == "+447911123456"
    assert person.phone.as_national == "07911 123456"
    assert Person.objects.filter(phone="+447911123456").get() == person
    assert Person.objects.filter(phone="07911 123456").get() == person
    assert person.phone_alt.line_type() == phonenumbers.PhoneNumberType.FIXED_LINE


@pytest.mark.django_db
def test_an_invalid_number_is_kept_as_typed():
    person = f.PersonFactory(phone="07911 12345")  # a digit short
    person.refresh_from_db()
    assert not person.phone.is_valid()
    assert str(person.phone) == "07911 12345"


def test_a_number_changed_in_place_is_checked_again():
    phone = Phone.from_string("07911 123456", region="GB")
    assert phone.is_valid()
    assert phone.line_type() == phonenumbers.PhoneNumberType.MOBILE
    assert phone.as_e164 == "+447911123456"
    assert str(phone) == "+447911123456"
    phone.merge_from(phonenumbers.parse("0114 273 1234", "GB"))
    assert phone.line_type() == phonenumbers.PhoneNumberType.FIXED_LINE
    assert phone.as_e164 == "+441142731234"
    assert str(phone) == "+441142731234"
    phone.national_number = 7911
    assert not phone.is_valid()
    assert str(phone) == "07911 123456"  # as typed, once it is not a number


def test_a_number_is_checked_once_however_often_it_is_looked_at(checks):
    phone = Phone.from_string("07911 123456", region="GB")
    for _ in range(5):
        assert phone
        assert str(phone) == "+447911123456"
        assert len(phone) == 13
        assert phone.line_type() == phonenumbers.PhoneNumberType.MOBILE
    assert checks == {"valid": 1, "type": 1}


@pytest.mark.django_db
def test_intake_checks_each_new_persons_number_once_not_a_dozen_times(
    api, clock, checks
):
    batch = [
        result_payload(
            f"LAB-PHONE-{n}",
            person={
                "first_name": "Asha",
                "last_name": f"Patel-{n}",
                "date_of_birth": f"1984-03-{n + 1:02d}",
                "phone": f"07911 12345{n}",
                "postcode": "s1 2he",
            },
        )
        for n in range(10)
    ]
    response = api.post(INTAKE, json.dumps(batch), content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["created"] == 10
    # Each number checked once, when the API reads it: the same number is what
    # matching compares and what is saved with the new person; its line type once
    # (a mobile: sent a link). It was 12 validity checks and 2 line types a result.
    assert checks["valid"] == 1 * 10
    assert checks["type"] == 1 * 10
    stored = Person.objects.filter(last_name__startswith="Patel-").values_list(
        "phone", flat=True
    )
    assert sorted(str(p) for p in stored) == [f"+4479111234{50 + n}" for n in range(10)]
