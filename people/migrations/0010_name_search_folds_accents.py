# A search by name (work/access/people.py) finds "Siân Llŷr" for "Sian Llyr",
# "Müller" for "Muller" and "O'Brien" for "OBrien": the trigram index is now on the
# full name folded by people_name_fold(), lower-cased, without accents (PostgreSQL's
# unaccent) and without apostrophes. unaccent() itself is STABLE (its dictionary could
# change), so it cannot stand in an index; the wrapper names the dictionary and is
# declared IMMUTABLE, and, being IMMUTABLE over a STABLE body, is never inlined, so a
# query written with it matches the index's expression. It replaces the index of
# migration 0003 on the plain lower-cased name, which only the search read.
#
# SQLite (the embedded default) has neither extension: the search there matches the
# words as typed, and this migration does nothing.

from django.db import migrations

FOLD_FUNCTION = """
CREATE OR REPLACE FUNCTION people_name_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(regexp_replace(
    {schema}.unaccent('{schema}.unaccent'::regdictionary, $1), '[''\u2019`]', '', 'g')) $$
"""
FOLDED_NAME_INDEX = (
    "CREATE INDEX IF NOT EXISTS person_name_fold_trgm ON people_person "
    "USING gin (people_name_fold(first_name || ' ' || last_name) gin_trgm_ops)"
)
PLAIN_NAME_INDEX = (
    "CREATE INDEX IF NOT EXISTS person_name_trgm ON people_person "
    "USING gin ((lower(first_name || ' ' || last_name)) gin_trgm_ops)"
)


def folded_index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # unaccent is a trusted extension (PostgreSQL 13+), as pg_trgm is (migration 0003).
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(extnamespace::regnamespace::text) "
            "FROM pg_extension WHERE extname = 'unaccent'"
        )
        [(schema,)] = cursor.fetchall()
    schema_editor.execute(FOLD_FUNCTION.format(schema=schema))
    schema_editor.execute(FOLDED_NAME_INDEX)
    schema_editor.execute("DROP INDEX IF EXISTS person_name_trgm")


def folded_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(PLAIN_NAME_INDEX)
    schema_editor.execute("DROP INDEX IF EXISTS person_name_fold_trgm")
    schema_editor.execute("DROP FUNCTION IF EXISTS people_name_fold(text)")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0009_person_names_visible"),
    ]

    operations = [
        migrations.RunPython(folded_index_create, folded_index_drop, elidable=False),
    ]
