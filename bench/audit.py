"""How the audit trail's pages read a large table: EXPLAIN ANALYZE of each page query.

Fills a dedicated database (tracing_bench_audit: migrate, then users, people and
--rows audit events made with INSERT ... SELECT generate_series), ANALYZEs it, then
runs the first and a later page of each kind of search through the same selector the
pages use (audit.selectors: audit_search + page_query) under EXPLAIN (ANALYZE,
BUFFERS), and prints the index read, the rows the plan touched, the shared buffers and
the time in the database. Not a test: it never fails on a time. It fails (exit 1) if a
page reads no index, sorts the table, or uses OFFSET or COUNT.

    .venv/bin/python bench/audit.py [--rows 500000] [--refill]

The trail is append-only: the bench's own refill TRUNCATEs (no trigger fires).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "tracing_bench_audit"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracing.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

USERS = 2_000
PEOPLE = 100_000


def ensure_database(url: str) -> None:
    import environ
    import psycopg2

    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("bench/audit.py measures PostgreSQL: set DATABASE_URL.")
    conn = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        host=config["HOST"],
        port=config["PORT"] or 5432,
        password=config["PASSWORD"] or None,
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    conn.close()


def sql(statement: str, params=None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def fill(rows: int, refill: bool) -> None:
    from django.core.management import call_command

    from audit.models import AuditEvent

    call_command("migrate", verbosity=0)
    have = AuditEvent.objects.count()
    if have >= rows and not refill:
        print(f"{have:,} audit events already there")
        return
    started = time.perf_counter()
    sql("TRUNCATE audit_auditevent, people_person, auth_user RESTART IDENTITY CASCADE")
    sql(
        """
        INSERT INTO auth_user (password, is_superuser, username, first_name,
                               last_name, email, is_staff, is_active, date_joined)
        SELECT '!', false, 'user' || g, 'First' || g, 'Last' || g, '', false, true,
               now()
        FROM generate_series(1, %s) g
        """,
        [USERS],
    )
    sql(
        """
        INSERT INTO people_person (first_name, last_name, nhs_number, phone,
                                   phone_alt, email, address, postcode,
                                   needs_interpreter, created_at, updated_at)
        SELECT 'Person', 'P' || g, '', '', '', '', '', 'S1 1AA', false, now(), now()
        FROM generate_series(1, %s) g
        """,
        [PEOPLE],
    )
    # A year of events, newest now: 85% views (a tenth of them with nobody's
    # person, like sign-ins), then changes, assignments, calls; exports and
    # sign-in failures are rare.
    sql(
        """
        INSERT INTO audit_auditevent (at, user_id, action, person_id, object_type,
                                      object_id, detail)
        SELECT now() - (g * (interval '365 days' / %(rows)s)),
               1 + (hashint4(g) & 2147483647) %% %(users)s,
               CASE WHEN r < 85 THEN 'view' WHEN r < 90 THEN 'update'
                    WHEN r < 94 THEN 'assign' WHEN r < 97 THEN 'call'
                    WHEN r < 99 THEN 'create' WHEN r < 99.5 THEN 'export'
                    ELSE 'sign_in_failed' END,
               CASE WHEN g %% 10 = 0 THEN NULL
                    ELSE 1 + (hashint4(g + 7) & 2147483647) %% %(people)s END,
               CASE WHEN g %% 3 = 0 THEN 'contacts.contact' ELSE 'cases.case' END,
               (1 + (hashint4(g + 13) & 2147483647) %% 200000)::text,
               '{"via": "page"}'::jsonb
        FROM (SELECT g, (hashint4(g + 29) & 2147483647) %% 1000 / 10.0 AS r
              FROM generate_series(1, %(rows)s) g) s
        """,
        {"rows": rows, "users": USERS, "people": PEOPLE},
    )
    sql("ANALYZE audit_auditevent")
    sql("ANALYZE auth_user")
    print(f"filled {rows:,} audit events in {time.perf_counter() - started:.0f} s")


def explain(queryset) -> tuple[str, float, list[str]]:
    """The plan of a queryset's SQL, run: (plan text, execution ms, problems)."""
    from django.db import connection

    statement, params = queryset.query.sql_with_params()
    problems = []
    if re.search(r"\bOFFSET\b", statement) or "COUNT(" in statement.upper():
        problems.append("OFFSET or COUNT in the query")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
    if "Seq Scan on audit_auditevent" in plan:
        problems.append("reads the whole table")
    # A sort is fine over the few rows an index found (a user's exports, say), not
    # over a large part of the table.
    for sorted_rows in re.findall(r"(?<!Incremental )Sort .*?rows=(\d+) loops", plan):
        if int(sorted_rows) > 1_000:
            problems.append(f"sorts {sorted_rows} rows")
    return plan, ms, problems


def buffers(plan: str) -> int:
    """The shared buffers (8 kB pages) the whole plan touched."""
    match = re.search(r"Buffers: shared hit=(\d+)(?: read=(\d+))?", plan)
    return int(match.group(1)) + int(match.group(2) or 0) if match else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--refill", action="store_true")
    parser.add_argument("--plans", action="store_true", help="print every plan")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from audit.models import AuditEvent
    from audit.selectors import AuditFilters, Cursor, audit_search, page_query

    fill(args.rows, args.refill)
    today = timezone.localdate()
    some = AuditEvent.objects.filter(person__isnull=False).order_by("-at").first()
    assert some is not None
    user = get_user_model().objects.get(pk=some.user_id)
    searches = {
        "everything": AuditFilters(),
        "by user": AuditFilters(username=user.username),
        "by person": AuditFilters(person_id=some.person_id),
        "by object": AuditFilters(
            object_type=some.object_type, object_id=some.object_id
        ),
        "by action (common)": AuditFilters(action="view"),
        "by action (rare)": AuditFilters(action="sign_in_failed"),
        "by dates": AuditFilters(
            date_from=today.replace(day=1), date_to=today.replace(day=1)
        ),
        "by person and dates": AuditFilters(
            person_id=some.person_id, date_from=today.replace(month=1, day=1)
        ),
        "by user and action": AuditFilters(username=user.username, action="export"),
    }
    total = AuditEvent.objects.count()
    print(f"\n{total:,} audit events; PostgreSQL plans of each page's one query\n")
    print(f"{'search':<22}{'page':<7}{'index':<28}{'buffers':>8}{'ms':>8}  problems")
    failed = False
    for name, filters in searches.items():
        events = audit_search(filters)
        first = list(page_query(events, before=None))
        pages = [("first", None)]
        if len(first) > 50:
            pages.append(("second", Cursor(at=first[49].at, id=first[49].pk)))
        for label, before in pages:
            plan, ms, problems = explain(
                page_query(events.select_related("user"), before=before)
            )
            used = sorted(
                set(re.findall(r"(?:using|Bitmap Index Scan on) (audit_\w+)", plan))
            )
            print(
                f"{name:<22}{label:<7}{','.join(used) or '-':<28}{buffers(plan):>8}"
                f"{ms:>8.2f}  {'; '.join(problems) or 'none'}"
            )
            if args.plans:
                print(plan + "\n")
            failed = failed or bool(problems) or not used
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
