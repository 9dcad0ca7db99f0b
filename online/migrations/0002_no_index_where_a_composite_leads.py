import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_reached_tier"),
        ("contacts", "0010_reached_tier"),
        ("online", "0001_initial"),
    ]

    # Indexes every intake batch writes and no query reads: case_id and contact_id
    # alone (online_link_case and online_link_contact lead with them) and the
    # LIKE-pattern copy of the unique token hash (only ever compared whole). Only the
    # indexes are dropped: an AlterField would also drop and re-add each foreign key.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="onlinelink",
                    name="case",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="online_links",
                        to="cases.case",
                    ),
                ),
                migrations.AlterField(
                    model_name="onlinelink",
                    name="contact",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="online_links",
                        to="contacts.contact",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "online_onlinelink_case_id_9fa10054"',
                    reverse_sql='CREATE INDEX "online_onlinelink_case_id_9fa10054" '
                    'ON "online_onlinelink" ("case_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "online_onlinelink_contact_id_a642bd3e"',
                    reverse_sql='CREATE INDEX "online_onlinelink_contact_id_a642bd3e" '
                    'ON "online_onlinelink" ("contact_id")',
                ),
            ],
        ),
        migrations.RunSQL(
            'DROP INDEX IF EXISTS "online_onlinelink_token_hash_27f840c9_like"',
            # PostgreSQL's alone; undone, it stays away (nothing reads it).
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
