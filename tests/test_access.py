"""Who sees which cases and contacts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from work.access.cases import cases_visible_to, get_case_for
from work.access.contacts import contacts_visible_to, get_contact_for

pytestmark = pytest.mark.django_db

SHEFFIELD = "E08000019"
LEEDS = "E08000035"


CaseFactory = f.CaseFactory
ContactFactory = f.ContactFactory


def held_case(user, **kwargs) -> Case:
    return CaseFactory(status=Status.ASSIGNED, assignee=user, **kwargs)


def held_contact(user, **kwargs) -> Contact:
    return ContactFactory(status=Status.ASSIGNED, assignee=user, **kwargs)


def leeds_person():
    return f.PersonFactory(postcode="LS1 4DY", area=f.area(LEEDS))


def visible_cases(user) -> set[int]:
    return set(cases_visible_to(user).values_list("pk", flat=True))


def visible_contacts(user) -> set[int]:
    return set(contacts_visible_to(user).values_list("pk", flat=True))


@pytest.fixture
def other_caseworker(db):
    return f.StaffProfileFactory(clinical=True).user


# --- caseworkers -------------------------------------------------------------------------


def test_caseworker_sees_only_the_cases_they_hold(caseworker, other_caseworker):
    mine = held_case(caseworker)
    held_case(other_caseworker)
    CaseFactory()  # in the pool

    assert visible_cases(caseworker) == {mine.pk}


def test_caseworker_sees_a_reached_case_they_hold(caseworker):
    mine = CaseFactory(status=Status.REACHED, assignee=caseworker)

    assert visible_cases(caseworker) == {mine.pk}


def test_caseworker_sees_the_contacts_of_their_cases_only(
    caseworker, other_caseworker, call_handler
):
    mine = held_case(caseworker)
    theirs = held_case(other_caseworker)
    contact = ContactFactory(case=mine)
    worked = held_contact(call_handler, case=mine)
    ContactFactory(case=theirs)

    assert visible_contacts(caseworker) == {contact.pk, worked.pk}


def test_caseworker_loses_sight_of_a_case_once_it_is_released(caseworker):
    case = held_case(caseworker)
    Case.objects.filter(pk=case.pk).update(status=Status.NEW, assignee=None)

    assert visible_cases(caseworker) == set()


# --- call handlers -----------------------------------------------------------------------


def test_call_handler_sees_no_cases(call_handler, caseworker):
    held_case(caseworker)
    CaseFactory()
    held_case(call_handler)  # even one wrongly given to them

    assert visible_cases(call_handler) == set()


def test_call_handler_sees_only_the_contacts_they_hold(call_handler):
    mine = held_contact(call_handler)
    held_contact(f.StaffProfileFactory().user)
    ContactFactory()  # in the pool

    assert visible_contacts(call_handler) == {mine.pk}


# --- supervisors -------------------------------------------------------------------------


def test_supervisor_sees_every_case(supervisor, caseworker):
    cases = {
        held_case(caseworker).pk,
        CaseFactory().pk,
        CaseFactory(person=leeds_person(), area=f.area(LEEDS)).pk,
        CaseFactory(status=Status.ESCALATED).pk,
    }

    assert visible_cases(supervisor) == cases


def test_supervisor_sees_every_contact(supervisor, call_handler):
    contacts = {held_contact(call_handler).pk, ContactFactory().pk}

    assert visible_contacts(supervisor) == contacts


def test_superuser_without_profile_sees_every_case(caseworker):
    admin = f.UserFactory(is_superuser=True, is_staff=True)
    case = held_case(caseworker)

    assert visible_cases(admin) == {case.pk}


# --- local teams -------------------------------------------------------------------------


def test_local_team_member_sees_the_cases_of_their_teams_areas(local_team_member):
    sheffield = CaseFactory()
    CaseFactory(person=leeds_person(), area=f.area(LEEDS))

    assert visible_cases(local_team_member) == {sheffield.pk}


def test_local_team_member_sees_the_contacts_of_their_teams_areas(local_team_member):
    sheffield = ContactFactory()
    ContactFactory(person=leeds_person(), area=f.area(LEEDS))

    assert visible_contacts(local_team_member) == {sheffield.pk}


def test_local_team_member_sees_an_item_handed_to_their_team(local_team_member):
    team = f.area(SHEFFIELD).local_team
    handed = CaseFactory(
        person=leeds_person(),
        area=f.area(LEEDS),
        status=Status.ESCALATED,
        local_team=team,
    )

    assert visible_cases(local_team_member) == {handed.pk}


def test_local_team_member_of_leeds_does_not_see_sheffield(caseworker):
    leeds_member = f.StaffProfileFactory(
        local=True, local_team=f.area(LEEDS).local_team
    ).user
    held_case(caseworker)
    leeds = CaseFactory(person=leeds_person(), area=f.area(LEEDS))

    assert visible_cases(leeds_member) == {leeds.pk}


def test_local_team_member_does_not_see_unknown_area_items(local_team_member):
    CaseFactory(area=None, area_unknown=True)

    assert visible_cases(local_team_member) == set()


# --- nobody ------------------------------------------------------------------------------


def test_outsider_without_profile_sees_nothing(outsider, caseworker):
    held_case(caseworker)
    ContactFactory()

    assert visible_cases(outsider) == set()
    assert visible_contacts(outsider) == set()


def test_inactive_supervisor_sees_nothing(supervisor):
    CaseFactory()
    supervisor.is_active = False
    supervisor.save(update_fields=["is_active"])

    assert visible_cases(supervisor) == set()


def test_anonymous_user_sees_nothing():
    CaseFactory()
    ContactFactory()

    assert visible_cases(AnonymousUser()) == set()
    assert visible_contacts(AnonymousUser()) == set()


def test_visible_cases_narrow_further_like_any_queryset(caseworker, other_caseworker):
    mine = held_case(caseworker)
    held_case(caseworker)
    theirs = held_case(other_caseworker)

    scoped = cases_visible_to(caseworker).filter(pk__in=[mine.pk, theirs.pk])

    assert list(scoped) == [mine]


# --- one item --------------------------------------------------------------------------


def test_get_case_for_user_returns_their_own_case(caseworker):
    case = held_case(caseworker)

    assert get_case_for(caseworker, case.pk) == case


def test_get_case_for_user_raises_404_for_another_caseworkers_case(
    caseworker, other_caseworker
):
    case = held_case(other_caseworker)

    with pytest.raises(Http404):
        get_case_for(caseworker, case.pk)


def test_get_case_for_user_raises_404_for_an_outsider(outsider, caseworker):
    case = held_case(caseworker)

    with pytest.raises(Http404):
        get_case_for(outsider, case.pk)


def test_get_case_for_user_raises_404_for_a_missing_case(supervisor):
    with pytest.raises(Http404):
        get_case_for(supervisor, 999_999)


def test_get_case_for_user_raises_404_for_a_call_handler(call_handler, caseworker):
    case = held_case(caseworker)
    ContactFactory(case=case, status=Status.ASSIGNED, assignee=call_handler)

    with pytest.raises(Http404):
        get_case_for(call_handler, case.pk)


def test_get_contact_for_user_raises_404_for_another_handlers_contact(call_handler):
    contact = held_contact(f.StaffProfileFactory().user)

    with pytest.raises(Http404):
        get_contact_for(call_handler, contact.pk)


def test_get_contact_for_user_returns_their_own_contact(call_handler):
    contact = held_contact(call_handler)

    assert get_contact_for(call_handler, contact.pk) == contact
