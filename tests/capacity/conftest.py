"""People for the capacity tests: supervisors of a tier 2 and a tier 3 team."""

from __future__ import annotations

import pytest

from staffing.models import StaffProfile, Team, Tier
from tests import factories as f


def supervisor_of(team: Team, **kwargs) -> StaffProfile:
    return f.StaffProfileFactory(
        tier=team.tier,
        clinical=team.tier == Tier.CLINICAL,
        is_supervisor=True,
        team=team,
        organisation=team.organisation,
        **kwargs,
    )


@pytest.fixture
def clinical_team(db) -> Team:
    return f.TeamFactory(name="Clinical North", tier=Tier.CLINICAL)


@pytest.fixture
def lead(clinical_team) -> StaffProfile:
    """The supervisor of Clinical North (tier 2)."""
    return supervisor_of(clinical_team, user__username="lead")
