"""People and a clock for the supervisor and staffing tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from staffing.models import StaffProfile, Team, Tier, TrainingCompletion, TrainingModule
from tests import factories as f

LONDON = ZoneInfo("Europe/London")
# A Wednesday in winter (GMT), mid-morning.
NOW = dt.datetime(2026, 1, 14, 10, 0, tzinfo=LONDON)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def next_monday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


def supervisor_of(team, **kwargs) -> StaffProfile:
    """A supervisor of the team, of its tier and organisation."""
    return f.StaffProfileFactory(
        tier=team.tier,
        clinical=team.tier == 2,
        is_supervisor=True,
        team=team,
        organisation=team.organisation,
        **kwargs,
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every factory user gets a password; the real hasher costs ~0.3 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(items):
    """The supervisors' tests run on a Wednesday of 2026 (their weeks and rotas are
    written for it): the one clock (tests/conftest.py) starts there for them."""
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.now(NOW))


@pytest.fixture
def clinical_team(db) -> Team:
    return f.TeamFactory(name="Clinical North", tier=Tier.CLINICAL)


@pytest.fixture
def calls_team(db) -> Team:
    return f.TeamFactory(name="Calls North", tier=Tier.CALL_HANDLER)


@pytest.fixture
def lead(clinical_team) -> StaffProfile:
    """The clinical team's supervisor (not on shift)."""
    return f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        team=clinical_team,
        organisation=clinical_team.organisation,
        user__username="lead",
        user__first_name="Lena",
        user__last_name="Lead",
    )


@pytest.fixture
def calls_lead(calls_team) -> StaffProfile:
    return f.StaffProfileFactory(
        is_supervisor=True,
        team=calls_team,
        organisation=calls_team.organisation,
        user__username="calls_lead",
    )


def member(team: Team, *, on_shift: bool = True, **kwargs) -> StaffProfile:
    """A trained team member (a verified caseworker in a clinical team), on shift now."""
    if team.tier == Tier.CLINICAL:
        kwargs.setdefault("clinical", True)
    profile = f.StaffProfileFactory(
        team=team, organisation=team.organisation, tier=team.tier, **kwargs
    )
    for module in TrainingModule.objects.filter(tier=team.tier):
        TrainingCompletion.objects.get_or_create(
            profile=profile, module=module, defaults={"completed_on": NOW.date()}
        )
    if on_shift:
        f.ShiftFactory(staff=profile)
    return profile
