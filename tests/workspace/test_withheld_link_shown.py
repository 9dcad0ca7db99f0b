"""A fourth person a case names online at one number is phoned, not texted
(work.online.CONTACT_TEXTS_PER_ADDRESS): the call handler's page says why no text
went, so they tell them to stay at home on the call."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from cases.workitem import Status
from contacts.models import Contact
from tests.online.test_one_link_bounded import SHARED, case_link, people

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
