"""Indexes for reading the trail newest first by keyset (at, id): all of it, by
object, by action. (By person and by user already have theirs, which also serve the
two foreign keys: the keys' own single-column indexes are dropped, one less index to
write on every insert.)

The table holds millions of rows and is written by every request: on PostgreSQL the
indexes are built CONCURRENTLY, so writes carry on while they build (hence a
non-atomic migration). SQLite builds them the ordinary way.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _concurrently(schema_editor) -> dict:
    return (
        {"concurrently": True}
        if schema_editor.connection.vendor == "postgresql"
        else {}
    )


class AddIndexConcurrently(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, **_concurrently(schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(
                model, self.index, **_concurrently(schema_editor)
            )


class RemoveIndexConcurrently(migrations.RemoveIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = from_state.models[app_label, self.model_name_lower].get_index_by_name(
                self.name
            )
            schema_editor.remove_index(model, index, **_concurrently(schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = to_state.models[app_label, self.model_name_lower].get_index_by_name(
                self.name
            )
            schema_editor.add_index(model, index, **_concurrently(schema_editor))


FOREIGN_KEYS = ("person_id", "user_id")


def _key_indexes(schema_editor, model, column) -> list[str]:
    """The index on exactly this one column (not the composite ones leading with it)."""
    return schema_editor._constraint_names(
        model, [column], index=True, primary_key=False
    )


def drop_key_indexes(apps, schema_editor):
    model = apps.get_model("audit", "AuditEvent")
    concurrently = (
        "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    )
    for column in FOREIGN_KEYS:
        for name in _key_indexes(schema_editor, model, column):
            schema_editor.execute(
                f"DROP INDEX {concurrently}IF EXISTS "
                f"{schema_editor.quote_name(name)}",
                params=None,
            )


def create_key_indexes(apps, schema_editor):
    model = apps.get_model("audit", "AuditEvent")
    concurrently = _concurrently(schema_editor)
    for column in FOREIGN_KEYS:
        if _key_indexes(schema_editor, model, column):
            continue
        field = model._meta.get_field(column.removesuffix("_id"))
        index = models.Index(
            fields=[field.name],
            name=schema_editor._create_index_name(model._meta.db_table, [column]),
        )
        schema_editor.add_index(model, index, **concurrently)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0005_append_only"),
        ("people", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["-at", "-id"], name="audit_at"),
        ),
        # (object_type, object_id, -at) serves everything (object_type, object_id)
        # did, and the newest-first pages of one object's trail.
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(
                fields=["object_type", "object_id", "-at"], name="audit_object_at"
            ),
        ),
        RemoveIndexConcurrently(model_name="auditevent", name="audit_object"),
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(fields=["action", "-at", "-id"], name="audit_action_at"),
        ),
        # The keys lose their own indexes (in the state; in the database, dropped
        # concurrently rather than through AlterField, which would drop and re-add
        # the foreign key constraints and so check every row again).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="person",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="people.person",
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="user",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="Empty for the system's own tasks.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_key_indexes, create_key_indexes),
            ],
        ),
    ]
