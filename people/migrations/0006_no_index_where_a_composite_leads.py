import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_phone_field"),
    ]

    # Indexes every intake batch writes and no query reads: person_id alone (the
    # index message_person leads with it) and the LIKE-pattern copy of the unique
    # key (keys are only ever compared whole). Only the indexes are dropped: an
    # AlterField would also drop and re-add the foreign key, checking every row.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="people.person",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "people_message_person_id_58e97a3f"',
                    reverse_sql='CREATE INDEX "people_message_person_id_58e97a3f" '
                    'ON "people_message" ("person_id")',
                ),
            ],
        ),
        migrations.RunSQL(
            'DROP INDEX IF EXISTS "people_message_key_edb66d09_like"',
            # PostgreSQL's alone; undone, it stays away (nothing reads it).
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
