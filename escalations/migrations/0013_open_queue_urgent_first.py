"""The open tabs of a team's queue, read in their order: the urgent reasons first,
then soonest due.

The tabs list a safeguarding concern (4 hours to act) and a complex setting (12)
before the rest (escalations.selectors.urgency): ordered by due time alone, a concern
raised in a surge sat below every 24-hour escalation of the backlog already overdue.
The index escalation_queue (team, status, due) cannot give that order, so each page
would join and sort every row of the tab (171 at tests/scale's peak, thousands in a
surge) to show 50. This one holds the urgency after the status, the open rows only,
and a page reads its 50 in order. The CASE is urgency()'s, as it writes it: the
planner matches the query's expression to the index's. Built CONCURRENTLY as audit's
0006: the table is written by every escalation and every pick-up.
"""

from importlib import import_module

from django.db import migrations, models

_concurrent = import_module("audit.migrations.0006_keyset_indexes")
AddIndexConcurrently = _concurrent.AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("escalations", "0012_reopened_escalation"),
        ("audit", "0006_keyset_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="escalation",
            index=models.Index(
                models.F("local_team"),
                models.F("status"),
                models.Case(
                    models.When(reason="safeguarding", then=models.Value(0)),
                    models.When(reason="complex", then=models.Value(1)),
                    default=models.Value(2),
                    output_field=models.IntegerField(),
                ),
                models.F("due_at"),
                models.F("id"),
                condition=models.Q(("status__in", ["new", "picked_up"])),
                name="escalation_open_queue",
            ),
        ),
    ]
