"""Pseudonymisation: identifying fields replaced once every case and contact of a
person has been closed for the days set, and not a day before; held or open people
kept; the weekly figures the same before and after."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from cases.models import CaseDraft, RiskAssessment
from cases.workitem import Route, Status
from escalations.models import Escalation
from figures.weekly import Period, Scope, compute_weekly_figures
from online.models import OnlineLink
from people.models import Message, Person, PersonChange
from retention.models import Pseudonymisation, RetentionAction, Rule
from retention.pseudonymise import MARK, NAME
from retention.services import legal_hold_place, retention_run
from tests import factories as f

from .builders import (
    CLOSED,
    DAY,
    PSEUDONYMISE_DAYS,
    completed_case,
    reached_contact,
    reaching_call,
)

pytestmark = pytest.mark.django_db

DUE = CLOSED + dt.timedelta(days=PSEUDONYMISE_DAYS)


def pseudonymised(person) -> bool:
    return Pseudonymisation.objects.filter(person=person).exists()


def test_person_closed_exactly_the_days_ago_is_pseudonymised(clock):
    contact = reached_contact(person=f.PersonFactory(first_name="Ada"))
    clock.move_to(DUE)

    retention_run()

    person = Person.objects.get(pk=contact.person_id)
    assert person.first_name == NAME
    assert pseudonymised(person)


def test_person_closed_a_day_short_is_left_as_it_was(clock):
    contact = reached_contact(person=f.PersonFactory(first_name="Ada"))
    clock.move_to(DUE - DAY)

    retention_run()

    assert Person.objects.get(pk=contact.person_id).first_name == "Ada"
    assert not pseudonymised(contact.person)


def test_a_legal_hold_stops_pseudonymisation(clock, django_user_model):
    contact = reached_contact(person=f.PersonFactory(first_name="Ada"))
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "x")
    legal_hold_place(person=contact.person, reason="Inquiry", by=admin)
    clock.move_to(DUE + 30 * DAY)

    retention_run()

    assert Person.objects.get(pk=contact.person_id).first_name == "Ada"


def test_an_open_item_stops_pseudonymisation(clock):
    contact = reached_contact(person=f.PersonFactory(first_name="Ada"))
    # The same person named again later, still to be called.
    f.ContactFactory(person=contact.person, created_at=DUE - 2 * DAY)
    clock.move_to(DUE + 30 * DAY)

    retention_run()

    assert Person.objects.get(pk=contact.person_id).first_name == "Ada"


def test_a_case_closed_later_than_the_contact_counts_from_its_own_close(clock):
    contact = reached_contact(person=f.PersonFactory(first_name="Ada"))
    completed_case(CLOSED + 10 * DAY, person=contact.person)
    clock.move_to(DUE)

    retention_run()

    assert not pseudonymised(contact.person)
    clock.move_to(DUE + 10 * DAY)
    retention_run()
    assert pseudonymised(contact.person)


def test_identifying_fields_are_replaced_and_the_rest_kept(clock):
    person = f.PersonFactory(
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=dt.date(1980, 7, 23),
        nhs_number="9434765919",
        phone="+447700900123",
        phone_alt="",
        email="ada@example.org",
        address="12 Acacia Avenue",
        postcode="S1 2HE",
        easting=435000,
        northing=387000,
    )
    case = completed_case(person=person, safeguarding_note="Partner is violent")
    RiskAssessment.objects.create(
        case=case,
        occupation="Nurse at the Royal",
        vulnerabilities="Asthma",
        household_notes="Two children",
        clinical_notes="Mild",
        assessed_by=f.UserFactory(),
        assessed_at=CLOSED,
    )
    call = reaching_call(case)
    f.MessageFactory(
        person=person,
        case=case,
        to="+447700900123",
        body="Ada, isolate",
        status=Message.Status.DELIVERED,
    )
    PersonChange.objects.create(
        person=person,
        field="phone",
        old_value="+447700900999",
        new_value="x",
        at=CLOSED,
    )
    CaseDraft.objects.create(case=case, user=f.UserFactory(), section="assessment")
    clock.move_to(DUE)

    retention_run()

    person.refresh_from_db()
    assert (person.first_name, person.last_name) == (NAME, "")
    assert person.date_of_birth == dt.date(1980, 1, 1)
    assert person.nhs_number == f"{MARK}{person.pk}"
    assert str(person.phone).startswith(MARK)
    assert "7700900123" not in str(person.phone)
    assert person.phone_alt == ""  # empty stays empty
    assert person.email == MARK
    assert (person.address, person.postcode) == ("", "S1")
    assert (person.easting, person.northing) == (None, None)
    assert person.area_id is not None
    case.refresh_from_db()
    assert case.safeguarding_note == ""
    assert case.lab_reference == f"{MARK}{case.pk}"
    assert (case.status, case.reached_route) == (Status.COMPLETED, Route.NATIONAL)
    assessment = RiskAssessment.objects.get(case=case)
    assert (assessment.occupation, assessment.clinical_notes) == ("", "")
    call.refresh_from_db()
    assert (call.phone, call.notes, call.outcome) == ("", "", "reached")
    message = Message.objects.get(person=person)
    assert (message.to, message.body) == ("", "")
    assert not PersonChange.objects.filter(person=person).exists()
    assert not CaseDraft.objects.filter(case=case).exists()


def test_two_people_of_one_phone_keep_one_pseudonym(clock):
    first = reached_contact(person=f.PersonFactory(phone="+447700900555"))
    second = reached_contact(person=f.PersonFactory(phone="+447700900555"))
    other = reached_contact(person=f.PersonFactory(phone="+447700900556"))
    clock.move_to(DUE)

    retention_run()

    phones = {
        c.pk: str(Person.objects.get(pk=c.person_id).phone)
        for c in (first, second, other)
    }
    assert phones[first.pk] == phones[second.pk] != phones[other.pk]


def test_a_person_is_not_kept_for_another_who_shares_their_phone(clock):
    """A family on one landline: the one whose records are all closed long enough
    is pseudonymised, though the other still has an open contact (the figures
    count them as the two people they are)."""
    done = reached_contact(person=f.PersonFactory(phone="+447700900555"))
    kept = f.PersonFactory(phone="+447700900555")
    f.ContactFactory(person=kept, created_at=DUE - DAY)  # still open
    clock.move_to(DUE)

    retention_run()

    assert pseudonymised(done.person)
    assert not pseudonymised(kept)


def test_people_with_no_phone_do_not_wait_for_each_other(clock):
    ready = reached_contact(person=f.PersonFactory(phone=""))
    kept = f.PersonFactory(phone="")
    f.ContactFactory(person=kept, created_at=DUE - DAY)
    clock.move_to(DUE)

    retention_run()

    assert pseudonymised(ready.person)


def test_a_person_with_an_nhs_number_does_not_wait_for_a_shared_phone(clock):
    ready = reached_contact(
        person=f.PersonFactory(phone="+447700900555", nhs_number="9434765919")
    )
    kept = f.PersonFactory(phone="+447700900555")
    f.ContactFactory(person=kept, created_at=DUE - DAY)
    clock.move_to(DUE)

    retention_run()

    assert pseudonymised(ready.person)


def test_a_message_still_to_be_sent_waits(clock):
    contact = reached_contact(person=f.PersonFactory(first_name="Ada"))
    f.MessageFactory(person=contact.person, status=Message.Status.QUEUED)
    clock.move_to(DUE)

    retention_run()

    assert not pseudonymised(contact.person)


def test_escalation_notes_are_blanked(clock):
    contact = reached_contact()
    escalation = f.EscalationFactory(
        contact=contact,
        local_team=contact.area.local_team,
        detail="Door code 1234",
        created_at=CLOSED - DAY,
        closed_at=CLOSED,
        status=Escalation.Status.CLOSED,
        outcome_note="Found at her mother's",
    )
    clock.move_to(DUE)

    retention_run()

    escalation.refresh_from_db()
    assert (escalation.detail, escalation.outcome_note) == ("", "")


def test_a_contacts_note_with_their_online_answer_is_blanked(clock):
    contact = reached_contact()
    link = OnlineLink.objects.create(
        token_hash="a" * 64,
        purpose=OnlineLink.Purpose.CONTACT,
        person=contact.person,
        contact=contact,
        expires_at=CLOSED,
        submitted_at=CLOSED - DAY,
        note="Call after 6pm: my husband answers, he is called Dev",
    )
    clock.move_to(DUE)

    retention_run()

    link.refresh_from_db()
    assert link.note == ""


def test_a_second_run_changes_nothing(clock):
    reached_contact()
    clock.move_to(DUE)
    first = retention_run()
    clock.move_to(DUE + DAY)

    second = retention_run()

    assert RetentionAction.objects.filter(
        run=first, rule=Rule.PSEUDONYMISE, kind="people.person"
    ).exists()
    assert not RetentionAction.objects.filter(
        run=second, rule=Rule.PSEUDONYMISE
    ).exists()


def _figures_week():
    """A week of cases and contacts that exercises what the figures read of a
    person: NHS numbers, one person named by two cases, no details at all, a
    contact who became a case, routes and times."""
    week_day = CLOSED - 3 * DAY  # Saturday 9 January (week of Thursday 7 January)
    caller = f.StaffProfileFactory(clinical=True).user
    cases = [completed_case(week_day + dt.timedelta(hours=h)) for h in (1, 5, 30, 50)]
    no_details = completed_case(
        week_day, person=f.PersonFactory(phone="", phone_alt="", email="")
    )
    no_details_unreached = f.CaseFactory(
        created_at=week_day,
        person=f.PersonFactory(phone="", email=""),
        status=Status.CLOSED,
        closed_at=week_day + 3 * DAY,
    )
    reaching_call(cases[0], caller=caller)
    twice = f.PersonFactory(phone="+447700900777")
    contacts = [
        reached_contact(week_day + dt.timedelta(hours=2), case=cases[0], person=twice),
        reached_contact(week_day + dt.timedelta(hours=40), case=cases[1], person=twice),
        reached_contact(
            week_day + dt.timedelta(hours=3),
            case=cases[2],
            person=f.PersonFactory(nhs_number="9434765919"),
        ),
    ]
    # A contact who became a case two days later (a known contact).
    became = contacts[2].person
    completed_case(
        week_day + 2 * DAY,
        person=became,
        specimen_date=(week_day + DAY).date(),
        result_date=(week_day + 2 * DAY).date(),
    )
    return [*cases, no_details, no_details_unreached], contacts


def _without_time(figures):
    return dataclasses.replace(figures, computed_at=None)


def test_the_weekly_figures_are_the_same_after_pseudonymisation(clock):
    _figures_week()
    clock.move_to(DUE + 10 * DAY)
    period = Period(dt.date(2021, 1, 7))
    team = Scope.team(f.area().local_team)
    before = [
        _without_time(compute_weekly_figures(period=period, scope=scope))
        for scope in (Scope.england(), team)
    ]
    assert before[0].contacts.merged == 1  # the two rows of one person
    assert before[0].cases.not_reached_no_details == 1
    assert before[0].cases.known_contacts == 1

    retention_run()

    assert Pseudonymisation.objects.count() == Person.objects.count()
    after = [
        _without_time(compute_weekly_figures(period=period, scope=scope))
        for scope in (Scope.england(), team)
    ]
    assert after == before
