"""A person erased (on request) at the moment a caseworker names them as a contact:
the naming makes a new person. Before, it failed on the person gone, a 500 that lost
every row of the batch typed."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction
from django.utils import timezone

from contacts.models import Contact
from people.models import Person
from people.services import PersonDetails
from tests import factories as f
from tests.threads import side_by_side
from work.casework import ContactDetails, contacts_add_many

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "committed_db"),
]


def test_a_person_erased_while_being_named_is_named_as_a_new_person():
    ben = f.PersonFactory(
        first_name="Ben", last_name="Nowak", phone="+447911123457", postcode="S1 2HE"
    )
    case = f.CaseFactory(
        symptom_onset=timezone.localdate() - timezone.timedelta(days=2)
    )
    erasing = threading.Event()

    def erasure() -> None:
        with transaction.atomic():
            # As person_erase: the person held, their records gone through...
            Person.objects.select_for_update().get(pk=ben.pk)
            erasing.set()
            time.sleep(0.5)  # ...while the naming finds Ben and waits for him
            Person.objects.filter(pk=ben.pk).delete()

    def naming() -> None:
        erasing.wait()
        contacts_add_many(
            case=case,
            rows=[
                ContactDetails(
                    person=PersonDetails(
                        first_name="Ben",
                        last_name="Nowak",
                        phone="07911 123457",
                        postcode="S1 2HE",
                    ),
                    exposure_date=timezone.localdate(),
                    exposure=Contact.Exposure.HOUSEHOLD,
                )
            ],
        )

    errors = side_by_side(erasure, naming)

    assert not errors, errors
    (contact,) = Contact.objects.filter(case=case).select_related("person")
    assert contact.person.pk != ben.pk
    assert contact.person.full_name == "Ben Nowak"
