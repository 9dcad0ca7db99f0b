"""The escalated contacts indexed by the end of their isolation.

Each batch of the escalation sweep closes the escalations of contacts whose
isolation is over that nobody picked up (work.escalation.
escalations_close_isolation_over). Looked for from the open escalations by due
time, it read every open escalation of the national route to find none on most
batches: the sweep went from 1.02x to 1.3-1.4x its full SQL (bench/assignment.py
--scale 0.1). Read from here, from the oldest end, it stops at today. Built
CONCURRENTLY, as audit's 0006: the table is written by every call logged.
"""

from importlib import import_module

from django.db import migrations, models

_concurrent = import_module("audit.migrations.0006_keyset_indexes")
AddIndexConcurrently = _concurrent.AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contacts", "0012_escalation_due_with_isolation_end"),
        ("audit", "0006_keyset_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="contact",
            index=models.Index(
                condition=models.Q(("status", "escalated")),
                fields=["isolation_ends_on", "id"],
                name="contact_escalated_ends",
            ),
        ),
    ]
