"""A contact may be withdrawn (its case's result sent in error: work.withdraw), and
the weekly figures leave such contacts out: the status joins the columns their
covering indexes hold, so their queries stay index-only.

The table holds millions of rows and is written by every call: the new indexes are
built CONCURRENTLY beside the old ones (new names), and the old ones dropped after,
so the figures never lose their index and writes never wait (a non-atomic
migration, as audit's 0006).
"""

from importlib import import_module

from django.conf import settings
from django.db import migrations, models

_concurrent = import_module("audit.migrations.0006_keyset_indexes")
AddIndexConcurrently = _concurrent.AddIndexConcurrently
RemoveIndexConcurrently = _concurrent.RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0006_keyset_indexes"),
        ("areas", "0003_england_only"),
        ("cases", "0013_withdrawn"),
        ("contacts", "0013_escalated_by_isolation_end"),
        ("people", "0012_person_wrong_numbers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="contact",
            name="status",
            field=models.CharField(
                choices=[
                    ("new", "Waiting"),
                    ("assigned", "Assigned"),
                    ("reached", "Reached"),
                    ("completed", "Completed"),
                    ("escalated", "With local team"),
                    ("closed", "Closed"),
                    ("withdrawn", "Withdrawn"),
                ],
                default="new",
                max_length=12,
            ),
        ),
        AddIndexConcurrently(
            model_name="contact",
            index=models.Index(
                fields=["created_at"],
                include=(
                    "area",
                    "status",
                    "person",
                    "reached_at",
                    "reached_route",
                    "reached_tier",
                    "case",
                    "id",
                ),
                name="contact_week_covering",
            ),
        ),
        AddIndexConcurrently(
            model_name="contact",
            index=models.Index(
                fields=["area", "created_at"],
                include=(
                    "status",
                    "person",
                    "reached_at",
                    "reached_route",
                    "reached_tier",
                    "case",
                    "id",
                ),
                name="contact_area_week_covering",
            ),
        ),
        RemoveIndexConcurrently(
            model_name="contact",
            name="contact_created_covering",
        ),
        RemoveIndexConcurrently(
            model_name="contact",
            name="contact_area_created_covering",
        ),
    ]
