"""Each item reached by phone keeps the staffing tier of the caller who reached it
(the weekly figures' split of the national route); items reached before this are
stamped from their first reaching call, as the figures used to look it up."""

from django.conf import settings
from django.db import migrations, models

BACKFILL = """
UPDATE contacts_contact SET reached_tier = (
    SELECT p.tier
      FROM calls_callattempt k
      JOIN staffing_staffprofile p ON p.user_id = k.caller_id
     WHERE k.contact_id = contacts_contact.id AND k.outcome = 'reached'
     ORDER BY k.started_at, k.id
     LIMIT 1)
 WHERE reached_route = 'national'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0005_no_index_where_a_composite_leads"),
        ("staffing", "0002_admin_date_range_index"),
        ("areas", "0002_load_ons_areas"),
        ("cases", "0008_reached_tier"),
        ("contacts", "0009_isolation_changes"),
        ("people", "0004_person_merge"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="contact",
            name="contact_created_covering",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="contact_area_created_covering",
        ),
        migrations.AddField(
            model_name="contact",
            name="reached_tier",
            field=models.PositiveSmallIntegerField(
                blank=True, editable=False, null=True
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["created_at"],
                include=(
                    "area",
                    "person",
                    "reached_at",
                    "reached_route",
                    "reached_tier",
                    "case",
                    "id",
                ),
                name="contact_created_covering",
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["area", "created_at"],
                include=(
                    "person",
                    "reached_at",
                    "reached_route",
                    "reached_tier",
                    "case",
                    "id",
                ),
                name="contact_area_created_covering",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
