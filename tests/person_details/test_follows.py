"""What follows a person's details corrected, beyond the details themselves: a form
left open does not undo another's save, messages not sent yet follow a number or
email corrected away, every case of theirs with the phones follows a new postcode,
their household's copy of their address follows it, a blank other phone sent is
kept blank, and a date of birth is checked against the earliest of their tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from online.models import OnlineLink
from people.models import Message, Person, PersonChange
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.intake import TestResult, case_intake_one
from work.online import online_case_invite
from work.person_details import person_details_correct

from .conftest import (
    HELD_EMAIL,
    HELD_PHONE,
    LEEDS,
    LEEDS_POSTCODE,
    SHEFFIELD,
    CaseFactory,
    ContactFactory,
    api_url,
    barker,
    details_url,
    form_as_drawn,
    hold,
    withdrawn,
)

pytestmark = pytest.mark.django_db

NEW_MOBILE = "+447922555666"


def signed_in(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


# -- a form left open -----------------------------------------------------------------


def test_the_form_is_drawn_with_what_it_shows_in_hidden_fields(
    client, caseworker, held_case
):
    client.force_login(caseworker)

    html = client.get(reverse("cases:detail", args=[held_case.pk])).content.decode()

    assert 'name="details-drawn_phone" value="07911 123456"' in html
    assert 'name="details-drawn_first_name" value="John"' in html


def test_a_detail_changed_meanwhile_and_by_the_form_is_refused_on_its_field(
    client, caseworker, call_handler, held_case, jon
):
    contact = hold(ContactFactory(person=jon), call_handler)
    stale = form_as_drawn(jon, first_name="Jon", email="jon.b@example.org")
    client.force_login(caseworker)
    client.post(details_url(held_case), form_as_drawn(jon, email="jb@example.org"))

    client.force_login(call_handler)
    html = client.post(details_url(contact), stale).content.decode()

    assert 'id="id_details-email-error"' in html
    who = caseworker.get_full_name()
    assert f"Changed meanwhile by {who} (case page" in html
    # The email as the caseworker left it, drawn with it; the typing kept.
    assert 'name="details-email" value="jb@example.org"' in html
    assert 'name="details-drawn_email" value="jb@example.org"' in html
    assert 'name="details-first_name" value="Jon"' in html
    jon.refresh_from_db()
    assert (jon.first_name, jon.email) == ("John", "jb@example.org")  # none saved

    # Sent again as drawn now: the name is saved, the email left as it is.
    again = form_as_drawn(jon, first_name="Jon")
    client.post(details_url(contact), again)
    jon.refresh_from_db()
    assert (jon.first_name, jon.email) == ("Jon", "jb@example.org")


def test_the_other_phone_as_typed_wins_on_the_page(client, caseworker, held_case, jon):
    Person.objects.filter(pk=jon.pk).update(phone_alt="+447911765432")
    jon.refresh_from_db()
    client.force_login(caseworker)

    client.post(
        details_url(held_case), form_as_drawn(jon, phone="07922 555666", phone_alt="")
    )

    jon.refresh_from_db()
    assert (str(jon.phone), jon.phone_alt) == (NEW_MOBILE, "")


def test_the_api_keeps_an_other_phone_sent_with_a_new_phone(caseworker, held_case):
    answer = signed_in(caseworker).patch(
        api_url(held_case),
        {"phone": "07922 555666", "phone_alt": "07911 765432"},
        format="json",
    )

    assert answer.status_code == 200, answer.content
    person = answer.json()["person"]
    assert (person["phone"], person["phone_alt"]) == (NEW_MOBILE, "+447911765432")
    assert "old number is kept" not in answer.json()["detail"]


def test_the_api_keeps_the_old_phone_when_no_other_phone_is_sent(caseworker, held_case):
    answer = signed_in(caseworker).patch(
        api_url(held_case), {"phone": "07922 555666"}, format="json"
    )

    assert answer.json()["person"]["phone_alt"] == HELD_PHONE


# -- messages not sent yet ------------------------------------------------------------


def test_a_link_text_waiting_for_the_old_number_goes_to_the_new_one(caseworker, jon):
    case = CaseFactory(person=jon)
    link = online_case_invite(case=case, now=timezone.now())
    old = link.message
    Message.objects.filter(pk=old.pk).update(attempts=1)  # waiting out an outage
    case = hold(case, caseworker)

    person_details_correct(
        person=jon,
        item=case,
        given={"phone": "07922 555666"},
        by=caseworker,
        source="case page",
    )

    old.refresh_from_db()
    link.refresh_from_db()
    assert old.status == Message.Status.SUPERSEDED
    new = link.message
    assert (new.channel, new.to) == (Message.Channel.SMS, NEW_MOBILE)
    assert new.status == Message.Status.QUEUED
    # The same link, still working: its address is in the new text.
    token_url = next(word for word in old.body.split() if "/o/" in word)
    assert token_url in new.body
    assert link.revoked_at is None


def test_isolation_advice_waiting_for_the_old_email_goes_to_the_new_one(caseworker):
    jon = barker(phone="+441142000000")  # a landline: messages go by email
    case = hold(CaseFactory(person=jon), caseworker)
    waiting = f.MessageFactory(
        person=jon,
        case=case,
        key=f"isolation_advice:case:{case.pk}",
        channel=Message.Channel.EMAIL,
        kind=Message.Kind.ISOLATION_ADVICE,
        to=HELD_EMAIL,
        body="John, stay at home until 12 June.",
        attempts=1,
    )

    person_details_correct(
        person=jon,
        item=case,
        given={"email": "jon.barker@example.org"},
        by=caseworker,
        source="case page",
    )

    waiting.refresh_from_db()
    assert waiting.status == Message.Status.SUPERSEDED
    again = Message.objects.get(person=jon, status=Message.Status.QUEUED)
    assert (again.channel, again.to, again.body) == (
        Message.Channel.EMAIL,
        "jon.barker@example.org",
        "John, stay at home until 12 June.",
    )
    assert again.kind == Message.Kind.ISOLATION_ADVICE


def test_a_message_to_an_email_taken_off_someone_with_no_mobile_is_withdrawn(
    caseworker,
):
    jon = barker(phone="+441142000000")
    case = hold(CaseFactory(person=jon), caseworker)
    waiting = f.MessageFactory(
        person=jon,
        case=case,
        channel=Message.Channel.EMAIL,
        kind=Message.Kind.ISOLATION_ADVICE,
        to=HELD_EMAIL,
    )

    person_details_correct(
        person=jon, item=case, given={"email": ""}, by=caseworker, source="case page"
    )

    waiting.refresh_from_db()
    assert waiting.status == Message.Status.SUPERSEDED
    assert "corrected" in waiting.failure_reason
    assert not Message.objects.filter(status=Message.Status.QUEUED).exists()


def test_a_message_to_a_phone_not_corrected_still_goes(caseworker, held_case, jon):
    texted = f.MessageFactory(person=jon, case=held_case, to=HELD_PHONE)

    person_details_correct(
        person=jon,
        item=held_case,
        given={"email": "jon.barker@example.org"},
        by=caseworker,
        source="case page",
    )

    texted.refresh_from_db()
    assert texted.status == Message.Status.QUEUED
    assert not OnlineLink.objects.exists()


# -- a new postcode -------------------------------------------------------------------


def test_each_of_their_cases_with_the_phones_follows_and_is_audited(call_handler, jon):
    waiting = CaseFactory(person=jon)
    with_team = CaseFactory(person=jon)
    Case.objects.filter(pk=with_team.pk).update(status=Status.ESCALATED)
    contact = hold(ContactFactory(person=jon), call_handler)

    person_details_correct(
        person=jon,
        item=contact,
        given={"postcode": LEEDS_POSTCODE},
        by=call_handler,
        source="contact page",
    )

    areas = dict(Case.objects.values_list("pk", "area__code"))
    assert (areas[waiting.pk], areas[with_team.pk]) == (LEEDS, SHEFFIELD)
    [event] = AuditEvent.objects.filter(
        object_type="cases.case", object_id=str(waiting.pk)
    )
    assert event.user == call_handler
    assert event.detail["source"] == "contact page"
    assert event.detail["follows"] == "their corrected postcode"
    assert event.detail["area_was"] != event.detail["area"]


MUM = "+447911100301"
HOME = "41 Park Road\nSheffield"


@pytest.mark.usefixtures("clock")
def test_a_household_copy_follows_a_postcode_corrected_and_so_does_its_contact(
    caseworker,
):
    today = timezone.localdate()
    case_intake_one(
        result=TestResult(
            lab_reference="LAB-MC-2",
            person=PersonDetails(
                first_name="Maisie",
                last_name="Crane",
                date_of_birth=dt.date(2014, 2, 2),
                phone=MUM,
                postcode="S1 1AA",
                address=HOME,
            ),
            specimen_date=today - dt.timedelta(days=2),
            result_date=today - dt.timedelta(days=1),
        )
    )
    case = hold(Case.objects.get(lab_reference="LAB-MC-2"), caseworker)
    alfie = contact_add(
        case=case,
        details=ContactDetails(
            person=PersonDetails(first_name="Alfie", last_name="Crane", phone=MUM),
            exposure_date=today - dt.timedelta(days=1),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    )

    person_details_correct(
        person=case.person,
        item=case,
        given={"postcode": LEEDS_POSTCODE},
        by=caseworker,
        source="case page",
    )

    alfie.refresh_from_db()
    alfie.person.refresh_from_db()
    assert (alfie.person.postcode, alfie.person.area.code) == (LEEDS_POSTCODE, LEEDS)
    assert alfie.area.code == LEEDS
    assert PersonChange.objects.get(person=alfie.person).source == "case page"


# -- a date of birth ------------------------------------------------------------------


def test_a_withdrawn_cases_test_does_not_bound_their_date_of_birth(call_handler, jon):
    mistaken = withdrawn(CaseFactory(person=jon))
    contact = hold(ContactFactory(person=jon), call_handler)
    born = mistaken.specimen_date + dt.timedelta(days=1)

    person_details_correct(
        person=jon,
        item=contact,
        given={"date_of_birth": born},
        by=call_handler,
        source="contact page",
    )

    jon.refresh_from_db()
    assert jon.date_of_birth == born


def test_the_earliest_of_their_tests_bounds_their_date_of_birth(
    caseworker, held_case, jon
):
    earlier = CaseFactory(
        person=jon, specimen_date=held_case.specimen_date - dt.timedelta(days=30)
    )

    with pytest.raises(ValidationError) as refused:
        person_details_correct(
            person=jon,
            item=held_case,
            given={"date_of_birth": earlier.specimen_date + dt.timedelta(days=1)},
            by=caseworker,
            source="case page",
        )

    assert "date_of_birth" in refused.value.message_dict
