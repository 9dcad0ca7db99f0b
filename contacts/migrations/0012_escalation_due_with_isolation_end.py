"""The sweep's index of due contacts holds their isolation's end as well.

Each batch of the escalation sweep first closes the due contacts whose isolation is
over (work.escalation.contacts_close_isolation_over), then escalates the rest. With
the due time alone in the index, the first read every due contact's row to find
the few whose isolation is over: some 60-80 ms a batch with 20,000 due, a quarter
of a peak sweep, to find none. With the end date in the index both reads are told
apart within it (0.1 ms for the first). Built CONCURRENTLY, the old one then
dropped the same way, as audit's 0006: the table is written by every call logged.
"""

from importlib import import_module

from django.db import migrations, models

_concurrent = import_module("audit.migrations.0006_keyset_indexes")
AddIndexConcurrently = _concurrent.AddIndexConcurrently
RemoveIndexConcurrently = _concurrent.RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contacts", "0011_taken_from"),
        ("audit", "0006_keyset_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="contact",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "assigned"])),
                fields=["escalate_due_at", "isolation_ends_on"],
                name="contact_escalation_due_ends",
            ),
        ),
        RemoveIndexConcurrently(
            model_name="contact",
            name="contact_escalation_due",
        ),
    ]
