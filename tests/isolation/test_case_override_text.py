"""What a case is told when a clinician overrides their isolation end date: the case is
the person who tested positive, so the message speaks of their own positive test and
the new date, never of having "been near someone who has coronavirus". A contact is
still told as a contact, and a case told something before is still told the date they
had changed.

Before, a case never sent a message was sent the contact's advice: a positive person
told they were someone's contact. The clock stands at Tuesday 12 January 2021, 10:00
GMT; the case was tested on the 10th and isolates until Wednesday the 20th.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from notify.backends import read_sent
from people.models import Language, Message
from tests import factories as f
from work.isolation import isolation_override
from work.online import online_case_invite

from .conftest import D, a_case, hold

pytestmark = pytest.mark.django_db

REASON = "Still febrile on day 9."
FRIDAY_22 = D(2021, 1, 22)

# A case never told anything before, in each language the service writes in.
TOLD_AS_CASE = {
    "en": (
        "NHS Test and Trace: a message for {name}. Your coronavirus test was "
        "positive. A clinician has reviewed how long you need to self-isolate. Stay "
        "at home and isolate until the end of Friday 22 January 2021."
    ),
    "cy": (
        "GIG Profi ac Olrhain: neges ar gyfer {name}. Roedd eich prawf coronafeirws "
        "yn bositif. Mae clinigydd wedi adolygu am ba hyd y mae angen i chi "
        "hunanynysu. Arhoswch gartref a hunanynysu tan ddiwedd Dydd Gwener 22 Ionawr "
        "2021."
    ),
}
# A contact never told anything before: the contact's advice, as it was.
TOLD_AS_CONTACT = {
    "en": (
        "NHS Test and Trace: a message for {name}. You have been near someone who "
        "has coronavirus. Stay at home and isolate until the end of Friday 22 "
        "January 2021. Do not go to work, school or any public place. If you get "
        "symptoms, call 119 to get a test."
    ),
    "cy": (
        "GIG Profi ac Olrhain: neges ar gyfer {name}. Rydych wedi bod yn agos at "
        "rywun sydd â coronafeirws. Arhoswch gartref a hunanynysu tan ddiwedd Dydd "
        "Gwener 22 Ionawr 2021. Peidiwch â mynd i'r gwaith, i'r ysgol nac i unrhyw "
        "le cyhoeddus. Os cewch symptomau, ffoniwch 119 i gael prawf."
    ),
}
# Anyone told a date before: the change of that date, as it was.
TOLD_OF_A_CHANGE = {
    "en": (
        "NHS Test and Trace: a message for {name}. A clinician has reviewed how "
        "long you need to self-isolate. Stay at home and isolate until the end of "
        "Friday 22 January 2021. This replaces the date we gave you before."
    ),
    "cy": (
        "GIG Profi ac Olrhain: neges ar gyfer {name}. Mae clinigydd wedi adolygu am "
        "ba hyd y mae angen i chi hunanynysu. Arhoswch gartref a hunanynysu tan "
        "ddiwedd Dydd Gwener 22 Ionawr 2021. Mae hyn yn disodli'r dyddiad a roesom i "
        "chi o'r blaen."
    ),
}


def speaking(person, language: str, channel: str) -> None:
    """Their language as recorded, and a mobile or (a landline and) an email."""
    if language == "cy":
        person.language = Language.objects.get_or_create(
            code="cy", defaults={"name": "Welsh"}
        )[0]
    if channel == Message.Channel.EMAIL:
        person.phone = "0114 272 0000"  # a landline: they are not texted
        person.email = "sam@example.org"
    person.save()


def api_as(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


def test_a_case_never_messaged_is_told_of_their_own_positive_test_on_the_page(
    clock, client, caseworker, held_case, run_tasks_here
):
    client.force_login(caseworker)

    with run_tasks_here():
        response = client.post(
            reverse("cases:isolation", args=[held_case.pk]),
            {"ends_on": "2021-01-22", "reason": REASON},
        )

    assert response.status_code == 302
    (sent,) = read_sent()
    assert sent["to"] == str(held_case.person.phone)
    assert sent["body"] == TOLD_AS_CASE["en"].format(name=held_case.person.first_name)
    assert "been near someone who has coronavirus" not in sent["body"]


@pytest.mark.parametrize("channel", [Message.Channel.SMS, Message.Channel.EMAIL])
@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_case_never_messaged_is_told_as_a_case_through_the_api_in_their_language(
    clock, caseworker, held_case, language, channel
):
    speaking(held_case.person, language, channel)

    response = api_as(caseworker).post(
        f"/api/v1/cases/{held_case.pk}/isolation/",
        {"ends_on": "2021-01-22", "reason": REASON},
        format="json",
    )

    assert response.status_code == 201, response.content
    message = Message.objects.get(case=held_case)
    assert (message.channel, message.language) == (channel, language)
    assert message.body == TOLD_AS_CASE[language].format(
        name=held_case.person.first_name
    )


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_contact_never_messaged_is_still_told_as_a_contact(
    clock, caseworker, call_handler, held_case, language
):
    contact = hold(
        f.ContactFactory(case=held_case, exposure_date=D(2021, 1, 10)), call_handler
    )
    speaking(contact.person, language, Message.Channel.SMS)

    done = isolation_override(
        item=contact, ends_on=FRIDAY_22, reason=REASON, clinician=caseworker
    )

    assert done.message is not None
    assert done.message.body == TOLD_AS_CONTACT[language].format(
        name=contact.person.first_name
    )


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_case_sent_its_link_before_is_told_the_date_changed_as_before(
    clock, caseworker, language
):
    case = a_case()
    speaking(case.person, language, Message.Channel.SMS)
    assert online_case_invite(case=case, now=timezone.now()) is not None
    case = hold(case, caseworker)

    done = isolation_override(
        item=case, ends_on=FRIDAY_22, reason=REASON, clinician=caseworker
    )

    assert done.message is not None
    assert done.message.body == TOLD_OF_A_CHANGE[language].format(
        name=case.person.first_name
    )
    assert Message.objects.filter(case=case).count() == 2
