"""A case answering their link online while their caseworker adds the same household
on the case page: one waits for the other. Before, the online answer locked the case
and then the people, the case page the people and then the case, and most runs ended
in a deadlock: a 500 for one of them and every contact typed lost."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction
from django.utils import timezone

from contacts.models import Contact
from people.services import PersonDetails, arrivals_one_at_a_time, person_arrival
from tests import factories as f
from tests.threads import side_by_side
from work.casework import ContactDetails, ContactRowsRefused, contacts_add_many
from work.online import CaseAnswer, online_case_invite, online_case_submit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "committed_db"),
]


def household(case) -> list[ContactDetails]:
    return [
        ContactDetails(
            person=PersonDetails(
                first_name=name,
                last_name="Okafor",
                phone=f"07911 12345{n}",
                postcode=case.person.postcode,
            ),
            exposure_date=timezone.localdate() - timezone.timedelta(days=1),
            exposure=Contact.Exposure.HOUSEHOLD,
        )
        for n, name in enumerate(("Ada", "Ben", "Cy"))
    ]


def test_the_case_page_and_the_online_answer_naming_one_household_take_turns():
    case = f.CaseFactory(
        person__phone="+447400111222",
        symptom_onset=timezone.localdate() - timezone.timedelta(days=2),
    )
    link = online_case_invite(case=case, now=timezone.now())
    Contact.objects.all().delete()
    rows = household(case)
    page_holds_people = threading.Event()
    outcomes: list[str] = []

    def case_page() -> None:
        with transaction.atomic():
            # The case page holds the people first (contacts_add_many does)...
            arrivals_one_at_a_time(
                person_arrival(r.person, postcode=r.person.postcode) for r in rows
            )
            page_holds_people.set()
            time.sleep(0.5)  # ...while the online answer arrives
            contacts_add_many(case=case, rows=rows)
        outcomes.append("page saved")

    def online() -> None:
        page_holds_people.wait()
        try:
            online_case_submit(link=link, answer=CaseAnswer(contacts=rows, visits=[]))
            outcomes.append("online saved")
        except ContactRowsRefused:
            outcomes.append("online told they are already contacts")

    errors = side_by_side(case_page, online)

    assert not errors, errors
    assert sorted(outcomes) == [
        "online told they are already contacts",
        "page saved",
    ]
    assert case.contacts.count() == 3
