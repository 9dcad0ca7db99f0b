"""A clinician's override of an isolation end date: a tier 2 clinician may set a case's
or a contact's last day of isolation with a reason, through the page or the API (one
operation); it is shown with who and when and the date it replaced, audited, and the
person is told the new date by message. Tier 3 call handlers may not.

The clock stands at Tuesday 12 January 2021, 10:00 GMT. The contact was exposed on
Sunday 10 January: 10 + 10 = Wednesday 20 January, their end date by the rules.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from audit.models import AuditEvent
from cases.models import RiskAssessment
from contacts.models import IsolationChange
from notify.backends import read_sent
from people.models import Language, Message
from tests import factories as f
from work.casework import AssessmentDetails, case_assessment_record
from work.isolation import isolation_override

from .conftest import D, hold

pytestmark = pytest.mark.django_db

REASON = "Immunosuppressed: a longer infectious period is likely."
FRIDAY_22 = D(2021, 1, 22)


@pytest.fixture
def contact(held_case, call_handler):
    """A contact of the caseworker's case, held by the call handler; exposed on
    10 January, isolating until the 20th."""
    contact = hold(
        f.ContactFactory(case=held_case, exposure_date=D(2021, 1, 10)), call_handler
    )
    assert contact.isolation_ends_on == D(2021, 1, 20)
    return contact


def override(item, clinician, ends_on=FRIDAY_22, reason=REASON, **kwargs):
    return isolation_override(
        item=item, ends_on=ends_on, reason=reason, clinician=clinician, **kwargs
    )


def name_of(user) -> str:
    return user.get_full_name()


# --- the operation ----------------------------------------------------------------------------


def test_a_clinician_overrides_a_contacts_end_date_with_a_reason(
    clock, caseworker, contact
):
    done = override(contact, caseworker)

    contact.refresh_from_db()
    assert contact.isolation_ends_on == FRIDAY_22
    change = IsolationChange.objects.get()
    assert change == done.change
    assert (change.contact, change.kind, change.replaced, change.ends_on) == (
        contact,
        IsolationChange.Kind.OVERRIDE,
        D(2021, 1, 20),
        FRIDAY_22,
    )
    assert (change.reason, change.by, change.at) == (
        REASON,
        caseworker,
        dt.datetime(2021, 1, 12, 10, 0, tzinfo=dt.UTC),
    )


def test_an_override_is_audited_with_the_date_it_replaced(clock, caseworker, contact):
    done = override(contact, caseworker)

    event = AuditEvent.objects.get(
        action=AuditEvent.Action.UPDATE, object_type="contacts.contact"
    )
    assert (event.user, event.person, event.object_id) == (
        caseworker,
        contact.person,
        str(contact.pk),
    )
    assert event.detail == {
        "isolation_change": done.change.pk,
        "isolation_ends_on": "2021-01-22",
        "replaced": "2021-01-20",
        "clinician": caseworker.pk,
    }


def test_the_person_is_sent_the_new_date_by_text(
    clock, caseworker, contact, run_tasks_here
):
    # Told a date before (reached by a call handler).
    type(contact).objects.filter(pk=contact.pk).update(reached_at=timezone.now())
    with run_tasks_here():
        done = override(contact, caseworker)

    message = Message.objects.get()
    assert message == done.message
    assert (message.contact, message.kind, message.channel, message.to) == (
        contact,
        Message.Kind.ISOLATION_ADVICE,
        Message.Channel.SMS,
        str(contact.person.phone),
    )
    assert message.status == Message.Status.SENT
    (sent,) = read_sent()
    assert sent["to"] == str(contact.person.phone)
    assert sent["body"] == (
        f"NHS Test and Trace: a message for {contact.person.first_name}. A clinician "
        "has reviewed how long you need to self-isolate. Stay at home and isolate "
        "until the end of Friday 22 January 2021. This replaces the date we gave you "
        "before."
    )


def test_a_contact_not_told_anything_yet_is_sent_the_advice_not_a_change(
    clock, caseworker, contact
):
    """Before, their first message from the service said the new date "replaces the
    date we gave you before"."""
    done = override(contact, caseworker)

    assert done.message.body == (
        f"NHS Test and Trace: a message for {contact.person.first_name}. You have "
        "been near someone who has coronavirus. Stay at home and isolate until the "
        "end of Friday 22 January 2021. Do not go to work, school or any public "
        "place. If you get symptoms, call 119 to get a test."
    )


def test_a_second_override_sends_a_second_message(clock, caseworker, contact):
    override(contact, caseworker)
    override(contact, caseworker, ends_on=D(2021, 1, 25))

    bodies = list(Message.objects.order_by("pk").values_list("body", flat=True))
    assert len(bodies) == 2
    assert "Monday 25 January 2021" in bodies[1]


def test_a_person_with_an_email_and_no_mobile_is_emailed(clock, caseworker, contact):
    person = contact.person
    person.phone = "0114 272 0000"  # a landline: they are not texted
    person.email = "sam@example.org"
    person.save()

    done = override(contact, caseworker)

    assert done.message is not None
    assert (done.message.channel, done.message.to) == (
        Message.Channel.EMAIL,
        "sam@example.org",
    )


def test_a_person_with_neither_a_mobile_nor_an_email_is_left_to_be_phoned(
    clock, caseworker, contact
):
    person = contact.person
    person.phone = "0114 272 0000"
    person.save()

    done = override(contact, caseworker)

    assert done.message is None
    assert not Message.objects.exists()
    contact.refresh_from_db()
    assert contact.isolation_ends_on == FRIDAY_22


def test_a_welsh_speaker_is_told_in_welsh(clock, caseworker, contact):
    person = contact.person
    person.language = Language.objects.get_or_create(
        code="cy", defaults={"name": "Welsh"}
    )[0]
    person.save()

    done = override(contact, caseworker)

    assert done.message is not None
    assert done.message.language == "cy"
    assert "tan ddiwedd Dydd Gwener 22 Ionawr 2021" in done.message.body


def test_a_call_handler_may_not_override(clock, call_handler, contact):
    with pytest.raises(PermissionDenied, match="Only a tier 2 clinician"):
        override(contact, call_handler)

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2021, 1, 20)
    assert not IsolationChange.objects.exists()
    assert not Message.objects.exists()


def test_a_caseworker_may_not_override_a_contact_of_another_case(
    clock, caseworker, call_handler
):
    others = hold(f.ContactFactory(), call_handler)

    with pytest.raises(PermissionDenied, match="not yours to work"):
        override(others, caseworker)


def test_a_caseworker_whose_registration_expired_may_not_override(
    clock, caseworker, contact
):
    caseworker.staff.registration_expires_on = D(2021, 1, 11)
    caseworker.staff.save()

    with pytest.raises(PermissionDenied, match="registration"):
        override(contact, caseworker)


def test_an_override_needs_a_reason(clock, caseworker, contact):
    with pytest.raises(ValidationError) as refused:
        override(contact, caseworker, reason=" ")

    assert refused.value.message_dict == {
        "reason": ["Give the clinical reason for the change."]
    }
    assert not IsolationChange.objects.exists()


# --- a case's override, and the facts after it --------------------------------------------------


def assess(case, caseworker, onset):
    case_assessment_record(
        case=case,
        details=AssessmentDetails(symptomatic=True, symptom_onset=onset),
        by=caseworker,
    )
    case.refresh_from_db()


def test_a_later_onset_lengthening_a_case_beyond_its_override_applies(
    clock, caseworker, held_case
):
    # Tested 10 January, no symptoms: 10 + 10 = 20 January; cut to the 18th.
    override(held_case, caseworker, ends_on=D(2021, 1, 18), reason="Retested.")

    # Symptoms from 11 January after all: 11 + 10 = 21 January, beyond the 18th.
    assess(held_case, caseworker, D(2021, 1, 11))

    assert held_case.isolation_ends_on == D(2021, 1, 21)


def test_an_earlier_onset_leaves_a_case_override_standing(clock, caseworker, held_case):
    # Tested 10 January: 20 January; extended to the 25th.
    override(held_case, caseworker, ends_on=D(2021, 1, 25), reason="Still febrile.")

    # Symptoms from 9 January: 9 + 10 = 19 January, before the 25th.
    assess(held_case, caseworker, D(2021, 1, 9))

    assert held_case.isolation_ends_on == D(2021, 1, 25)
    assert RiskAssessment.objects.filter(case=held_case).exists()


# --- the pages ----------------------------------------------------------------------------------


def contact_page(contact) -> str:
    return reverse("contacts:isolation", args=[contact.pk])


def test_the_case_page_links_its_clinician_to_each_override(
    clock, client, caseworker, held_case, contact
):
    client.force_login(caseworker)

    response = client.get(reverse("cases:detail", args=[held_case.pk]))

    assert response.status_code == 200
    assert reverse("cases:isolation", args=[held_case.pk]).encode() in response.content
    assert contact_page(contact).encode() in response.content


def test_the_override_page_shows_the_date_in_force(clock, client, caseworker, contact):
    client.force_login(caseworker)

    response = client.get(contact_page(contact))

    assert response.status_code == 200
    assert b"The end of Wednesday 20 January 2021" in response.content
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_id=str(contact.pk)
    ).exists()


def test_an_override_on_the_page_changes_the_date_and_returns_to_the_case(
    clock, client, caseworker, held_case, contact
):
    client.force_login(caseworker)

    response = client.post(
        contact_page(contact), {"ends_on": "2021-01-22", "reason": REASON}
    )

    case_page = reverse("cases:detail", args=[held_case.pk])
    assert response.status_code == 302
    assert response["Location"] == f"{case_page}#contacts"
    page = client.get(case_page).content.decode()
    name = contact.person.full_name
    assert f"{name} now isolates until the end of Friday 22 January 2021." in page
    assert f"{name} is being sent a text with the new date." in page
    assert '22 Jan 2021 <strong class="nhsuk-tag nhsuk-tag--grey">Changed</strong>' in (
        page
    )
    contact.refresh_from_db()
    assert contact.isolation_ends_on == FRIDAY_22


def test_a_missing_reason_is_shown_on_the_form_with_the_date_kept(
    clock, client, caseworker, contact
):
    client.force_login(caseworker)

    response = client.post(contact_page(contact), {"ends_on": "2021-01-22"})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Error: Change the isolation end date" in text
    assert "Give the clinical reason for the change." in text
    assert 'value="2021-01-22"' in text
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2021, 1, 20)


def test_a_date_in_the_past_is_refused_on_the_form_with_the_reason_kept(
    clock, client, caseworker, contact
):
    client.force_login(caseworker)

    response = client.post(
        contact_page(contact), {"ends_on": "2021-01-11", "reason": REASON}
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "The last day of isolation cannot be in the past" in text
    assert REASON in text
    assert not IsolationChange.objects.exists()


def test_a_date_in_the_past_and_no_reason_are_both_told_at_once(
    clock, client, caseworker, contact
):
    """Before, only the missing reason was told; the past date came back on the next
    sending."""
    client.force_login(caseworker)

    response = client.post(contact_page(contact), {"ends_on": "2021-01-11"})

    text = response.content.decode()
    assert "The last day of isolation cannot be in the past" in text
    assert "Give the clinical reason for the change." in text
    assert not IsolationChange.objects.exists()


def test_a_call_handler_is_refused_the_override_page_with_the_reason(
    clock, client, call_handler, contact
):
    client.force_login(call_handler)

    shown = client.get(contact_page(contact))
    sent = client.post(
        contact_page(contact), {"ends_on": "2021-01-22", "reason": REASON}
    )

    for response in (shown, sent):
        assert response.status_code == 403
        assert b"Only a tier 2 clinician may change an isolation end date." in (
            response.content
        )
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2021, 1, 20)


def test_the_contact_page_shows_who_changed_the_date_and_when_but_not_why(
    clock, client, caseworker, call_handler, contact
):
    override(contact, caseworker)
    client.force_login(call_handler)

    response = client.get(reverse("contacts:detail", args=[contact.pk]))

    text = response.content.decode()
    assert "self-isolate until the end of <strong>Friday 22 January 2021</strong>" in (
        text
    )
    assert (
        f"Changed by {name_of(caseworker)} at 10:00 on 12 Jan 2021, from Wednesday 20 "
        "January 2021 (the date before) to Friday 22 January 2021."
    ) in text
    # A clinical judgement: the reason is for clinicians.
    assert REASON not in text
    assert reverse("contacts:isolation", args=[contact.pk]) not in text


def test_a_case_override_shows_on_the_case_page_with_its_reason(
    clock, client, caseworker, held_case
):
    client.force_login(caseworker)
    before = held_case.isolation_ends_on  # tested 10 January: the 20th

    response = client.post(
        reverse("cases:isolation", args=[held_case.pk]),
        {"ends_on": "2021-01-22", "reason": "Still febrile on day 9."},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse(
        "cases:detail", args=[held_case.pk]
    )
    text = response.content.decode()
    assert (
        "Isolation ends at the end of <strong>Friday 22 January 2021</strong>" in text
    )
    assert (
        f"Changed by {name_of(caseworker)} at 10:00 on 12 Jan 2021, from "
        f"{before:%A} {before.day} {before:%B %Y} (the date before) to Friday 22 "
        "January 2021. Reason: Still febrile on day 9."
    ) in text


# --- the API ------------------------------------------------------------------------------------


def api_as(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


def api_override(http, item, **body):
    body = {"ends_on": "2021-01-22", "reason": REASON, **body}
    return http.post(f"/api/v1/{item.kind}s/{item.pk}/isolation/", body, format="json")


def test_an_override_through_the_api_answers_201_with_the_change(
    clock, caseworker, contact
):
    response = api_override(api_as(caseworker), contact)

    assert response.status_code == 201, response.content
    change = IsolationChange.objects.get()
    assert response.json() == {
        "id": change.pk,
        "kind": "override",
        "case": None,
        "contact": contact.pk,
        "ends_on": "2021-01-22",
        "replaced": "2021-01-20",
        "reason": REASON,
        "by": caseworker.pk,
        "at": "2021-01-12T10:00:00Z",
        "told_by": "sms",
    }
    contact.refresh_from_db()
    assert contact.isolation_ends_on == FRIDAY_22


def test_a_bad_override_through_the_api_is_a_400_naming_each_field(
    clock, caseworker, contact
):
    response = api_override(
        api_as(caseworker), contact, ends_on="2021-01-11", reason=""
    )

    assert response.status_code == 400
    assert response.json() == {
        "ends_on": [
            "The last day of isolation cannot be in the past: they are told it."
        ],
        "reason": ["Give the clinical reason for the change."],
    }
    assert not IsolationChange.objects.exists()


def test_a_call_handler_is_refused_through_the_api_with_the_reason(
    clock, call_handler, contact
):
    response = api_override(api_as(call_handler), contact)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only a tier 2 clinician may change an isolation end date."
    }
    assert not IsolationChange.objects.exists()


@pytest.fixture
def integration(db):
    client, token = api_client_create(
        name="Clinical system", scopes=[Scope.CASEWORK], rate_limit_per_minute=1000
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, http


def test_an_integration_must_name_the_clinician(clock, integration, contact):
    _, http = integration

    response = api_override(http, contact)

    assert response.status_code == 400
    assert list(response.json()) == ["clinician"]


def test_an_integration_naming_a_call_handler_is_refused(
    clock, integration, call_handler, contact
):
    _, http = integration

    response = api_override(http, contact, clinician=call_handler.pk)

    assert response.status_code == 403
    assert not IsolationChange.objects.exists()


def test_an_integration_naming_the_clinician_records_both(
    clock, integration, caseworker, contact
):
    client, http = integration

    response = api_override(http, contact, clinician=caseworker.pk)

    assert response.status_code == 201, response.content
    assert IsolationChange.objects.get().by == caseworker
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE)
    assert event.user == client.user
    assert event.detail["clinician"] == caseworker.pk
