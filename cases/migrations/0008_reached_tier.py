"""Each item reached by phone keeps the staffing tier of the caller who reached it
(the weekly figures' split of the national route); items reached before this are
stamped from their first reaching call, as the figures used to look it up."""

from django.db import migrations, models

BACKFILL = """
UPDATE cases_case SET reached_tier = (
    SELECT p.tier
      FROM calls_callattempt k
      JOIN staffing_staffprofile p ON p.user_id = k.caller_id
     WHERE k.case_id = cases_case.id AND k.outcome = 'reached'
     ORDER BY k.started_at, k.id
     LIMIT 1)
 WHERE reached_route = 'national'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0005_no_index_where_a_composite_leads"),
        ("staffing", "0002_admin_date_range_index"),
        ("cases", "0007_no_index_where_a_composite_leads"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="reached_tier",
            field=models.PositiveSmallIntegerField(
                blank=True, editable=False, null=True
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
