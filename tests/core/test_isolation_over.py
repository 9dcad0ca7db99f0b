"""A contact whose isolation after the exposure is already over is not traced: the
case page, the API and the online route refuse the day, saying why. Before, a case
with symptoms four weeks back named people who were then told to isolate until a
date already past, and a call handler was given them to phone."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts.models import Contact
from online.texts import long_date
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.online import online_case_invite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def old_case():
    today = timezone.localdate()
    return f.CaseFactory(
        symptom_onset=today - dt.timedelta(days=28),
        specimen_date=today - dt.timedelta(days=2),
        result_date=today - dt.timedelta(days=1),
        person__phone="+447400111222",
    )


def test_a_contact_whose_isolation_is_over_is_refused_saying_when_it_ended():
    case = old_case()
    day = timezone.localdate() - dt.timedelta(days=27)
    ended = day + dt.timedelta(days=10)

    with pytest.raises(ValidationError) as refused:
        contact_add(
            case=case,
            details=ContactDetails(
                person=PersonDetails(
                    first_name="Cat", last_name="Stone", phone="07911 123457"
                ),
                exposure_date=day,
                exposure=Contact.Exposure.HOUSEHOLD,
            ),
        )

    assert refused.value.message_dict["exposure_date"] == [
        f"Their isolation after that contact ended on {long_date(ended)}: there is "
        "nothing to ask of them now, so they are not traced."
    ]
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "Their time to stay at home after that day ended on"),
        ("cy", "Daeth eu cyfnod i aros gartref ar ôl y diwrnod hwnnw i ben ar"),
    ],
)
def test_the_online_route_says_so_in_the_pages_language(client, lang, said):
    case = old_case()
    link = online_case_invite(case=case, now=timezone.now())
    token = link.message.body.split("/o/")[1].split("/")[0]
    day = timezone.localdate() - dt.timedelta(days=27)

    page = client.post(
        f"/o/{token}/",
        {
            "lang": lang,
            "contact-0-first_name": "Cat",
            "contact-0-last_name": "Stone",
            "contact-0-phone": "07911 123457",
            "contact-0-last_near": day.isoformat(),
            "contact-0-household": "yes",
        },
    )

    assert said in unescape(page.content.decode())
    assert not Contact.objects.exists()


def test_a_case_whose_isolation_ended_before_the_result_is_not_told_a_past_date(
    client,
):
    """Symptoms four weeks back: before, the text and the page said to stay at home
    until a date already past."""
    case = old_case()
    link = online_case_invite(case=case, now=timezone.now())
    ended = long_date(case.isolation_ends_on)

    assert f"your time to stay at home ended on {ended}" in link.message.body
    assert "isolate until" not in link.message.body
    token = link.message.body.split("/o/")[1].split("/")[0]
    page = unescape(client.get(f"/o/{token}/").content.decode())
    assert f"until the end of {ended}" not in page
