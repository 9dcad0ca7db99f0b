"""The audit trail words an administrator's changes to who someone is (an account
turned off, a move of tier or team, an area given to another local team) and the
work they take back, with the old and new values by name: before, /staff/audit/
said only "Changed user 12", "Changed staff profile 7", "Changed area 3", and an
escalation given back to the team's queue went "to the pool"."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.workitem import Status
from staffing.models import Team, Tier
from staffing.services import account_save, area_save, staff_profile_save
from tests import factories as f
from tests.conftest import ensure_ons_areas
from tests.local_teams.builders import LEEDS, SHEFFIELD, escalated_contact
from work.assignment import release_stranded_work
from work.escalation import escalation_claim, release_escalations_of_leavers

from .conftest import NOW

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
ESCALATION_WORK = (
    "Escalation worked by the local team (the details are for the team and "
    "administrators)"
)


@pytest.fixture(autouse=True)
def ons_areas(db):
    ensure_ons_areas()


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser(
        "admin", "a@example.org", "x", first_name="Ann", last_name="Admin"
    )


def what_is_shown(page) -> list[str]:
    """The "What" column of an audit page, as drawn."""
    assert page.status_code == 200
    cells = re.findall(
        r'aria-hidden="true">What </span>(.*?)</td>', page.content.decode(), re.S
    )
    return [unescape(cell).strip() for cell in cells]


def on_staff_audit(client, user, **query) -> list[str]:
    client.force_login(user)
    return what_is_shown(client.get(reverse("staffing:audit_search"), query))


def on_who_has_seen(client, user, person_id: int) -> list[str]:
    client.force_login(user)
    return what_is_shown(client.get(reverse("staffing:person_audit", args=[person_id])))


def national_supervisor():
    return f.StaffProfileFactory(
        clinical=True, is_supervisor=True, user__username="sup.clinical"
    ).user


# --- an account turned off -------------------------------------------------------


def test_a_leaver_turned_off_reads_with_the_reason_and_the_shifts_ended(
    clock, client, admin
):
    dan = f.StaffProfileFactory(user__first_name="Dan", user__last_name="Evans")
    f.ShiftFactory(staff=dan, starts_at=NOW - 2 * HOUR, ends_at=NOW + 6 * HOUR)
    for days in (1, 2):
        start = NOW + days * DAY - 2 * HOUR
        f.ShiftFactory(staff=dan, starts_at=start, ends_at=start + 8 * HOUR)

    dan.user.is_active = False
    account_save(user=dan.user, by=admin)
    clock.shift(HOUR)
    dan.user.is_active = True
    account_save(user=dan.user, by=admin)
    # Renamed since: the account is named as it is now.
    dan.user.last_name = "Evans-Jones"
    dan.user.save(update_fields=["last_name"])

    shown = on_staff_audit(
        client, admin, object_type="auth.user", object_id=str(dan.user.pk)
    )
    assert shown == [
        "Turned on Dan Evans-Jones's account",
        "Turned off Dan Evans-Jones's account (Left the service): 1 shift ended "
        "early, 2 to come cancelled",
    ]
    # The search is the administrators': a supervisor may not open it.
    client.force_login(national_supervisor())
    assert client.get(reverse("staffing:audit_search")).status_code == 403


def test_an_account_turned_off_with_no_shifts_says_only_why(clock, client, admin):
    cara = f.StaffProfileFactory(user__first_name="Cara", user__last_name="Shaw")

    cara.user.is_active = False
    account_save(user=cara.user, by=admin)

    assert on_staff_audit(
        client, admin, object_type="auth.user", object_id=str(cara.user.pk)
    ) == ["Turned off Cara Shaw's account (Left the service)"]


# --- a move of tier, team or local team ------------------------------------------


def test_a_move_of_tier_and_team_reads_by_the_names_at_the_time(clock, client, admin):
    clinical = f.TeamFactory(name="Clinical North", tier=Tier.CLINICAL)
    calls = f.TeamFactory(name="Calls North", tier=Tier.CALL_HANDLER)
    ada = f.StaffProfileFactory(
        clinical=True, team=clinical, user__first_name="Ada", user__last_name="Hughes"
    )

    ada.tier, ada.team = Tier.CALL_HANDLER, calls
    staff_profile_save(profile=ada, by=admin)
    # Both teams renamed since: the event still reads as it was.
    Team.objects.filter(pk=clinical.pk).update(name="Clinical South")
    Team.objects.filter(pk=calls.pk).update(name="Calls South")

    assert on_staff_audit(
        client, admin, object_type="staffing.staffprofile", object_id=str(ada.pk)
    ) == [
        "Moved Ada Hughes from tier 2 (clinical caseworker) to tier 3 (call handler) "
        "and from team Clinical North to team Calls North; a new starter in the new tier"
    ]


def test_a_move_to_a_local_team_as_its_supervisor_reads_in_full(clock, client, admin):
    member = f.StaffProfileFactory(
        team__name="Calls North",
        organisation__name="Serco",
        user__first_name="Bea",
        user__last_name="Khan",
    )
    sheffield = f.area(SHEFFIELD).local_team
    council = f.OrganisationFactory(name="Sheffield City Council")

    member.tier, member.team, member.local_team = Tier.LOCAL, None, sheffield
    member.organisation, member.is_supervisor = council, True
    staff_profile_save(profile=member, by=admin)

    assert on_staff_audit(
        client, admin, object_type="staffing.staffprofile", object_id=str(member.pk)
    ) == [
        "Moved Bea Khan from tier 3 (call handler) to tier 1 (local public health "
        f"team), out of team Calls North, into local team {sheffield.name} and "
        "from organisation Serco to organisation Sheffield City Council; made Bea "
        "Khan a supervisor"
    ]


def test_an_area_given_to_another_local_team_reads_by_both_teams_names(
    clock, client, admin
):
    area = f.area(SHEFFIELD)
    old, new = area.local_team, f.area(LEEDS).local_team
    old_name = old.name

    area.local_team = new
    area_save(area=area, by=admin)
    old.name = "Renamed since"
    old.save(update_fields=["name"])

    assert on_staff_audit(
        client, admin, object_type="areas.area", object_id=str(area.pk)
    ) == [f"Moved area {area.name} from {old_name} to {new.name}"]


# --- the work a move takes back ---------------------------------------------------


def test_a_case_released_after_a_move_of_tier_names_its_holder_and_why(
    clock, client, admin
):
    ada = f.StaffProfileFactory(
        clinical=True, user__first_name="Ada", user__last_name="Hughes"
    )
    f.ShiftFactory(staff=ada, starts_at=NOW - HOUR, ends_at=NOW + 6 * HOUR)
    case = f.CaseFactory(
        status=Status.ASSIGNED, assignee=ada.user, assigned_at=timezone.now()
    )
    ada.tier, ada.team = Tier.CALL_HANDLER, f.TeamFactory(tier=Tier.CALL_HANDLER)
    staff_profile_save(profile=ada, by=admin)

    assert release_stranded_work() == 1

    released = (
        f"Reassigned case {case.pk} from Ada Hughes to the pool "
        "(The holder no longer works in this tier.)"
    )
    assert released in on_staff_audit(client, admin, person=str(case.person_id))
    # A national supervisor sees it on the person's trail too.
    assert released in on_who_has_seen(client, national_supervisor(), case.person_id)


@pytest.mark.parametrize(
    ("leave", "reason"),
    [
        ("deactivated", "The holder's account was deactivated."),
        ("moved to Leeds", "The holder left the team."),
    ],
)
def test_an_escalation_given_back_reads_to_the_teams_queue(
    clock, client, admin, leave, reason
):
    imran = f.StaffProfileFactory(
        local=True,
        local_team=f.area(SHEFFIELD).local_team,
        user__first_name="Imran",
        user__last_name="Butt",
    )
    escalation = escalation_claim(escalation=escalated_contact(), by=imran.user)
    if leave == "deactivated":
        imran.user.is_active = False
        account_save(user=imran.user, by=admin)
    else:
        imran.local_team = f.area(LEEDS).local_team
        staff_profile_save(profile=imran, by=admin)

    assert release_escalations_of_leavers() == 1

    person = escalation.contact.person_id
    given_back = (
        f"Reassigned the escalation of contact {escalation.contact_id} from Imran "
        f"Butt to the team's queue ({reason})"
    )
    assert given_back in on_staff_audit(client, admin, person=str(person))
    # A national supervisor sees that the local team's escalation was worked, not
    # who held it (docs/access.md).
    seen = on_who_has_seen(client, national_supervisor(), person)
    assert given_back not in seen
    assert not any("Imran Butt" in what for what in seen)
    assert ESCALATION_WORK in seen


def test_a_weekly_hours_cap_changed_reads_from_to_and_why(clock, client, admin):
    from staffing.services import hours_cap_change

    lead = f.StaffProfileFactory(is_supervisor=True)
    hal = f.StaffProfileFactory(
        team=lead.team, user__first_name="Hal", user__last_name="Moss"
    )
    hours_cap_change(profile=hal, new_cap=30, reason="Back to part time", by=lead.user)

    assert on_staff_audit(
        client, admin, object_type="staffing.staffprofile", object_id=str(hal.pk)
    ) == ["Changed Hal Moss's weekly hours cap from 42 to 30 hours: Back to part time"]
