"""A fourth person a case names online at one number is phoned, not texted
(work.online.CONTACT_TEXTS_PER_ADDRESS): the call handler's page says why no text
went, so they tell them to stay at home on the call."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact
from tests.online.test_one_link_bounded import SHARED, case_link, people
from work.online import online_link_withheld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def test_the_contact_page_says_why_no_text_went(client, call_handler, scripts):
    case, url = case_link()
    family = [(name, "Shared", SHARED) for name in ("Amy", "Ben", "Cai", "Dee")]
    client.post(url, people(*family))
    dee = Contact.objects.get(case=case, person__first_name="Dee")
    Contact.objects.filter(pk=dee.pk).update(
        assignee=call_handler, status=Status.ASSIGNED
    )
    client.force_login(call_handler)

    page = unescape(
        client.get(reverse("contacts:detail", args=[dee.pk])).content.decode()
    )

    assert "No link sent: 3 texts had gone to the same number" in page
    assert "Phone them" in page


def test_a_number_corrected_later_gives_no_reason_that_never_was(client):
    """Dee was named with a landline (phoned, no link held back); her number was
    later corrected to the family mobile. The reason was worked out from the number
    as it was on the page's day: "3 texts had gone to the same number"."""
    case, url = case_link()
    family = [(name, "S", SHARED) for name in ("Amy", "Ben", "Cai")]
    client.post(url, people(*family, ("Dee", "S", "01142000000")))
    dee = Contact.objects.get(case=case, person__first_name="Dee")
    assert online_link_withheld(dee) == ""

    dee.person.phone = SHARED
    dee.person.save()
    dee.refresh_from_db()

    assert online_link_withheld(dee) == ""


def test_a_contact_reached_since_is_not_to_be_phoned(client, call_handler, scripts):
    case, url = case_link()
    family = [(name, "Shared", SHARED) for name in ("Amy", "Ben", "Cai", "Dee")]
    client.post(url, people(*family))
    dee = Contact.objects.get(case=case, person__first_name="Dee")
    Contact.objects.filter(pk=dee.pk).update(
        assignee=call_handler, status=Status.REACHED, reached_at=timezone.now()
    )
    client.force_login(call_handler)

    page = unescape(
        client.get(reverse("contacts:detail", args=[dee.pk])).content.decode()
    )

    assert "Phone them to tell them to stay at home" not in page
