"""A review of 5d969b6 (a stale form undoes nothing; messages, cases and household
follow a person's corrected details): what a user still sees go wrong."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import FurtherResult
from cases.workitem import Status
from contacts.models import Contact
from online.models import OnlineLink
from people.models import Message
from tests import factories as f
from tests.person_details.conftest import (
    CaseFactory,
    ContactFactory,
    barker,
    details_url,
    form_as_drawn,
    hold,
)
from work.online import online_case_invite
from work.person_details import person_details_correct

pytestmark = pytest.mark.django_db

NEW_MOBILE = "+447922555666"
FRENCH_MOBILE = "+33612345678"


def test_a_phone_held_from_abroad_is_corrected_from_the_case_page(client, caseworker):
    # Nobody else touched it: the form was drawn with the number held ("06 12 34 56
    # 78", as_national), and he gives his new UK mobile.
    jon = barker(phone=FRENCH_MOBILE)
    case = hold(CaseFactory(person=jon), caseworker)
    client.force_login(caseworker)

    html = client.post(
        details_url(case), form_as_drawn(jon, phone="07922 555666"), follow=True
    ).content.decode()

    assert "Changed meanwhile" not in html
    jon.refresh_from_db()
    assert jon.phone.as_e164 == NEW_MOBILE


def test_an_earlier_cases_household_that_stayed_keeps_its_address(
    caseworker, held_case, jon
):
    # Last year's case named Ann, his flatmate then, as living with him; she still
    # lives at 12 West Street. Jon tells his caseworker he has moved to Leeds.
    earlier = CaseFactory(
        person=jon,
        status=Status.CLOSED,
        specimen_date=held_case.specimen_date - dt.timedelta(days=300),
        result_date=held_case.specimen_date - dt.timedelta(days=299),
    )
    ann = f.PersonFactory(
        first_name="Ann",
        last_name="Lee",
        address=jon.address,
        postcode=jon.postcode,
        area=jon.area,
    )
    ContactFactory(
        case=earlier,
        person=ann,
        exposure=Contact.Exposure.HOUSEHOLD,
        status=Status.CLOSED,
    )

    person_details_correct(
        person=jon,
        item=held_case,
        given={"address": "4 Otley Road, Leeds", "postcode": "LS6 3QE"},
        by=caseworker,
        source="case page",
    )

    ann.refresh_from_db()
    assert (ann.address, ann.postcode) == ("12 West Street, Sheffield", "S1 2HE")


def test_a_further_results_earlier_test_bounds_their_date_of_birth(
    caseworker, held_case, jon
):
    # A further positive result of the same episode, taken 20 days before the
    # case's own: he was born before that.
    first = held_case.specimen_date - dt.timedelta(days=20)
    FurtherResult.objects.create(
        case=held_case,
        lab_reference="LAB-FURTHER-1",
        specimen_date=first,
        result_date=first + dt.timedelta(days=1),
        received_at=timezone.now(),
    )

    with pytest.raises(ValidationError) as refused:
        person_details_correct(
            person=jon,
            item=held_case,
            given={"date_of_birth": first + dt.timedelta(days=10)},
            by=caseworker,
            source="case page",
        )

    assert "date_of_birth" in refused.value.message_dict
    jon.refresh_from_db()
    assert jon.date_of_birth == dt.date(1985, 6, 4)


def test_an_expired_links_text_is_not_sent_again_to_the_new_number(caseworker, jon):
    case = CaseFactory(person=jon)
    link = online_case_invite(case=case, now=timezone.now())
    old = link.message
    Message.objects.filter(pk=old.pk).update(attempts=1)  # waiting out an outage
    OnlineLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - dt.timedelta(hours=1)
    )
    case = hold(case, caseworker)
    token_url = next(word for word in old.body.split() if "/o/" in word)

    person_details_correct(
        person=jon,
        item=case,
        given={"phone": "07922 555666"},
        by=caseworker,
        source="case page",
    )

    # Whatever goes to his new number, it is not a link that no longer works.
    for sent in Message.objects.filter(person=jon, to=NEW_MOBILE):
        assert token_url not in sent.body
