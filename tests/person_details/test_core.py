"""The operation (work.person_details.person_details_correct): a person's details
corrected while their case or contact is worked, kept in their history and the
audit trail (which details, never the values), and what follows from a move."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from cases.errors import IllegalTransition
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from people.models import Person, PersonChange, PossibleDuplicate
from tests import factories as f
from work.escalation import item_escalate
from work.person_details import NOTHING_TO_CHANGE, person_details_correct

from .conftest import (
    HELD_EMAIL,
    HELD_PHONE,
    LEEDS,
    LEEDS_POSTCODE,
    SHEFFIELD,
    UNKNOWN_POSTCODE,
    ContactFactory,
    barker,
    hold,
    withdrawn,
)

pytestmark = pytest.mark.django_db


def correct(item, by, **given):
    return person_details_correct(
        person=item.person, item=item, given=given, by=by, source="case page"
    )


def history(person) -> dict[str, tuple[str, str, str]]:
    return {
        change.field: (change.old_value, change.new_value, change.source)
        for change in PersonChange.objects.filter(person=person)
    }


def updates(item) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.UPDATE,
            object_type=item._meta.label_lower,
            object_id=str(item.pk),
        )
    )


def test_an_email_and_postcode_corrected_are_saved_kept_and_audited_without_values(
    held_case, caseworker, jon
):
    done = correct(
        held_case, caseworker, email="jon.barker@example.org", postcode="ls6 3qe"
    )

    assert done.changed == ("email", "postcode")
    assert done.said.startswith("Email and postcode updated.")
    jon.refresh_from_db()
    assert jon.email == "jon.barker@example.org"
    assert (jon.postcode, jon.area.code) == (LEEDS_POSTCODE, LEEDS)
    assert jon.easting is not None
    assert history(jon) == {
        "email": (HELD_EMAIL, "jon.barker@example.org", "case page"),
        "postcode": ("S1 2HE", LEEDS_POSTCODE, "case page"),
    }
    [event] = updates(held_case)
    assert event.user == caseworker
    assert event.person_id == jon.pk
    assert event.detail["email"] == "changed"
    assert event.detail["postcode"] == "changed"
    trail = json.dumps(event.detail)
    for value in ("jon.barker", "example", "LS6", "S1 2HE", "Leeds"):
        assert value not in trail


def test_a_name_spelt_wrong_and_a_date_of_birth_typed_wrong_are_corrected(
    held_case, caseworker, jon
):
    done = correct(
        held_case, caseworker, first_name="Jon", date_of_birth=dt.date(1985, 6, 14)
    )

    assert done.changed == ("first_name", "date_of_birth")
    assert done.said.startswith("First name and date of birth updated.")
    jon.refresh_from_db()
    assert (jon.first_name, jon.date_of_birth) == ("Jon", dt.date(1985, 6, 14))
    assert history(jon) == {
        "first_name": ("John", "Jon", "case page"),
        "date_of_birth": ("1985-06-04", "1985-06-14", "case page"),
    }
    [event] = updates(held_case)
    assert "Jon" not in json.dumps(event.detail)
    assert "1985" not in json.dumps(event.detail)


def test_a_new_phone_keeps_the_old_one_as_their_other_phone(held_case, caseworker, jon):
    done = correct(held_case, caseworker, phone="07912 345678")

    jon.refresh_from_db()
    assert str(jon.phone) == "+447912345678"
    assert str(jon.phone_alt) == HELD_PHONE
    assert done.changed == ("phone", "phone_alt")
    assert "old number" in done.said
    assert history(jon)["phone"] == (HELD_PHONE, "+447912345678", "case page")
    [event] = updates(held_case)
    assert "7911" not in json.dumps(event.detail)


def test_a_phone_logged_wrong_for_them_is_refused_on_the_phone(
    held_case, caseworker, jon
):
    Person.objects.filter(pk=jon.pk).update(wrong_numbers=["+447911123499"])
    jon.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        correct(held_case, caseworker, phone="07911 123499", email="new@example.com")

    assert "Wrong number" in refused.value.message_dict["phone"][0]
    jon.refresh_from_db()
    assert str(jon.phone) == HELD_PHONE
    assert jon.email == HELD_EMAIL  # nothing half-saved
    assert not PersonChange.objects.exists()
    assert not updates(held_case)


@pytest.mark.parametrize(
    ("given", "field", "words"),
    [
        ({"email": "jon at example"}, "email", "email address"),
        ({"phone": "not a number"}, "phone", "UK phone number"),
        ({"phone_alt": "+33 1 23 45 67 89"}, "phone_alt", "not a UK number"),
        ({"postcode": "SHEFFIELD"}, "postcode", "full UK postcode"),
        ({"postcode": UNKNOWN_POSTCODE}, "postcode", "cannot find this postcode"),
        ({"first_name": "\u200b"}, "first_name", "no visible letters"),
        ({"last_name": "  "}, "last_name", "last name"),
        ({"date_of_birth": dt.date(2999, 1, 1)}, "date_of_birth", "future"),
        ({"date_of_birth": dt.date(1850, 1, 1)}, "date_of_birth", "too early"),
    ],
)
def test_a_bad_value_is_refused_on_its_field_and_nothing_is_saved(
    held_case, caseworker, jon, given, field, words
):
    with pytest.raises(ValidationError) as refused:
        correct(held_case, caseworker, address="1 New Road, Leeds", **given)

    assert list(refused.value.message_dict) == [field]
    assert words in refused.value.message_dict[field][0]
    jon.refresh_from_db()
    assert jon.address == "12 West Street, Sheffield"
    assert not PersonChange.objects.exists()


def test_a_date_of_birth_after_the_cases_test_is_refused(held_case, caseworker):
    after = held_case.specimen_date + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        correct(held_case, caseworker, date_of_birth=after)

    assert "specimen date" in refused.value.message_dict["date_of_birth"][0]


def test_details_given_as_held_change_nothing_and_say_so(held_case, caseworker, jon):
    before = Person.objects.get(pk=jon.pk).updated_at

    done = correct(
        held_case,
        caseworker,
        first_name="John",
        phone="07911 123456",  # as the page shows it
        email=HELD_EMAIL.upper(),
        postcode="s1 2he",
    )

    assert done.changed == ()
    assert done.said == NOTHING_TO_CHANGE
    assert Person.objects.get(pk=jon.pk).updated_at == before
    assert not PersonChange.objects.exists()
    assert not updates(held_case)


def test_a_postcode_moves_their_unreached_contacts_and_not_a_reached_one(
    call_handler, jon
):
    worked = hold(ContactFactory(person=jon), call_handler)
    waiting = ContactFactory(person=jon)
    reached = ContactFactory(person=jon, status=Status.REACHED)

    person_details_correct(
        person=jon,
        item=worked,
        given={"postcode": LEEDS_POSTCODE},
        by=call_handler,
        source="contact page",
    )

    areas = dict(Contact.objects.values_list("pk", "area__code"))
    assert areas[worked.pk] == LEEDS
    assert areas[waiting.pk] == LEEDS
    assert areas[reached.pk] == SHEFFIELD
    assert history(jon)["postcode"][2] == "contact page"


def test_the_open_case_being_worked_follows_its_persons_postcode(held_case, caseworker):
    correct(held_case, caseworker, postcode=LEEDS_POSTCODE)

    held_case.refresh_from_db()
    assert held_case.area.code == LEEDS
    assert not held_case.area_unknown


def test_a_contact_with_its_local_team_is_not_moved(call_handler, jon):
    worked = hold(ContactFactory(person=jon), call_handler)
    with_team = ContactFactory(person=jon)
    item_escalate(item=with_team, reason=Escalation.Reason.UNREACHED)

    person_details_correct(
        person=jon,
        item=worked,
        given={"postcode": LEEDS_POSTCODE},
        by=call_handler,
        source="contact page",
    )

    with_team.refresh_from_db()
    assert with_team.area.code == SHEFFIELD


def test_a_name_change_that_makes_them_look_like_another_record_lists_the_pair(
    held_case, caseworker, jon
):
    # Another record of a Jon Barker born on 14 June 1985 (a second result, say).
    other = barker(
        first_name="Jon",
        date_of_birth=dt.date(1985, 6, 14),
        phone="+447911000111",
        email="",
        postcode="S1 1AA",
    )

    done = correct(
        held_case, caseworker, first_name="Jon", date_of_birth=dt.date(1985, 6, 14)
    )

    pair = PossibleDuplicate.objects.get()
    assert {pair.person_a_id, pair.person_b_id} == {jon.pk, other.pk}
    assert pair.status == PossibleDuplicate.Status.OPEN
    assert "supervisor" in done.said
    # Nobody is merged: both records stand.
    assert not Person.objects.filter(merged_into__isnull=False).exists()


def test_a_withdrawn_case_refuses_its_persons_details(held_case, caseworker, jon):
    withdrawn(held_case)

    with pytest.raises(IllegalTransition) as refused:
        correct(held_case, caseworker, email="new@example.com")

    assert "withdrawn" in str(refused.value)
    jon.refresh_from_db()
    assert jon.email == HELD_EMAIL


def test_a_closed_contact_refuses_its_persons_details(call_handler, jon):
    contact = hold(ContactFactory(person=jon), call_handler)
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.CLOSED, closed_at=timezone.now()
    )
    contact.refresh_from_db()

    with pytest.raises(IllegalTransition) as refused:
        person_details_correct(
            person=jon,
            item=contact,
            given={"email": "new@example.com"},
            by=call_handler,
            source="contact page",
        )

    assert "closed" in str(refused.value)


def test_someone_who_may_not_work_the_item_is_refused(held_case, other_caseworker):
    with pytest.raises(PermissionDenied):
        correct(held_case, other_caseworker, email="new@example.com")

    assert not PersonChange.objects.exists()


def test_a_number_given_to_someone_with_none_sends_their_waiting_items_to_the_phones(
    caseworker,
):
    nobody = barker(phone="", email="")
    case = hold(f.CaseFactory(person=nobody), caseworker)
    # Their contact of another case is due to the local team now, for want of a
    # number to call.
    waiting = ContactFactory(person=nobody, escalate_due_at=timezone.now())

    person_details_correct(
        person=nobody,
        item=case,
        given={"phone": "07911 222333"},
        by=caseworker,
        source="case page",
    )

    waiting.refresh_from_db()
    assert waiting.escalate_due_at > timezone.now()
