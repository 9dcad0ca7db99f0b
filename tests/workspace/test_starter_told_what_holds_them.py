"""A new starter learns what holds them up before their shift, not on arriving for
it: My work, "Next item" and the home page say which training is still to do (they
record it themselves, on their Training page) and that their registration waits for
their supervisor, whether or not they are on shift. An account signed in before its
staff profile exists is told so the same way on every page, and who sets it up."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from staffing.models import Tier
from tests import factories as f
from tests.workspace.conftest import CaseFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def required_modules(*names: str, tier: int = Tier.CLINICAL) -> None:
    for name in names:
        f.TrainingModuleFactory(name=name, tier=tier, required=True)


def new_starter(**registration):
    """A tier 2 caseworker who has done none of their training, with tomorrow's
    08:00 shift booked and nothing on now."""
    profile = f.StaffProfileFactory(
        clinical=True, signed_off_at=None, user__username="noor", **registration
    )
    tomorrow_eight = (
        timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0) + DAY
    )
    f.ShiftFactory(staff=profile, starts_at=tomorrow_eight)
    return profile


def unverified_starter():
    required_modules("Clinical governance", "Infection control", "Safeguarding")
    return new_starter(registration_verified_on=None)


def page(client, name: str) -> str:
    return client.get(reverse(name)).content.decode()


def empty_queue_card(html: str) -> str:
    start = html.index("Your queue is empty")
    return html[start : html.index("</div>", start)]


# --- Before the shift: My work and Next item ---------------------------------------


def test_my_work_before_the_shift_says_the_training_and_registration_hold_them(
    client,
):
    client.force_login(unverified_starter().user)

    html = page(client, "cases:queue")

    assert 'data-reason="not_ready"' in html
    assert "You are not on shift now." in html
    assert "Before you can be given work:" in html
    assert "your required training is not done (Clinical governance and 2 more)" in (
        html
    )
    assert "your registration is not verified" in html
    # Each says who puts it right: the starter records training themselves.
    assert "Record your training yourself on your Training page." in html
    assert "Ask your supervisor to verify your registration." in html
    assert "put it right" not in html


def test_next_item_before_the_shift_says_the_same_and_takes_nothing(client):
    client.force_login(unverified_starter().user)
    waiting = CaseFactory()

    response = client.post(reverse("cases:next"), follow=True)

    html = response.content.decode()
    assert "You are not on shift now." in html
    assert "your registration is not verified" in html
    assert "Record your training yourself on your Training page." in html
    assert "Ask your supervisor to verify your registration." in html
    waiting.refresh_from_db()
    assert waiting.assignee is None


def test_a_ready_person_off_shift_is_told_only_about_the_shift(client):
    profile = new_starter()
    client.force_login(profile.user)

    html = page(client, "cases:queue")

    assert 'data-reason="off_shift"' in html
    assert "Work is handed out only to people on a booked shift." in html
    assert "Before you can be given work" not in html


def test_an_expired_registration_is_for_the_supervisor_to_verify_again(client):
    last_week = timezone.localdate() - 7 * DAY
    profile = new_starter(registration_expires_on=last_week)
    client.force_login(profile.user)

    html = page(client, "cases:queue")

    assert f"your registration expired on {last_week:%-d %B}" in html
    assert "Ask your supervisor to verify your renewed registration." in html
    assert "Record your training" not in html


def test_on_shift_only_training_due_names_no_supervisor(client):
    required_modules("Safeguarding basics", tier=Tier.CALL_HANDLER)
    handler = f.StaffProfileFactory()
    f.ShiftFactory(staff=handler)
    client.force_login(handler.user)

    html = page(client, "cases:queue")

    assert "You cannot be given work: your required training is not done" in html
    assert "Record your training yourself on your Training page." in html
    assert "supervisor" not in empty_queue_card(html)


# --- The home page ------------------------------------------------------------------


def test_home_lists_what_holds_a_starter_up_with_a_link_to_their_training(client):
    client.force_login(unverified_starter().user)

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Before you can be given work" in html
    assert "Your required training is not done (Clinical governance and 2 more)" in (
        html
    )
    assert f'href="{reverse("staffing:my_training")}"' in html
    assert "Your registration is not verified" in html
    assert "Ask your supervisor to verify your registration." in html
    assert f'href="{reverse("cases:queue")}"' in html


def test_home_still_takes_a_ready_caseworker_straight_to_their_queue(
    client, caseworker
):
    client.force_login(caseworker)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:queue")


# --- Signed in before the profile exists --------------------------------------------

NO_PROFILE = "Your account has no staff profile yet"
WHO_SETS_IT_UP = "An administrator sets staff profiles up"


def test_no_profile_yet_says_the_same_on_home_and_my_work(client, outsider):
    client.force_login(outsider)

    home, work = client.get("/").content.decode(), page(client, "cases:queue")

    for html in (home, work):
        assert NO_PROFILE in html
        assert WHO_SETS_IT_UP in html
        assert "your supervisor can ask one" in html
        assert "ask a supervisor to set one up" not in html
    assert "Your role has no call queue" not in work


def test_a_local_team_member_is_told_their_work_is_elsewhere(client, local_team_member):
    client.force_login(local_team_member)

    html = page(client, "cases:queue")

    assert 'data-reason="no_queue"' in html
    assert "no staff profile" not in html
    assert "Local public health teams have no call queue" in html


def test_an_administrator_is_not_told_they_lack_a_profile(client):
    admin = f.UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)

    html = page(client, "cases:queue")

    assert "no staff profile" not in html
    assert "Administrators have no call queue" in html
    assert "no staff profile" not in html
    assert "Administrators have no call queue" in html


# --- Their own Training and Shifts pages ---------------------------------------------


@pytest.mark.parametrize("name", ["staffing:my_training", "staffing:my_shifts"])
def test_their_own_training_and_shifts_pages_say_what_holds_them(client, name):
    client.force_login(unverified_starter().user)

    html = page(client, name)

    assert "Before you can be given work" in html
    assert "Your registration is not verified." in html
    assert "Ask your supervisor to verify your registration." in html


def test_a_ready_persons_shifts_page_lists_nothing_holding_them(client, caseworker):
    client.force_login(caseworker)

    assert 'id="not-ready"' not in page(client, "staffing:my_shifts")
