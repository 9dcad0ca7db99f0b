"""The audit trail's trigger (audit/migrations/0005) allowed both UPDATE and DELETE
once a transaction had run `SET LOCAL tracing.audit_purge = 'on'`. The retention job
only ever deletes: now an UPDATE is refused whatever the transaction says, and a
DELETE only after that setting (retention.services.audit_events_delete, used by the
audit purge and by erasure on request). SQLite has no trigger: the model refuses
both there, and the retention code deletes with plain SQL.
"""

from django.db import migrations

DELETE_ONLY = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('tracing.audit_purge', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Only the retention job deletes old rows, after '
                     'SET LOCAL tracing.audit_purge = ''on'' in its transaction; '
                     'no row is ever updated.';
END;
$$
"""

UPDATE_OR_DELETE = """
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


def delete_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DELETE_ONLY, params=None)


def update_or_delete(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UPDATE_OR_DELETE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0001_initial"),
        ("audit", "0005_append_only"),
    ]

    operations = [migrations.RunPython(delete_only, update_or_delete)]
