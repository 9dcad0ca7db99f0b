"""A link text held up by a provider's outage when a clinician changes the end date:
what the person is told, and where the text giving the new date goes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notify.errors import TemporaryFailure
from notify.services import message_send
from online.models import OnlineLink
from people.models import Message
from tests import factories as f
from tests.isolation.conftest import hold
from tests.notify.fakes import RecordingBackend
from tests.notify.test_replaced_and_smtp_stages import (
    OUTAGE,
    REASON,
    _contact_told_online,
    _override,
)
from work.isolation import isolation_override
from work.online import online_case_invite

pytestmark = pytest.mark.django_db

REPLACES = "replaces the date we gave you before"
NEW_NUMBER = "+447400999888"


@pytest.fixture
def recording(settings):
    settings.NOTIFY_SMS_BACKEND = "tests.notify.fakes.RecordingBackend"
    settings.NOTIFY_EMAIL_BACKEND = "tests.notify.fakes.RecordingBackend"
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()


def _held_up(link, clock, recording):
    """The link's text tried in an outage, waiting to be tried again."""
    recording.reset(OUTAGE)
    with pytest.raises(TemporaryFailure):
        message_send(link.message.pk)
    clock.shift(dt.timedelta(minutes=2))


def _held_up_link(clock, caseworker, recording):
    contact, link = _contact_told_online(clock, caseworker)
    _held_up(link, clock, recording)
    return contact, link


def _case_with_held_up_link(clock, caseworker, recording):
    case = f.CaseFactory(person=f.PersonFactory(phone="+447400123676"))
    link = online_case_invite(case=case, now=timezone.now())
    _held_up(link, clock, recording)
    return hold(case, caseworker), link


def _override_case(case, caseworker, days):
    done = isolation_override(
        item=case,
        ends_on=case.isolation_ends_on + dt.timedelta(days=days),
        reason=REASON,
        clinician=caseworker,
    )
    return done.message


def _new_number(person):
    person.phone = NEW_NUMBER
    person.save(update_fields=["phone", "updated_at"])


# -- What the person is told ------------------------------------------------------


def test_held_up_link_then_override_is_not_told_replaces(clock, caseworker, recording):
    contact, _ = _held_up_link(clock, caseworker, recording)
    told = _override(contact, caseworker, days=6)
    assert REPLACES not in told.body
    assert "You have been near someone who has coronavirus." in told.body


def test_a_case_whose_link_is_held_up_is_not_told_replaces(
    clock, caseworker, recording
):
    case, _ = _case_with_held_up_link(clock, caseworker, recording)
    told = _override_case(case, caseworker, days=3)
    assert REPLACES not in told.body
    assert "Your coronavirus test was positive." in told.body


def test_an_override_after_the_link_text_went_says_it_replaces(
    clock, caseworker, recording
):
    contact, link = _contact_told_online(clock, caseworker)
    message_send(link.message.pk)
    told = _override(contact, caseworker, days=6)
    assert REPLACES in told.body


def test_a_link_text_queued_a_moment_ago_counts_as_told(clock, caseworker, recording):
    """Not tried yet: it goes first, with the old date; the override says it
    replaces that."""
    contact, _ = _contact_told_online(clock, caseworker)
    told = _override(contact, caseworker, days=6)
    assert REPLACES in told.body


# -- Where the re-dated link text goes --------------------------------------------


def test_redated_link_text_goes_to_the_current_number(clock, caseworker, recording):
    contact, link = _held_up_link(clock, caseworker, recording)
    _new_number(contact.person)
    told = _override(contact, caseworker, days=6)
    link.refresh_from_db()
    assert told.to == NEW_NUMBER
    assert link.message.to == NEW_NUMBER
    recording.reset()
    message_send(told.pk)
    message_send(link.message.pk)
    assert [pk for pk, _ in RecordingBackend.calls] == [told.pk, link.message.pk]


def test_a_case_redated_link_text_goes_to_the_current_number(
    clock, caseworker, recording
):
    case, link = _case_with_held_up_link(clock, caseworker, recording)
    _new_number(case.person)
    _override_case(case, caseworker, days=3)
    link.refresh_from_db()
    assert link.message.to == NEW_NUMBER
    assert link.message.kind == Message.Kind.CASE_LINK


def test_redated_link_text_goes_to_the_person_a_record_was_merged_into(
    clock, caseworker, recording
):
    contact, link = _held_up_link(clock, caseworker, recording)
    kept = f.PersonFactory(phone=NEW_NUMBER)
    type(contact).objects.filter(pk=contact.pk).update(person=kept)
    _override(contact, caseworker, days=6)
    link.refresh_from_db()
    assert link.message.person_id == kept.pk
    assert link.message.to == NEW_NUMBER


def test_no_link_text_goes_to_someone_who_can_no_longer_be_messaged(
    clock, caseworker, recording
):
    contact, link = _held_up_link(clock, caseworker, recording)
    old = link.message
    person = contact.person
    person.phone = ""
    person.save(update_fields=["phone", "updated_at"])
    told = _override(contact, caseworker, days=6)
    assert told is None  # the clinician is told to phone them
    old.refresh_from_db()
    assert old.status == Message.Status.SUPERSEDED
    assert "can no longer be messaged" in old.failure_reason
    assert not Message.objects.filter(contact=contact).exclude(pk=old.pk).exists()
    recording.reset()
    message_send(old.pk)
    assert RecordingBackend.calls == []
    # The link's text will not come: the call held back for an answer is due now.
    assert OnlineLink.objects.get(pk=link.pk).message_id == old.pk
    contact.refresh_from_db()
    assert contact.next_attempt_at == timezone.now()
