"""The staff profile rules the admin keeps: a profile is never deleted (a leaver's
account is turned off, which gives back their work and is audited); the hours cap
action changes everyone it can and names those already at that cap; and a member
is only ever in a team of their own tier.

Before, deleting a local team member's profile left the escalation they had picked
up theirs for good, unaudited, with their hours cap history and training gone; a
cap set for three people was refused whole when one already had it; and a call
handler could be put in a clinical team (his shifts cancelled, on the clinical
supervisor's dashboard)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from escalations.models import Escalation
from staffing.models import (
    HoursCapChange,
    Shift,
    StaffProfile,
    Team,
    Tier,
    TrainingCompletion,
)
from staffing.services import StaffingRefused, staff_profile_save, team_save
from tests import factories as f
from tests.admin.test_staff_changes_audited import _FormAsSent, save_in_admin
from tests.conftest import ensure_ons_areas
from tests.local_teams.builders import SHEFFIELD, escalated_contact
from work.escalation import escalation_claim, release_escalations_of_leavers

pytestmark = pytest.mark.django_db

PROFILES = reverse("admin:staffing_staffprofile_changelist")


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "a@example.org", "x")


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def delete_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])


def post_change_form(client, obj, **changes):
    """The object's change form as drawn, with the fields given changed, saved as a
    browser sends it: the admin's answer."""
    url = change_url(obj)
    form = _FormAsSent(f"{obj._meta.model_name}_form")
    form.feed(client.get(url).content.decode())
    data: dict[str, list[str]] = defaultdict(list, form.data)
    for name, value in changes.items():
        data[name] = [str(value)]
    data["_save"] = ["Save"]
    return client.post(url, dict(data))


def messages_of(answer) -> list[str]:
    return [str(m) for m in get_messages(answer.wsgi_request)]


# --- a profile is never deleted: a leaver's account is turned off -------------------


@pytest.fixture
def imran(db):
    """A member of Sheffield's public health team with an escalation picked up, a
    cap changed once and a module done."""
    ensure_ons_areas()
    imran = f.StaffProfileFactory(
        local=True,
        local_team=f.area(SHEFFIELD).local_team,
        user__username="local.imran",
        user__first_name="Imran",
        user__last_name="Butt",
    )
    f.HoursCapChangeFactory(profile=imran)
    f.TrainingCompletionFactory(profile=imran, module__tier=Tier.LOCAL)
    escalation_claim(escalation=escalated_contact(), by=imran.user)
    return imran


def test_a_profiles_page_offers_no_delete_and_says_to_turn_the_account_off(
    admin_client, imran
):
    page = admin_client.get(change_url(imran))

    assert page.status_code == 200
    html = page.content.decode()
    assert delete_url(imran) not in html
    assert "Staff profiles are not deleted" in html
    assert "turn their account off" in html
    assert f'href="{change_url(imran.user)}"' in html


def test_a_profile_cannot_be_deleted_and_keeps_its_history(admin_client, imran):
    assert admin_client.get(delete_url(imran)).status_code == 403
    assert admin_client.post(delete_url(imran), {"post": "yes"}).status_code == 403

    assert StaffProfile.objects.filter(pk=imran.pk).exists()
    assert HoursCapChange.objects.filter(profile=imran).count() == 1
    assert TrainingCompletion.objects.filter(profile=imran).count() == 1
    escalation = Escalation.objects.get(picked_up_by=imran.user)
    assert escalation.status == Escalation.Status.PICKED_UP
    assert admin_client.get("/local/").status_code == 200  # the admin's own view
    admin_client.force_login(imran.user)
    assert admin_client.get("/local/").status_code == 200


def test_the_list_deletes_none_of_the_selected_and_says_why(admin_client, imran):
    page = admin_client.get(PROFILES)
    assert 'value="delete_selected"' not in page.content.decode()

    deleted = admin_client.post(
        PROFILES,
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [imran.pk], "post": "yes"},
    )
    asked = admin_client.post(
        PROFILES, {"action": "not_deleted", ACTION_CHECKBOX_NAME: [imran.pk]}
    )

    assert deleted.status_code == 302
    assert StaffProfile.objects.filter(pk=imran.pk).exists()
    assert HoursCapChange.objects.filter(profile=imran).count() == 1
    said = messages_of(asked)[-1]
    assert said.startswith("Staff profiles are not deleted. For someone who has left")
    assert f'<a href="{change_url(imran.user)}">Imran Butt</a>' in said


def test_deleting_a_members_account_is_refused_too(admin_client):
    """Deleting the account would take the profile and its training with it
    (nothing else held them: no work, no cap change, no audit row of theirs)."""
    bea = f.StaffProfileFactory(user__username="handler.bea")
    f.TrainingCompletionFactory(profile=bea)

    page = admin_client.get(delete_url(bea.user))
    assert "Cannot delete user" in page.content.decode()
    admin_client.post(delete_url(bea.user), {"post": "yes"})

    assert StaffProfile.objects.filter(pk=bea.pk).exists()
    assert TrainingCompletion.objects.filter(profile=bea).count() == 1


def test_the_leaver_route_offered_gives_their_escalation_back(admin_client, imran):
    save_in_admin(admin_client, imran.user, is_active=None)

    assert release_escalations_of_leavers() == 1
    escalation = Escalation.objects.get(contact__isnull=False)
    assert (escalation.status, escalation.picked_up_by) == (
        Escalation.Status.NEW,
        None,
    )


# --- the hours cap for several people --------------------------------------------------


def change_caps(client, profiles, new_cap: int, reason: str = "Surge"):
    return client.post(
        PROFILES,
        {
            "action": "change_hours_cap",
            ACTION_CHECKBOX_NAME: [p.pk for p in profiles],
            "apply": "1",
            "new_cap": str(new_cap),
            "reason": reason,
        },
    )


def handler(first: str, last: str, cap: int = 42) -> StaffProfile:
    return f.StaffProfileFactory(
        user__first_name=first, user__last_name=last, weekly_hours_cap=cap
    )


def test_a_cap_set_for_several_changes_the_others_and_names_who_had_it(admin_client):
    dan, ewa, fay = (
        handler("Dan", "Evans"),
        handler("Ewa", "Nowak", 50),
        handler("Fay", "Li"),
    )

    answer = change_caps(admin_client, [dan, ewa, fay], 50)

    assert answer.status_code == 302
    assert messages_of(answer) == [
        "Weekly cap set to 50 hours for 2. Ewa Nowak already had a cap of 50 "
        "hours: unchanged."
    ]
    caps = dict(
        StaffProfile.objects.values_list("user__first_name", "weekly_hours_cap")
    )
    assert caps == {"Dan": 50, "Ewa": 50, "Fay": 50}
    assert set(HoursCapChange.objects.values_list("profile_id", flat=True)) == {
        dan.pk,
        fay.pk,
    }


def test_a_cap_everyone_chosen_already_has_is_refused_naming_them(admin_client):
    dan, ewa = handler("Dan", "Evans", 50), handler("Ewa", "Nowak", 50)

    answer = change_caps(admin_client, [dan, ewa], 50)

    assert answer.status_code == 200
    assert answer.context["form"].non_field_errors() == [
        "Dan Evans and Ewa Nowak already have a cap of 50 hours: nothing was changed."
    ]
    assert not HoursCapChange.objects.exists()


# --- a member in a team of their tier only ---------------------------------------------


@pytest.fixture
def hal():
    """A call handler in Calls North with a shift booked for tomorrow."""
    calls = f.TeamFactory(name="Calls North", tier=Tier.CALL_HANDLER)
    hal = f.StaffProfileFactory(
        team=calls, user__first_name="Hal", user__last_name="Moss"
    )
    f.ShiftFactory(staff=hal)
    return hal


@pytest.fixture
def clinical_north():
    return f.TeamFactory(name="Clinical North", tier=Tier.CLINICAL)


def test_the_admin_refuses_a_team_of_another_tier_on_the_team_field(
    admin_client, hal, clinical_north
):
    answer = post_change_form(admin_client, hal, team=clinical_north.pk)

    assert answer.status_code == 200
    assert answer.context["adminform"].form.errors["team"] == [
        "Clinical North is a team of tier 2 (clinical caseworker): a member of "
        "tier 3 (call handler) cannot be in it. Choose a team of their tier."
    ]
    hal.refresh_from_db()
    assert hal.team.name == "Calls North"
    assert Shift.objects.filter(staff=hal, status=Shift.Status.BOOKED).count() == 1


def test_the_admin_refuses_a_tier_the_team_is_not(admin_client, hal):
    answer = post_change_form(admin_client, hal, tier=Tier.CLINICAL)

    assert answer.status_code == 200
    assert answer.context["adminform"].form.errors["team"] == [
        "Calls North is a team of tier 3 (call handler): a member of tier 2 "
        "(clinical caseworker) cannot be in it. Choose a team of their tier."
    ]
    assert StaffProfile.objects.get(pk=hal.pk).tier == Tier.CALL_HANDLER


def test_the_service_refuses_a_team_of_another_tier(admin, hal, clinical_north):
    hal.team = clinical_north

    with pytest.raises(StaffingRefused, match="Clinical North is a team of tier 2"):
        staff_profile_save(profile=hal, by=admin)

    assert StaffProfile.objects.get(pk=hal.pk).team.name == "Calls North"
    assert Shift.objects.filter(staff=hal, status=Shift.Status.BOOKED).count() == 1


def test_a_move_of_tier_and_team_together_is_saved(admin_client, hal, clinical_north):
    answer = post_change_form(
        admin_client, hal, tier=Tier.CLINICAL, team=clinical_north.pk
    )

    assert answer.status_code == 302
    hal.refresh_from_db()
    assert (hal.tier, hal.team) == (Tier.CLINICAL, clinical_north)


def test_a_teams_tier_cannot_change_while_it_has_members(admin_client, hal):
    answer = post_change_form(admin_client, hal.team, tier=Tier.CLINICAL)

    assert answer.status_code == 200
    assert answer.context["adminform"].form.errors["tier"] == [
        "Calls North has 1 member of tier 3 (call handler): a team's tier cannot "
        "change while it has members. Move them to a team of their tier first, or "
        "make a new team."
    ]
    assert Team.objects.get(pk=hal.team_id).tier == Tier.CALL_HANDLER


def test_the_service_refuses_a_tier_change_of_a_team_with_members(hal):
    team = hal.team
    team.tier = Tier.CLINICAL

    with pytest.raises(StaffingRefused, match="a team's tier cannot change"):
        team_save(team=team)

    assert Team.objects.get(pk=team.pk).tier == Tier.CALL_HANDLER


def test_an_empty_teams_tier_and_any_teams_name_change(admin_client, hal):
    empty = f.TeamFactory(name="Calls South", tier=Tier.CALL_HANDLER)

    assert post_change_form(admin_client, empty, tier=Tier.CLINICAL).status_code == 302
    renamed = post_change_form(admin_client, hal.team, name="Calls North East")
    assert renamed.status_code == 302

    assert Team.objects.get(pk=empty.pk).tier == Tier.CLINICAL
    assert Team.objects.get(pk=hal.team_id).name == "Calls North East"
