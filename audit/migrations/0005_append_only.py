"""The audit trail is append-only, down to the database.

On PostgreSQL a statement trigger refuses every UPDATE and DELETE of audit_auditevent,
whoever sends it (the app, a shell, psql), unless the transaction has first run

    SET LOCAL tracing.audit_purge = 'on';

which only the retention job that purges very old rows does. TRUNCATE (used by the
test flushes) fires no UPDATE or DELETE trigger and is unaffected. SQLite, which the
embedded default runs, has no trigger: the model and its queryset refuse there too.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('tracing.audit_purge', true), '') <> 'on' THEN
        RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Only the retention job purges old rows, after '
                         'SET LOCAL tracing.audit_purge = ''on'' in its transaction.';
    END IF;
    RETURN NULL;
END;
$$
"""

TRIGGER = """
CREATE TRIGGER audit_auditevent_append_only
BEFORE UPDATE OR DELETE ON audit_auditevent
FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_append_only()
"""

DROP = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_append_only();
"""


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    schema_editor.execute(TRIGGER, params=None)


def remove_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_alter_auditevent_action"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["-at", "-id"]},
        ),
        migrations.RunPython(install_trigger, remove_trigger),
    ]
