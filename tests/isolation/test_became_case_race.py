"""A clinician's override committed while a positive result for the same person waits
for the contact's row stands against the case's shorter date. Before, the result's
statement judged "overridden" from before its wait, put the case's date over the
override, and the person, just texted the clinician's date, isolated by another."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from contacts.models import Contact, IsolationChange
from tests.core.conftest import committed_db  # noqa: F401 (a fixture)
from tests.threads import side_by_side
from work.isolation import isolation_override

from .conftest import DECEMBER_17, D, a_case, hold
from .test_became_case import contact_named_on, positive

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.now(DECEMBER_17),
    pytest.mark.usefixtures("requires_postgres", "committed_db", "clock"),
]


def test_an_override_made_while_the_result_waits_still_stands(caseworker):
    contact = contact_named_on(D(2020, 12, 14), case=hold(a_case(), caseworker))
    overriding = threading.Event()

    def clinician() -> None:
        with transaction.atomic():
            isolation_override(
                item=contact,
                ends_on=D(2020, 12, 30),
                reason="Lives with a clinically extremely vulnerable person.",
                clinician=caseworker,
            )
            overriding.set()
            time.sleep(0.5)  # the result arrives and waits for the row

    def lab() -> None:
        overriding.wait()
        positive(specimen=D(2020, 12, 16))  # a case to 26 December

    errors = side_by_side(clinician, lab)

    assert not errors, errors
    contact = Contact.objects.get(pk=contact.pk)
    assert contact.isolation_ends_on == D(2020, 12, 30)
    became = IsolationChange.objects.get(kind=IsolationChange.Kind.BECAME_CASE)
    assert (became.replaced, became.ends_on) == (D(2020, 12, 30), D(2020, 12, 30))
