"""An index of each object's changes, without its views (audit_object_changes).

A case's page counts the people its online link could not save from the case's
trail; every view of the page writes a view row to that trail, so a case opened ten
thousand times had its page read ten thousand rows to find none. The partial index
holds the rows that are not views. Built CONCURRENTLY on PostgreSQL, as 0006's are:
the table is written by every request.
"""

from importlib import import_module

from django.db import migrations, models

AddIndexConcurrently = import_module(
    "audit.migrations.0006_keyset_indexes"
).AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0006_keyset_indexes")]

    operations = [
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("action", "view"), _negated=True),
                fields=["object_type", "object_id", "-at"],
                name="audit_object_changes",
            ),
        ),
    ]
