"""Purge: whole records deleted once closed for their days (contacts, then cases,
then people with nothing left), and not a day before; held or open people kept.
A record goes on the day a warning a week before told its local team of (the
`warned` run), so each test here has that run before the one it checks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from calls.models import CallAttempt
from cases.models import Case, ExposureSetting, SettingKind
from cases.workitem import Status
from contacts.models import Contact, Exposure
from escalations.models import Escalation, EscalationAction
from figures.weekly import Period, Scope, compute_weekly_figures
from people.models import Message, Person
from retention.models import PurgeWarning, RetentionAction, Rule
from retention.services import legal_hold_place, retention_run
from tests import factories as f

from .builders import (
    AUDIT_DAYS,
    CLOSED,
    DAY,
    PURGE_CASES_DAYS,
    PURGE_CONTACTS_DAYS,
    completed_case,
    reached_contact,
    reaching_call,
)

pytestmark = pytest.mark.django_db

CONTACTS_DUE = CLOSED + dt.timedelta(days=PURGE_CONTACTS_DAYS)
CASES_DUE = CLOSED + dt.timedelta(days=PURGE_CASES_DAYS)


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "a@example.org", "x")


def test_a_contact_closed_exactly_the_days_ago_is_purged_with_its_calls(clock, warned):
    contact = reached_contact()
    call = reaching_call(contact)
    message = f.MessageFactory(
        person=contact.person, contact=contact, status=Message.Status.DELIVERED
    )
    warned(CONTACTS_DUE)
    assert Contact.objects.filter(pk=contact.pk).exists()
    warning = PurgeWarning.objects.get()
    assert (warning.purge_on, warning.contacts) == (CONTACTS_DUE.date(), 1)
    clock.move_to(CONTACTS_DUE)

    run = retention_run()

    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not CallAttempt.objects.filter(pk=call.pk).exists()
    assert not Message.objects.filter(pk=message.pk).exists()
    assert Case.objects.filter(pk=contact.case_id).exists()  # kept for 8 years
    counts = dict(
        RetentionAction.objects.filter(run=run, rule=Rule.PURGE_CONTACTS).values_list(
            "kind", "count"
        )
    )
    assert counts == {
        "contacts.contact": 1,
        "calls.callattempt": 1,
        "people.message": 1,
    }


def test_a_contact_closed_a_day_short_is_kept(clock, warned):
    contact = reached_contact()
    warned(CONTACTS_DUE)
    clock.move_to(CONTACTS_DUE - DAY)

    retention_run()

    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_case_closed_exactly_the_days_ago_is_purged(clock, warned):
    case = completed_case()
    visit = f.SettingVisitFactory(case=case)
    warned(CASES_DUE)
    assert Case.objects.filter(pk=case.pk).exists()
    warning = PurgeWarning.objects.get()
    assert (warning.purge_on, warning.cases) == (CASES_DUE.date(), 1)
    clock.move_to(CASES_DUE)

    retention_run()

    assert not Case.objects.filter(pk=case.pk).exists()
    # Its setting, visited by nobody else, goes after it.
    assert not ExposureSetting.objects.filter(pk=visit.setting_id).exists()


def test_a_case_closed_a_day_short_is_kept(clock, warned):
    case = completed_case()
    warned(CASES_DUE)
    clock.move_to(CASES_DUE - DAY)

    retention_run()

    assert Case.objects.filter(pk=case.pk).exists()


def test_a_case_waits_for_a_contact_still_kept(clock, warned, admin):
    contact = reached_contact()
    legal_hold_place(person=contact.person, reason="Inquest", by=admin)
    warned(CASES_DUE)
    clock.move_to(CASES_DUE)

    retention_run()

    assert Contact.objects.filter(pk=contact.pk).exists()
    assert Case.objects.filter(pk=contact.case_id).exists()


def test_a_held_case_keeps_the_contacts_it_named(clock, warned, admin):
    """A hold keeps the case's record whole: before, the case was kept and the
    people it named were purged from under it."""
    case = completed_case()
    named = [reached_contact(case=case) for _ in range(3)]
    joined = reached_contact()  # another case's contact this one named too
    Exposure.objects.create(
        contact=joined,
        case=case,
        exposure_date=joined.exposure_date,
        exposure=joined.exposure,
        created_at=CLOSED - DAY,
    )
    unrelated = reached_contact()
    legal_hold_place(person=case.person, reason="Inquest", by=admin)
    warned(CONTACTS_DUE)
    assert Contact.objects.filter(pk=unrelated.pk).exists()
    clock.move_to(CONTACTS_DUE)

    retention_run()

    assert Contact.objects.filter(pk__in=[c.pk for c in named]).count() == 3
    assert Contact.objects.filter(pk=joined.pk).exists()
    assert not Contact.objects.filter(pk=unrelated.pk).exists()


def test_a_legal_hold_stops_the_purge(clock, warned, admin):
    case = completed_case()
    warned(CASES_DUE + 100 * DAY)
    assert PurgeWarning.objects.get().cases == 1  # told of before the hold came
    legal_hold_place(person=case.person, reason="Inquest", by=admin)
    clock.move_to(CASES_DUE + 100 * DAY)

    retention_run()

    assert Case.objects.filter(pk=case.pk).exists()
    assert Person.objects.filter(pk=case.person_id).exists()


def test_an_open_item_stops_the_purge(clock, warned):
    contact = reached_contact()
    warned(CONTACTS_DUE)
    assert PurgeWarning.objects.get().contacts == 1
    # Named again years later (after the warning), and still to be called.
    f.ContactFactory(person=contact.person, created_at=CONTACTS_DUE - DAY)
    clock.move_to(CONTACTS_DUE)

    retention_run()

    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_contact_named_again_counts_from_the_later_naming(clock, warned):
    contact = reached_contact()
    Exposure.objects.create(
        contact=contact,
        case=completed_case(),
        exposure_date=CLOSED.date(),
        exposure="household",
        created_at=CLOSED + 3 * DAY,
    )
    # The week's warning before the later day covers the first day too.
    warned(CONTACTS_DUE + 3 * DAY)
    clock.move_to(CONTACTS_DUE)

    retention_run()

    assert Contact.objects.filter(pk=contact.pk).exists()
    clock.move_to(CONTACTS_DUE + 3 * DAY)
    retention_run()
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_escalations_and_their_actions_go_with_the_contact(clock, warned):
    contact = reached_contact(status=Status.CLOSED, closed_at=CLOSED)
    escalation = f.EscalationFactory(
        contact=contact,
        local_team=contact.area.local_team,
        created_at=CLOSED - DAY,
        status=Escalation.Status.CLOSED,
        closed_at=CLOSED,
    )
    action = f.EscalationActionFactory(escalation=escalation, at=CLOSED - DAY)
    warned(CONTACTS_DUE)
    assert Escalation.objects.filter(pk=escalation.pk).exists()
    clock.move_to(CONTACTS_DUE)

    retention_run()

    assert not Escalation.objects.filter(pk=escalation.pk).exists()
    assert not EscalationAction.objects.filter(pk=action.pk).exists()


def test_a_person_goes_once_nothing_refers_to_them(clock, warned):
    case = completed_case()
    AuditEvent.objects.create(
        at=CLOSED,
        action=AuditEvent.Action.VIEW,
        person=case.person,
        object_type="cases.case",
        object_id=str(case.pk),
    )
    warned(CASES_DUE)
    assert Case.objects.filter(pk=case.pk).exists()
    clock.move_to(CASES_DUE)
    retention_run()
    # The case has gone; the audit event about them keeps the (pseudonymised) row.
    assert not Case.objects.filter(pk=case.pk).exists()
    assert Person.objects.filter(pk=case.person_id).exists()

    clock.move_to(CLOSED + dt.timedelta(days=AUDIT_DAYS))
    retention_run()

    assert not AuditEvent.objects.filter(person_id=case.person_id).exists()
    assert not Person.objects.filter(pk=case.person_id).exists()


def test_a_person_merged_into_another_goes_with_it(clock, warned, admin):
    case = completed_case()
    merged = f.PersonFactory(merged_into=case.person)
    warned(CASES_DUE)
    assert Person.objects.filter(pk__in=[case.person_id, merged.pk]).count() == 2
    clock.move_to(CASES_DUE)

    retention_run()

    assert not Person.objects.filter(pk__in=[case.person_id, merged.pk]).exists()


def test_a_household_setting_visited_by_others_stays(clock, warned):
    case = completed_case()
    setting = f.ExposureSettingFactory(kind=SettingKind.HOUSEHOLD)
    f.SettingVisitFactory(case=case, setting=setting)
    f.SettingVisitFactory(case=f.CaseFactory(), setting=setting)
    warned(CASES_DUE)
    clock.move_to(CASES_DUE)

    retention_run()

    assert not Case.objects.filter(pk=case.pk).exists()
    assert ExposureSetting.objects.filter(pk=setting.pk).exists()


def test_the_figures_page_still_shows_a_purged_week(clock, warned, client, admin):
    contact = reached_contact()
    warned(CONTACTS_DUE)
    assert Contact.objects.filter(pk=contact.pk).exists()
    clock.move_to(CONTACTS_DUE)
    retention_run()
    assert not Contact.objects.filter(pk=contact.pk).exists()
    client.force_login(admin)

    response = client.get(reverse("figures:weekly"), {"week": "2021-01-07"})

    assert response.status_code == 200
    figures = compute_weekly_figures(
        period=Period(dt.date(2021, 1, 7)), scope=Scope.england()
    )
    assert (figures.cases.transferred, figures.contacts.identified) == (1, 0)
