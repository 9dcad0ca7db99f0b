"""Review of cf2480d (a person's details corrected from the case page, the contact
page and the API): what a caseworker, a call handler, an integration or the person
would notice. Each test fails on cf2480d."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case
from contacts.models import Contact
from people.models import Message
from people.services import PersonDetails
from tests import factories as f
from tests.person_details.conftest import (
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
)
from work.casework import ContactDetails, contact_add
from work.intake import TestResult, case_intake_one
from work.person_details import person_details_correct

pytestmark = pytest.mark.django_db


def signed_in(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


def test_a_stale_form_saved_after_anothers_correction_does_not_undo_it(
    client, caseworker, call_handler, jon
):
    """Jon's case (a caseworker) and his contact of another case (a call handler) are
    open at once. The call handler's contact page was drawn with his old number; the
    caseworker saves his new number; the call handler then saves only his new email.
    The new number must survive: the call handler never typed in the phone field."""
    case = hold(CaseFactory(person=jon), caseworker)
    contact = hold(ContactFactory(person=jon), call_handler)
    stale = form_as_drawn(jon, email="jon.barker@example.org")

    client.force_login(caseworker)
    client.post(details_url(case), form_as_drawn(jon, phone="07922 555666"))
    jon.refresh_from_db()
    assert str(jon.phone) == "+447922555666"

    client.force_login(call_handler)
    client.post(details_url(contact), stale)

    jon.refresh_from_db()
    assert jon.email == "jon.barker@example.org"
    assert str(jon.phone) == "+447922555666"  # now +447911123456 again
    assert str(jon.phone_alt) == HELD_PHONE  # now blank: the alt was cleared


def test_an_email_corrected_stops_a_message_still_waiting_for_the_old_address(
    caseworker,
):
    """His email was held mistyped (a stranger's inbox). A message to it is waiting
    out a provider's outage; he gives the right one. The message must not go on to
    the old address (the link text redated, and a call logged "Wrong number", both
    stop one waiting for an address no longer theirs)."""
    jon = barker(phone="+441142000000")  # a landline: messages go by email
    case = hold(CaseFactory(person=jon), caseworker)
    waiting = f.MessageFactory(
        person=jon,
        case=case,
        key=f"isolation_advice:case:{case.pk}",
        channel=Message.Channel.EMAIL,
        kind=Message.Kind.ISOLATION_ADVICE,
        to=HELD_EMAIL,
        attempts=1,
        status=Message.Status.QUEUED,
    )

    person_details_correct(
        person=jon,
        item=case,
        given={"email": "jon.barker@example.org"},
        by=caseworker,
        source="case page",
    )

    waiting.refresh_from_db()
    assert not (waiting.status == Message.Status.QUEUED and waiting.to == HELD_EMAIL)


def test_the_api_sending_a_blank_other_phone_with_a_new_phone_keeps_it_blank(
    caseworker, held_case, jon
):
    """An integration replacing a number that was never his says so: "phone" the new
    one and "phone_alt" blank. The answer must not give him the old (a stranger's)
    number as his other phone, which the callers would then ring."""
    answer = signed_in(caseworker).patch(
        api_url(held_case), {"phone": "07922 555666", "phone_alt": ""}, format="json"
    )

    assert answer.status_code == 200, answer.content
    assert answer.json()["person"]["phone_alt"] == ""  # is +447911123456


def test_a_postcode_corrected_on_the_contact_page_moves_their_open_case_too(
    call_handler, jon
):
    """Jon's own case waits in the national pool (not yet with any local team); a
    call handler on his contact's page takes his new Leeds postcode. As when the
    caseworker corrects it from the case page, the case must follow him: left in
    Sheffield it goes to Sheffield's team if he is not reached."""
    case = CaseFactory(person=jon)  # new, in the pool
    contact = hold(ContactFactory(person=jon), call_handler)
    assert case.area.code == SHEFFIELD

    person_details_correct(
        person=jon,
        item=contact,
        given={"postcode": LEEDS_POSTCODE},
        by=call_handler,
        source="contact page",
    )

    contact.refresh_from_db()
    case.refresh_from_db()
    assert contact.area.code == LEEDS
    assert case.area.code == LEEDS  # stays Sheffield


MUM = "+447911100301"
OLD = "14 Park Road\nSheffield"
NEW = "41 Park Road\nSheffield"


@pytest.mark.usefixtures("clock")
def test_a_household_copy_of_the_address_follows_its_correction_on_the_case_page(
    caseworker,
):
    """Maisie's result came with "14 Park Road" (the lab's slip for 41); her brother
    Alfie, named as her household with no address, was given that copy. Her mum
    corrects it on the phone to the caseworker. As when the lab sends it again
    corrected (work.casework.household_addresses_follow), Alfie's copy must follow,
    or the local team's door no longer links the two."""
    today = timezone.localdate()
    case_intake_one(
        result=TestResult(
            lab_reference="LAB-MC-1",
            person=PersonDetails(
                first_name="Maisie",
                last_name="Crane",
                date_of_birth=dt.date(2014, 2, 2),
                phone=MUM,
                postcode="S1 1AA",
                address=OLD,
            ),
            specimen_date=today - dt.timedelta(days=2),
            result_date=today - dt.timedelta(days=1),
        )
    )
    case = hold(Case.objects.get(lab_reference="LAB-MC-1"), caseworker)
    alfie = contact_add(
        case=case,
        details=ContactDetails(
            person=PersonDetails(first_name="Alfie", last_name="Crane", phone=MUM),
            exposure_date=today - dt.timedelta(days=1),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    ).person
    assert alfie.address == OLD

    person_details_correct(
        person=case.person,
        item=case,
        given={"address": NEW},
        by=caseworker,
        source="case page",
    )

    alfie.refresh_from_db()
    assert alfie.address == NEW  # stays "14 Park Road"


def test_a_date_of_birth_after_their_own_cases_test_is_refused_on_the_contact_page(
    call_handler, jon
):
    """The case page refuses a date of birth after the case's specimen was taken;
    the same person corrected from their contact's page must be refused it too, or
    their case holds a birth after its own test."""
    own_case = CaseFactory(person=jon)
    contact = hold(ContactFactory(person=jon), call_handler)
    after_test = own_case.specimen_date + dt.timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        person_details_correct(
            person=jon,
            item=contact,
            given={"date_of_birth": after_test},
            by=call_handler,
            source="contact page",
        )
    assert "date_of_birth" in refused.value.message_dict
