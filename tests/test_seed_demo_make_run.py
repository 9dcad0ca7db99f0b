"""`make run`'s demo two hours on: the local teams keep the demo's own escalations
to show, and are not flooded by demo cases nobody had time to call. (Its own
module: it seeds what `make run` seeds, not the smaller demo the other seed tests
share.)"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from escalations.models import Escalation
from ops.demo import DEMO_AREAS
from work.escalation import escalate_unreached


def open_escalations_by_team() -> Counter[str]:
    return Counter(
        Escalation.objects.filter(status=Escalation.Status.NEW).values_list(
            "local_team__code", flat=True
        )
    )


def test_local_teams_are_not_flooded_with_demo_cases_two_hours_after_make_run(db):
    """A reviewer found, two hours after `make run`, every local team's queue grown
    from 5-7 open escalations to 48-52: 174 demo cases no caseworker had had time to
    call waited in the pool dated 22 hours ago, and the sweep escalated them all as
    their 24 hours ran out. Work waiting in the pool came in recently; the local
    teams keep the demo's own escalations to show."""
    call_command("seed_demo", stdout=StringIO())  # what `make run` makes: 300 cases
    now = timezone.now()
    at_seeding = open_escalations_by_team()
    never_called_from_yesterday = Case.objects.filter(
        status=Status.NEW, attempts=0, created_at__lte=now - timedelta(hours=20)
    ).count()

    more = True
    while more:  # the sweep, every five minutes, two hours on
        _, more = escalate_unreached(now=now + timedelta(hours=2, minutes=5))

    later = open_escalations_by_team()
    assert never_called_from_yesterday == 0
    assert len(at_seeding) == len(DEMO_AREAS), at_seeding  # the demo's own to show
    for team, count in later.items():
        assert count <= at_seeding[team] + 5, (team, at_seeding, later)


def test_make_run_calls_at_any_hour_so_the_demo_has_work_due_in_the_evening():
    # The service phones 08:00-20:00; `make run` tried at 21:00 would show every
    # demo case "not due" until the morning. Its demo opens and closes the calling
    # hours at the same time (calls at any hour), for the seed and the app alike.
    import re
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    hours = re.search(r"^DEMO_HOURS = (.*)$", makefile, re.MULTILINE)
    assert hours is not None
    opens = re.search(
        r"CALLING_HOURS_OPEN=\$\$\{CALLING_HOURS_OPEN:-([0-9:]+)\}", hours[1]
    )
    closes = re.search(
        r"CALLING_HOURS_CLOSE=\$\$\{CALLING_HOURS_CLOSE:-([0-9:]+)\}", hours[1]
    )
    assert opens is not None
    assert closes is not None
    assert opens[1] == closes[1]
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "$(DEMO_HOURS)" in run.split("seed_demo")[0].splitlines()[-1]
    assert "$(DEMO_HOURS)" in run.split("run_embedded")[0].splitlines()[-1]
