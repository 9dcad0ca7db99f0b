"""Two supervisors of two teams of the same tier confirm the slots for the same gap at
the same moment: the gap is the tier's in England, so the slots are published once.
Before, each team's row was locked, not the tier's gap: both were told the slots were
published, and the day had twice the open slots its gap needed."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from figures import capacity_selectors
from staffing.models import Shift, Tier
from tests import factories as f
from tests.conftest import ensure_ons_areas
from tests.threads import side_by_side

from .conftest import supervisor_of
from .test_pages import (  # noqa: F401 (fixtures)
    TOMORROW,
    _calls_at_any_hour,
    fortnight,
    preview,
    rota_tomorrow,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "rota_tomorrow"),
]


@pytest.fixture(autouse=True)
def _areas(transactional_db):
    ensure_ons_areas()


def test_two_teams_confirming_the_same_gap_at_once_publish_it_once(lead, monkeypatch):
    east_lead = supervisor_of(f.TeamFactory(name="Clinical East", tier=Tier.CLINICAL))
    first = Client()
    first.force_login(lead.user)
    shown = preview(first)
    digest = shown.context["digest"]
    needed = sum(s.count for s in shown.context["slots"])
    assert needed == 4
    # Each works out the gap slowly, so both have it before either publishes.
    worked_out = capacity_selectors.capacity

    def slowly(**kwargs):
        plan = worked_out(**kwargs)
        time.sleep(0.5)
        return plan

    monkeypatch.setattr(capacity_selectors, "capacity", slowly)
    answers: dict[str, tuple[int, str]] = {}

    def confirm(supervisor) -> None:
        client = Client()
        client.force_login(supervisor.user)
        page = preview(client, plan=digest, confirm="1")
        answers[supervisor.team.name] = (page.status_code, page.text)

    errors = side_by_side(lambda: confirm(lead), lambda: confirm(east_lead))

    assert not errors, errors
    codes = sorted(code for code, _ in answers.values())
    # One publishes; the other is told the gap changed, and shown it covered.
    assert codes == [200, 302]
    (told,) = [text for code, text in answers.values() if code == 200]
    assert "The gap has changed" in told
    assert "there is nothing to publish" in told
    open_tomorrow = Shift.objects.filter(
        tier=Tier.CLINICAL,
        status=Shift.Status.OPEN,
        starts_at__date=TOMORROW,
    )
    assert open_tomorrow.count() == needed
    assert open_tomorrow.values("team").distinct().count() == 1
