"""The retention purge of closed contacts, timed beside one SQL DELETE of the same rows.

Fills its own database (tracing_bench_purge: migrate, then server-side
generate_series with the tables' indexes dropped and made again after, and
triggers off while loading) with --contacts closed contacts (default 1,000,000,
reached six years ago: past the contacts' five years, inside the cases' eight), a
case for every four of them, a person for each case and each contact, and the call
that reached each contact. The loaded database is kept as a template
(tracing_bench_purge_loaded) and copied afresh for each of the two runs:

1. the retention service: a run of the contacts' purge rule
   (retention.services.retention_run(only=["purge_contacts"])), in its batches
   (RETENTION_BATCH_SIZE), each choosing its contacts by the rule (closed long
   enough, not named again, no hold, nothing of the person open) and deleting them
   with everything that depends on them, one statement per kind;
2. the yardstick: one SQL statement deleting the same contacts and their calls
   (a data-modifying WITH), no checks, no batches.

Both times include their commits (the deferred foreign-key checks run there). Not a
test: it prints the times and their ratio and never fails on a time; it fails if
either run leaves a closed contact or deletes a case.

    .venv/bin/python bench/purge.py [--scale 0.1] [--batch 5000] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The databases are made as the matching bench makes its own (a template kept, copied
# afresh for each run).
from bench.matching import admin_run, database_copy, template_label  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tracing_bench_purge"
CONTACTS = 1_000_000
CONTACTS_PER_CASE = 4
CALLERS = 200
YEARS_AGO = 6


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="of 1,000,000")
    parser.add_argument(
        "--batch", type=int, default=5000, help="rows per batch of the service"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the loaded template of an earlier run at the same scale",
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    return parser.parse_args()


# --- the databases --------------------------------------------------------------------


def sql(statement: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


# --- the fill -------------------------------------------------------------------------

TABLES = [
    "people_person",
    "cases_case",
    "contacts_contact",
    "calls_callattempt",
]


def plain_indexes() -> list[tuple[str, str]]:
    """The indexes of the filled tables that no constraint owns (name, definition)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [TABLES],
        )
        return cursor.fetchall()


def fill(contacts: int) -> float:
    """Migrate, then load the closed contacts, their cases, people and calls."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    cases = -(-contacts // CONTACTS_PER_CASE)
    indexes = plain_indexes()
    for name, _ in indexes:
        sql(f'DROP INDEX "{name}"')
    # Loading only: no trigger or foreign-key check per row (the data is whole).
    sql("SET session_replication_role = replica")
    sql(
        """
        INSERT INTO auth_user (password, is_superuser, username, first_name,
                               last_name, email, is_staff, is_active, date_joined)
        SELECT '!', false, 'caller' || g, 'Caller', 'C' || g, '', false, true, now()
        FROM generate_series(1, %s) g
        """,
        [CALLERS],
    )
    # Person g: 1..cases are the cases, then one per contact.
    sql(
        """
        INSERT INTO people_person (id, first_name, last_name, date_of_birth,
            nhs_number, phone, phone_alt, email, address, postcode, area_id,
            needs_interpreter, created_at, updated_at)
        SELECT g, 'First' || g, 'Last' || g, DATE '1960-01-01' + (g %% 15000),
               '', '+4474' || lpad((g %% 100000000)::text, 8, '0'), '', '',
               g || ' Long Road', 'S1 1AA',
               (SELECT id FROM areas_area WHERE code = 'E08000019'), false,
               now() - make_interval(years => %s, days => 1), now()
        FROM generate_series(1, %s) g
        """,
        [YEARS_AGO, cases + contacts],
    )
    # Case c: created six years ago and a day, completed an hour later.
    sql(
        """
        INSERT INTO cases_case (id, person_id, status, area_id, area_unknown,
            priority, isolation_ends_on, attempts, created_at, reached_at,
            reached_route, completed_at, lab_reference, specimen_date, result_date,
            source, complexity, complex_setting, safeguarding_flag,
            safeguarding_note)
        SELECT c, c, 'completed', p.area_id, false, 0,
               (t.at)::date + 10, 1, t.at, t.at + interval '30 minutes', 'national',
               t.at + interval '1 hour', 'LAB' || c, (t.at)::date - 2,
               (t.at)::date - 1, 'api', 'routine', '', false, ''
        FROM generate_series(1, %s) c
        JOIN people_person p ON p.id = c
        CROSS JOIN LATERAL (SELECT now() - make_interval(years => %s, days => 1)
                                   + make_interval(secs => c %% 86400) AS at) t
        """,
        [cases, YEARS_AGO],
    )
    sql(
        """
        INSERT INTO contacts_contact (id, person_id, case_id, status, area_id,
            area_unknown, priority, isolation_ends_on, attempts, created_at,
            reached_at, reached_route, exposure_date, exposure)
        SELECT k, %(cases)s + k, c.id, 'reached', c.area_id, false, 0,
               c.specimen_date + 10, 1, c.completed_at,
               c.completed_at + interval '3 hours', 'national', c.specimen_date,
               'household'
        FROM generate_series(1, %(contacts)s) k
        JOIN cases_case c ON c.id = (k - 1) / %(per)s + 1
        """,
        {"cases": cases, "contacts": contacts, "per": CONTACTS_PER_CASE},
    )
    sql(
        """
        INSERT INTO calls_callattempt (contact_id, caller_id, phone, started_at,
            duration_seconds, outcome, notes)
        SELECT k.id, (SELECT min(id) FROM auth_user) + k.id %% %(callers)s,
               '+447400000000', k.reached_at, 300, 'reached', 'Told to isolate'
        FROM contacts_contact k
        """,
        {"callers": CALLERS},
    )
    sql("SET session_replication_role = DEFAULT")
    for table, column in (
        ("people_person", "id"),
        ("cases_case", "id"),
        ("contacts_contact", "id"),
    ):
        sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"(SELECT max({column}) FROM {table}))"
        )
    sql("SET maintenance_work_mem = '512MB'")
    for _, definition in indexes:
        sql(definition)
    sql("VACUUM ANALYZE")
    return time.perf_counter() - started


# --- the two runs ---------------------------------------------------------------------


def service_run() -> float:
    from retention.models import Rule
    from retention.services import retention_run

    started = time.perf_counter()
    run = retention_run(only=[Rule.PURGE_CONTACTS], trigger="bench")
    seconds = time.perf_counter() - started
    print(f"    {run.batches} batches")
    return seconds


def yardstick_run() -> float:
    """One statement: the same contacts (closed long enough) and their calls."""
    from django.db import connection, transaction
    from django.utils import timezone

    from retention.rules import Cutoffs, RetentionDays

    now = timezone.now()
    cutoff = Cutoffs.at(now, RetentionDays.from_settings()).purge_contacts_before
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH due AS (
                SELECT id FROM contacts_contact
                WHERE status IN ('reached', 'completed', 'closed')
                  AND COALESCE(closed_at, completed_at, reached_at, created_at) <= %s
            ), calls AS (
                DELETE FROM calls_callattempt WHERE contact_id IN (SELECT id FROM due)
            )
            DELETE FROM contacts_contact WHERE id IN (SELECT id FROM due)
            """,
            [cutoff],
        )
    return time.perf_counter() - started


def check(label: str, cases: int) -> None:
    from cases.models import Case
    from contacts.models import Contact

    left = Contact.objects.count()
    kept = Case.objects.count()
    if left or kept != cases:
        raise SystemExit(f"{label}: {left} contacts left, {kept} of {cases} cases")


def main() -> None:
    args = parse_args()
    contacts = max(1_000, round(CONTACTS * args.scale))
    cases = -(-contacts // CONTACTS_PER_CASE)
    bench_db = urlsplit(args.database_url).path.lstrip("/")
    template = f"{bench_db}_loaded"
    label = f"bench/purge.py contacts={contacts}"

    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ.pop("REDIS_URL", None)
    os.environ["RETENTION_BATCH_SIZE"] = str(args.batch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracing.settings")
    import django

    if args.reuse and template_label(args.database_url, template) == label:
        print(f"Reusing the loaded database {template}")
        django.setup()
    else:
        admin_run(
            args.database_url,
            f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)',
            f'CREATE DATABASE "{bench_db}"',
        )
        django.setup()
        print(f"Filling {bench_db}: {contacts:,} closed contacts", flush=True)
        seconds = fill(contacts)
        print(f"  loaded, indexed and analysed in {seconds:.0f} s", flush=True)
        database_copy(args.database_url, source=bench_db, target=template)
        admin_run(args.database_url, f"COMMENT ON DATABASE \"{template}\" IS '{label}'")

    database_copy(args.database_url, source=template, target=bench_db)
    print(f"Retention service (batches of {args.batch:,}):", flush=True)
    service = service_run()
    check("service", cases)
    print(f"  {service:.1f} s", flush=True)

    database_copy(args.database_url, source=template, target=bench_db)
    print("One SQL DELETE of the same rows:", flush=True)
    yardstick = yardstick_run()
    check("yardstick", cases)
    print(f"  {yardstick:.1f} s", flush=True)

    print(
        f"\n{contacts:,} closed contacts (and {contacts:,} calls): service "
        f"{service:.1f} s, one DELETE {yardstick:.1f} s, ratio "
        f"{service / yardstick:.2f}x"
    )


if __name__ == "__main__":
    main()
