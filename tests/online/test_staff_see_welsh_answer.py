"""A contact written to in Welsh who answers on the Welsh page: the call handler
and the local team are told it was Welsh (before, a Welsh note arrived with nothing
to say so, and the person's language read "Not recorded")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from online.models import OnlineLink
from tests.online.test_staff_progress import linked_contact  # noqa: F401
from work.online import online_contact_answer

pytestmark = pytest.mark.django_db


def test_the_contact_page_says_the_link_was_in_welsh(
    client,
    supervisor,
    linked_contact,  # noqa: F811
):
    link = OnlineLink.objects.get(contact=linked_contact)
    OnlineLink.objects.filter(pk=link.pk).update(language="cy")
    link.refresh_from_db()
    online_contact_answer(
        link=link, will_isolate=False, note="Siaradwch Gymraeg os gwelwch yn dda"
    )
    client.force_login(supervisor)

    html = client.get(
        reverse("contacts:detail", args=[linked_contact.pk])
    ).content.decode()

    assert 'data-testid="online-language">Welsh' in html


def test_an_english_link_says_nothing_of_language(
    client,
    supervisor,
    linked_contact,  # noqa: F811
):
    client.force_login(supervisor)

    html = client.get(
        reverse("contacts:detail", args=[linked_contact.pk])
    ).content.decode()

    assert "online-language" not in html
